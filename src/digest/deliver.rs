//! Delivering a plan: its ledger rows planned, then the open ones sent batch by batch,
//! each batch recorded `sending` before its SMTP exchanges and `sent` or `failed` after
//! them. The ledger is SQLite: every call to it runs on a blocking thread, so a run never
//! holds up the runtime the site is served from.

use std::collections::HashMap;
use std::time::Duration;

use super::compose::{Plan, Recipient};
use super::{DigestError, Report};
use crate::config::Config;
use crate::db::{Db, Delivery, DeliveryState, SubscriberError};
use crate::mail::{Letter, Mailer, SendError};

/// How a run retries a message that fails transiently.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub attempts: u32,
    pub first_wait: Duration,
}

impl Retry {
    pub fn from_config(config: &Config) -> Retry {
        Retry {
            attempts: config.smtp.attempts.max(1),
            first_wait: Duration::from_millis(config.smtp.retry_ms),
        }
    }
}

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

/// Delivers a plan: plans the ledger rows, then sends every open one, batch by batch.
pub async fn deliver(
    plan: &Plan,
    db: &Db,
    mailer: &Mailer,
    retry: Retry,
) -> Result<Report, DigestError> {
    let key = plan.key.clone();
    let ids: Vec<i64> = plan.recipients.iter().map(|r| r.subscriber.id).collect();
    let (skipped, open) = ledger(db, move |db| {
        db.plan_deliveries(&key, &ids)?;
        let sent = db
            .deliveries(&key)?
            .iter()
            .filter(|d| d.state == DeliveryState::Sent)
            .count();
        Ok((sent, db.open_deliveries(&key)?))
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
    let batch = mailer.pool_size().max(1);
    for chunk in open.chunks(batch) {
        // Deliveries planned for someone who since stopped qualifying (flagged, changed to
        // immediate) are closed without a message.
        let mut work: Vec<(&Delivery, Letter)> = Vec::new();
        let mut closed: Vec<Update> = Vec::new();
        for delivery in chunk {
            match by_subscriber.get(&delivery.subscriber_id) {
                Some(recipient) => work.push((delivery, plan.letter(recipient)?)),
                None => closed.push((
                    delivery.clone(),
                    DeliveryState::Failed,
                    Some("no longer subscribed to this".to_owned()),
                )),
            }
        }
        let sending: Vec<Update> = work
            .iter()
            .map(|(d, _)| ((*d).clone(), DeliveryState::Sending, None))
            .collect();
        ledger(db, move |db| {
            db.record_deliveries(&closed)?;
            db.record_deliveries(&sending)
        })
        .await?;
        let results = futures_util::future::join_all(
            work.iter()
                .map(|(_, letter)| send_with_retry(mailer, letter, retry)),
        )
        .await;
        let mut outcome: Vec<Update> = Vec::with_capacity(results.len());
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
        ledger(db, move |db| db.record_deliveries(&outcome)).await?;
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
