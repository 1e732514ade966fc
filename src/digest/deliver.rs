//! Delivering a plan: its ledger rows planned, then the open ones claimed and sent batch
//! by batch, each batch claimed (recorded `sending`) before its SMTP exchanges and
//! recorded `sent`, `failed` or pending again after them. Runs of several instances on one
//! database share the rows out by their claims; a run ends when no row is left that it has
//! not tried, waiting for other runs' claims to be settled or to run out. Every call to
//! the ledger runs on a blocking thread, so a run never holds up the site's runtime.

use std::collections::HashMap;
use std::time::Duration;

use super::claimer::Claimer;
use super::compose::{Plan, Recipient};
use super::{DigestError, Report};
use crate::config::Config;
use crate::db::{Db, Delivery, DeliveryState, SentRelease, SubscriberError};
use crate::mail::{Letter, Mailer, SendError};

/// How a run retries a message that fails transiently, and how long its claims last.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub attempts: u32,
    pub first_wait: Duration,
    pub claim: Duration,
}

impl Retry {
    pub fn from_config(config: &Config) -> Retry {
        Retry {
            attempts: config.smtp.attempts.max(1),
            first_wait: Duration::from_millis(config.smtp.retry_ms),
            claim: Duration::from_secs(config.digest.claim_secs.max(1)),
        }
    }
}

/// Longest a run sleeps before looking again at other runs' claims.
const LOOK_AGAIN: Duration = Duration::from_millis(500);

async fn send_with_retry(mailer: &Mailer, letter: &Letter, retry: Retry) -> Result<(), SendError> {
    let mut wait = retry.first_wait;
    let mut attempt = 1;
    loop {
        match mailer.send(letter).await {
            Ok(()) => return Ok(()),
            Err(e) if e.transient && attempt < retry.attempts => {
                tracing::warn!(letter = %letter.id, attempt, error = %e, "transient failure; retrying");
                tokio::time::sleep(wait).await;
                wait *= 2;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Runs ledger work on a blocking thread, on a handle of the database's pool.
async fn ledger<T: Send + 'static>(
    db: &Db,
    work: impl FnOnce(&Db) -> Result<T, SubscriberError> + Send + 'static,
) -> Result<T, DigestError> {
    let db = db.clone();
    Ok(tokio::task::spawn_blocking(move || work(&db)).await??)
}

/// A delivery's new state, as the ledger records it.
type Update = (Delivery, DeliveryState, Option<String>);

/// Delivers a plan: plans the ledger rows, then claims and sends the open ones, batch by
/// batch, until none is left that this run has not tried.
pub async fn deliver(
    plan: &Plan,
    db: &Db,
    mailer: &Mailer,
    retry: Retry,
) -> Result<Report, DigestError> {
    let key = plan.key.clone();
    let ids: Vec<i64> = plan.recipients.iter().map(|r| r.subscriber.id).collect();
    let skipped = ledger(db, move |db| {
        db.plan_deliveries(&key, &ids)?;
        Ok(db
            .deliveries(&key)?
            .iter()
            .filter(|d| d.state == DeliveryState::Sent)
            .count())
    })
    .await?;
    let by_subscriber: HashMap<i64, &Recipient> = plan
        .recipients
        .iter()
        .map(|r| (r.subscriber.id, r))
        .collect();
    let mut report = Report {
        skipped,
        ..Report::default()
    };
    let me = Claimer::new();
    let batch = mailer.pool_size().max(1);
    let mut tried: Vec<i64> = Vec::new();
    loop {
        let (key, claimer, passed) = (plan.key.clone(), me.clone(), tried.clone());
        let claimed = ledger(db, move |db| {
            db.claim_deliveries(&key, claimer.as_str(), batch, retry.claim, &passed)
        })
        .await?;
        if claimed.is_empty() {
            match others_at_work(db, &plan.key, &me).await? {
                Some(wait) => {
                    tokio::time::sleep(wait).await;
                    continue;
                }
                None => break,
            }
        }
        tried.extend(claimed.iter().map(|d| d.id));
        let outcome =
            send_batch(plan, &by_subscriber, &claimed, mailer, retry, &mut report).await?;
        let carried: HashMap<i64, Vec<SentRelease>> = outcome
            .iter()
            .filter_map(|(d, _, _)| by_subscriber.get(&d.subscriber_id))
            .map(|r| (r.subscriber.id, plan.carried(r)))
            .collect();
        ledger(db, move |db| db.record_deliveries(&outcome, &carried)).await?;
    }
    let key = plan.key.clone();
    ledger(db, move |db| {
        if db.open_deliveries(&key)?.is_empty() {
            db.finish_period(&key)?;
        }
        Ok(())
    })
    .await?;
    Ok(report)
}

/// How long to wait before claiming again while other runs hold claims on the period's
/// open rows; `None` when none does. Claims of runs known to be gone are released first.
async fn others_at_work(
    db: &Db,
    period: &str,
    me: &Claimer,
) -> Result<Option<Duration>, DigestError> {
    let (period, me) = (period.to_owned(), me.clone());
    ledger(db, move |db| {
        let claims = db.live_claims(&period, me.as_str())?;
        let mut released = false;
        for claim in &claims {
            if Claimer::is_gone(&claim.claimer) {
                let rows = db.release_claims(&period, &claim.claimer)?;
                tracing::warn!(claimer = %claim.claimer, rows, "took over the deliveries of a run that is gone");
                released = true;
            }
        }
        let first_end = claims.iter().map(|c| c.until).min();
        Ok(match (released, first_end) {
            (true, _) => Some(Duration::ZERO),
            (false, None) => None,
            (false, Some(until)) => {
                let left = (until - db.clock().now()).to_std().unwrap_or_default();
                Some(left.clamp(Duration::from_millis(20), LOOK_AGAIN))
            }
        })
    })
    .await
}

/// Sends one claimed batch; each delivery's new state. Deliveries planned for someone
/// who since stopped qualifying (flagged, changed to immediate) are closed without a
/// message.
async fn send_batch(
    plan: &Plan,
    by_subscriber: &HashMap<i64, &Recipient>,
    claimed: &[Delivery],
    mailer: &Mailer,
    retry: Retry,
    report: &mut Report,
) -> Result<Vec<Update>, DigestError> {
    let mut work: Vec<(&Delivery, Letter)> = Vec::new();
    let mut outcome: Vec<Update> = Vec::new();
    for delivery in claimed {
        match by_subscriber.get(&delivery.subscriber_id) {
            Some(recipient) => work.push((delivery, plan.letter(recipient)?)),
            None => outcome.push((
                delivery.clone(),
                DeliveryState::Failed,
                Some("no longer subscribed to this".to_owned()),
            )),
        }
    }
    let results = futures_util::future::join_all(
        work.iter()
            .map(|(_, letter)| send_with_retry(mailer, letter, retry)),
    )
    .await;
    for ((delivery, letter), result) in work.iter().zip(results) {
        let (state, error) = match result {
            Ok(()) => {
                metrics::counter!("chapterhouse_digest_messages_total", "result" => "sent")
                    .increment(1);
                report.sent += 1;
                (DeliveryState::Sent, None)
            }
            Err(e) if e.transient => {
                metrics::counter!("chapterhouse_digest_messages_total", "result" => "deferred")
                    .increment(1);
                report.deferred += 1;
                tracing::warn!(letter = %letter.id, error = %e, "not delivered; the next run tries again");
                (DeliveryState::Pending, Some(e.reason))
            }
            Err(e) => {
                metrics::counter!("chapterhouse_digest_messages_total", "result" => "failed")
                    .increment(1);
                report.failed += 1;
                tracing::warn!(letter = %letter.id, error = %e, "refused by the relay");
                (DeliveryState::Failed, Some(e.reason))
            }
        };
        outcome.push(((*delivery).clone(), state, error));
    }
    Ok(outcome)
}
