//! Digests and notices by email: who gets what for a period, and delivering it exactly once
//! in effect.
//!
//! A run plans one delivery per subscriber in the ledger (unique per subscriber and
//! period), then delivers the open ones in small batches: each batch is recorded as
//! `sending` before its SMTP exchanges and as `sent` (or `failed`) after them. A rerun —
//! after a crash, a kill, or a relay that went away — delivers what is still open and
//! nothing that was recorded sent.
//!
//! The one window where a subscriber can get a digest twice: the process dies after the
//! relay accepted a message and before the batch's `sent` was committed. Those deliveries
//! are still `sending`, and a rerun sends them again rather than risk losing them. The
//! window is kept small: a batch is as many messages as there are pooled connections, its
//! results are committed as soon as the batch is done, and every copy of a message has the
//! same Message-ID, so mail clients can tell a repeat from a new digest.

pub mod schedule;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use chrono::{Datelike, NaiveDate};

use crate::app::{AppError, Chapterhouse};
use crate::config::Config;
use crate::content::ManualId;
use crate::db::{Db, Delivery, DeliveryState, Frequency, Subscriber, SubscriberError};
use crate::mail::{Letter, Mailer, SendError};
use crate::notice::{Entry, Links, Notice};

/// A calendar month: what one monthly digest covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Period {
    year: i32,
    month: u32,
}

impl FromStr for Period {
    type Err = String;
    fn from_str(s: &str) -> Result<Period, String> {
        let bad = || format!("{s:?} is not a period: write it as YYYY-MM, e.g. 2024-04");
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(bad)?;
        Ok(Period { year, month })
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Period {
    pub fn of(day: NaiveDate) -> Period {
        Period {
            year: day.year(),
            month: day.month(),
        }
    }

    /// The month before the one `day` is in: what a run on `day` covers.
    pub fn before(day: NaiveDate) -> Period {
        Period::of(Period::of(day).first_day() - chrono::Duration::days(1))
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a period is a real month")
    }

    pub fn contains(self, day: NaiveDate) -> bool {
        Period::of(day) == self
    }

    /// "April 2024"
    pub fn name(self) -> String {
        self.first_day().format("%B %Y").to_string()
    }
}

/// A notice as an email shows it.
struct NoticeView {
    heading: String,
    underline: String,
    groups: Vec<(&'static str, Vec<Entry>)>,
    url: String,
}

impl NoticeView {
    fn of(notice: &Notice, links: &Links) -> NoticeView {
        let heading = notice.heading();
        NoticeView {
            underline: "=".repeat(heading.chars().count()),
            heading,
            groups: notice
                .entries(links)
                .into_iter()
                .filter(|(_, entries)| !entries.is_empty())
                .collect(),
            url: links.release(&notice.manual, &notice.to.name),
        }
    }
}

#[derive(Template)]
#[template(path = "email/digest.txt")]
struct DigestText<'a> {
    intro: &'a str,
    notices: &'a [NoticeView],
    email: &'a str,
    following: &'a str,
    manage_url: &'a str,
    unsubscribe_url: &'a str,
}

#[derive(Template)]
#[template(path = "email/digest.html")]
struct DigestHtml<'a> {
    subject: &'a str,
    intro: &'a str,
    notices: &'a [NoticeView],
    email: &'a str,
    following: &'a str,
    manage_url: &'a str,
    unsubscribe_url: &'a str,
}

/// The notices one group of subscribers (those following the same manuals) receives.
struct Bundle {
    notices: Vec<NoticeView>,
    /// "the Safeguarding Children Procedures" / "every manual"
    following: String,
}

/// One subscriber's message in a run.
pub struct Recipient {
    pub subscriber: Subscriber,
    bundle: usize,
    token: String,
}

/// What one run delivers: the ledger key, the message, and who gets it.
pub struct Plan {
    /// The ledger's period: `2024-04` for a monthly digest, `release:children/2024-04`
    /// for the immediate notice of a release.
    pub key: String,
    pub subject: String,
    intro: String,
    bundles: Vec<Bundle>,
    pub recipients: Vec<Recipient>,
    links: Links,
}

/// How a run went.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// Delivered by this run.
    pub sent: usize,
    /// Delivered by an earlier run of the same period, so not sent again.
    pub skipped: usize,
    /// Refused for good by the relay (recorded; repeated failures flag the subscriber).
    pub failed: usize,
    /// Failed transiently every time in this run; the next run sends them.
    pub deferred: usize,
}

impl Report {
    fn add(&mut self, other: Report) {
        self.sent += other.sent;
        self.skipped += other.skipped;
        self.failed += other.failed;
        self.deferred += other.deferred;
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error(transparent)]
    Subscribers(#[from] SubscriberError),
    #[error(transparent)]
    Mail(#[from] crate::mail::MailError),
    #[error("digest template: {0}")]
    Template(String),
}

/// The manual titles subscribers follow, for "you subscribed to ...".
fn following(titles: &BTreeMap<ManualId, String>, subscriber: &Subscriber) -> String {
    if subscriber.all_manuals {
        return "every manual".into();
    }
    let named: Vec<&str> = subscriber
        .manuals
        .iter()
        .map(|m| {
            titles
                .iter()
                .find(|(id, _)| id.as_str() == m)
                .map_or(m.as_str(), |(_, t)| t.as_str())
        })
        .collect();
    named.join(", ")
}

/// Groups subscribers by the manuals whose notices they get, builds each group's notices
/// once, and gives every subscriber their links.
fn plan(
    app: &Chapterhouse,
    db: &Db,
    key: String,
    subject: String,
    intro: String,
    notices: &BTreeMap<ManualId, Vec<Arc<Notice>>>,
    subscribers: Vec<Subscriber>,
) -> Result<Plan, DigestError> {
    let links = app.links();
    let titles: BTreeMap<ManualId, String> = app
        .manual_summaries()?
        .into_iter()
        .map(|s| (s.id, s.title))
        .collect();
    let token_key = db.subscriber_token_key()?;
    let mut groups: BTreeMap<(Vec<ManualId>, String), usize> = BTreeMap::new();
    let mut bundles = Vec::new();
    let mut recipients = Vec::new();
    for subscriber in subscribers {
        let manuals: Vec<ManualId> = notices
            .keys()
            .filter(|m| subscriber.follows(m.as_str()))
            .cloned()
            .collect();
        if manuals.is_empty() {
            continue; // no releases in what they follow: no email
        }
        let following = following(&titles, &subscriber);
        let bundle = *groups
            .entry((manuals.clone(), following.clone()))
            .or_insert_with(|| {
                bundles.push(Bundle {
                    notices: manuals
                        .iter()
                        .flat_map(|m| notices[m].iter())
                        .map(|n| NoticeView::of(n, &links))
                        .collect(),
                    following,
                });
                bundles.len() - 1
            });
        let token = Db::subscriber_token_with(&token_key, &subscriber);
        recipients.push(Recipient {
            subscriber,
            bundle,
            token,
        });
    }
    Ok(Plan {
        key,
        subject,
        intro,
        bundles,
        recipients,
        links,
    })
}

/// The notices of the releases of each manual dated in `period` and in force by `today`.
fn period_notices(
    app: &Chapterhouse,
    period: Period,
    today: NaiveDate,
) -> Result<BTreeMap<ManualId, Vec<Arc<Notice>>>, DigestError> {
    let mut out = BTreeMap::new();
    for manual in app.store().released_manuals().map_err(AppError::from)? {
        let mut notices = Vec::new();
        for release in app.releases(&manual)? {
            if period.contains(release.date) && release.in_force_on(today) {
                notices.push(app.release_notice(&manual, &release)?);
            }
        }
        if !notices.is_empty() {
            out.insert(manual, notices);
        }
    }
    Ok(out)
}

/// The monthly digest of `period`: confirmed monthly subscribers whose manuals had
/// releases dated in it.
pub fn monthly_plan(app: &Chapterhouse, db: &Db, period: Period) -> Result<Plan, DigestError> {
    let notices = period_notices(app, period, app.today())?;
    let subscribers = db
        .subscribers()?
        .into_iter()
        .filter(|s| s.confirmed && !s.flagged && s.frequency == Frequency::Monthly)
        .collect();
    plan(
        app,
        db,
        period.to_string(),
        format!("Procedure changes in {}", period.name()),
        format!(
            "These are the changes to the safeguarding procedures you follow published in {}.",
            period.name()
        ),
        &notices,
        subscribers,
    )
}

/// Immediate notices owed today: for each release in force that came into force in the
/// last `window_days` days, the confirmed immediate subscribers following its manual who
/// subscribed by its date.
pub fn immediate_plans(
    app: &Chapterhouse,
    db: &Db,
    today: NaiveDate,
    window_days: i64,
) -> Result<Vec<Plan>, DigestError> {
    let subscribers: Vec<Subscriber> = db
        .subscribers()?
        .into_iter()
        .filter(|s| s.confirmed && !s.flagged && s.frequency == Frequency::Immediate)
        .collect();
    let mut plans = Vec::new();
    if subscribers.is_empty() {
        return Ok(plans);
    }
    for manual in app.store().released_manuals().map_err(AppError::from)? {
        for release in app.releases(&manual)? {
            let age = (today - release.date).num_days();
            if !(0..=window_days).contains(&age) {
                continue;
            }
            let key = format!("release:{manual}/{}", release.name);
            if db.period_finished(&key)? {
                continue;
            }
            let notice = app.release_notice(&manual, &release)?;
            let owed: Vec<Subscriber> = subscribers
                .iter()
                .filter(|s| s.follows(manual.as_str()) && s.subscribed_on() <= release.date)
                .cloned()
                .collect();
            let notices = BTreeMap::from([(manual.clone(), vec![notice.clone()])]);
            plans.push(plan(
                app,
                db,
                key,
                notice.heading(),
                format!(
                    "A new release of {} is in force from {}.",
                    notice.manual_title,
                    release.date.format("%-d %B %Y")
                ),
                &notices,
                owed,
            )?);
        }
    }
    Ok(plans)
}

impl Plan {
    /// The letter for one recipient.
    pub fn letter(&self, recipient: &Recipient) -> Result<Letter, DigestError> {
        let bundle = &self.bundles[recipient.bundle];
        let manage_url = self
            .links
            .page(&format!("/subscriptions/manage?token={}", recipient.token));
        let unsubscribe_url = self
            .links
            .page(&format!("/unsubscribe?token={}", recipient.token));
        let email = recipient.subscriber.email.as_str();
        let text = DigestText {
            intro: &self.intro,
            notices: &bundle.notices,
            email,
            following: &bundle.following,
            manage_url: &manage_url,
            unsubscribe_url: &unsubscribe_url,
        }
        .render()
        .map_err(|e| DigestError::Template(e.to_string()))?;
        let html = DigestHtml {
            subject: &self.subject,
            intro: &self.intro,
            notices: &bundle.notices,
            email,
            following: &bundle.following,
            manage_url: &manage_url,
            unsubscribe_url: &unsubscribe_url,
        }
        .render()
        .map_err(|e| DigestError::Template(e.to_string()))?;
        Ok(Letter {
            to: email.to_owned(),
            subject: self.subject.clone(),
            text,
            html,
            id: message_id(&self.key, recipient.subscriber.id),
            unsubscribe: Some(unsubscribe_url),
        })
    }

    /// "who would get what", for `digest --dry-run`.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for r in &self.recipients {
            let bundle = &self.bundles[r.bundle];
            let headings: Vec<&str> = bundle.notices.iter().map(|n| n.heading.as_str()).collect();
            out.push_str(&format!(
                "{}\t{}\t{}\n",
                r.subscriber.email,
                self.key,
                headings.join("; ")
            ));
        }
        out
    }
}

/// The left part of the Message-ID of a subscriber's message for a period: the same on
/// every attempt.
fn message_id(key: &str, subscriber: i64) -> String {
    let key: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '.'
            }
        })
        .collect();
    format!("digest.{key}.{subscriber}")
}

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
        let message = mailer.message(letter).map_err(|e| SendError {
            transient: false,
            reason: e.to_string(),
        })?;
        match mailer.send(message, &letter.id).await {
            Ok(()) => return Ok(()),
            Err(e) if e.transient && attempt < retry.attempts => {
                tracing::warn!(to = %letter.to, attempt, error = %e, "transient failure; retrying");
                tokio::time::sleep(wait).await;
                wait *= 2;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Delivers a plan: plans the ledger rows, then sends every open one, batch by batch.
pub async fn deliver(
    plan: &Plan,
    db: &Db,
    mailer: &Mailer,
    retry: Retry,
) -> Result<Report, DigestError> {
    let ids: Vec<i64> = plan.recipients.iter().map(|r| r.subscriber.id).collect();
    db.plan_deliveries(&plan.key, &ids)?;
    let by_subscriber: std::collections::HashMap<i64, &Recipient> = plan
        .recipients
        .iter()
        .map(|r| (r.subscriber.id, r))
        .collect();
    let mut report = Report {
        skipped: db
            .deliveries(&plan.key)?
            .iter()
            .filter(|d| d.state == DeliveryState::Sent)
            .count(),
        ..Report::default()
    };
    let open = db.open_deliveries(&plan.key)?;
    let batch = mailer.pool_size.max(1);
    for chunk in open.chunks(batch) {
        // Deliveries planned for someone who since stopped qualifying (flagged, changed to
        // immediate) are closed without a message.
        let mut work: Vec<(&Delivery, Letter)> = Vec::new();
        let mut closed = Vec::new();
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
        db.record_deliveries(&closed)?;
        let sending: Vec<_> = work
            .iter()
            .map(|(d, _)| ((*d).clone(), DeliveryState::Sending, None))
            .collect();
        db.record_deliveries(&sending)?;
        let results = futures_util::future::join_all(
            work.iter()
                .map(|(_, letter)| send_with_retry(mailer, letter, retry)),
        )
        .await;
        let mut outcome = Vec::with_capacity(results.len());
        for ((delivery, letter), result) in work.iter().zip(results) {
            let (state, error) = match result {
                Ok(()) => {
                    report.sent += 1;
                    (DeliveryState::Sent, None)
                }
                Err(e) if e.transient => {
                    report.deferred += 1;
                    tracing::warn!(to = %letter.to, error = %e, "not delivered; the next run tries again");
                    (DeliveryState::Pending, Some(e.reason))
                }
                Err(e) => {
                    report.failed += 1;
                    tracing::warn!(to = %letter.to, error = %e, "refused by the relay");
                    (DeliveryState::Failed, Some(e.reason))
                }
            };
            outcome.push(((*delivery).clone(), state, error));
        }
        db.record_deliveries(&outcome)?;
    }
    if db.open_deliveries(&plan.key)?.is_empty() {
        db.finish_period(&plan.key)?;
    }
    Ok(report)
}

/// Sends the monthly digest of `period` and returns how it went.
pub async fn run_monthly(
    plan: &Plan,
    db: &Db,
    mailer: &Mailer,
    retry: Retry,
) -> Result<Report, DigestError> {
    deliver(plan, db, mailer, retry).await
}

/// Sends every immediate notice owed.
pub async fn run_immediate(
    plans: &[Plan],
    db: &Db,
    mailer: &Mailer,
    retry: Retry,
) -> Result<Report, DigestError> {
    let mut report = Report::default();
    for plan in plans {
        report.add(deliver(plan, db, mailer, retry).await?);
    }
    Ok(report)
}

#[derive(Template)]
#[template(path = "email/confirm.txt")]
struct ConfirmText<'a> {
    what: &'a str,
    email: &'a str,
    confirm_url: &'a str,
    hours: i64,
    manage_url: &'a str,
    unsubscribe_url: &'a str,
}

#[derive(Template)]
#[template(path = "email/confirm.html")]
struct ConfirmHtml<'a> {
    what: &'a str,
    email: &'a str,
    confirm_url: &'a str,
    hours: i64,
    manage_url: &'a str,
    unsubscribe_url: &'a str,
}

#[derive(Template)]
#[template(path = "email/existing.txt")]
struct ExistingText<'a> {
    email: &'a str,
    manage_url: &'a str,
    unsubscribe_url: &'a str,
}

#[derive(Template)]
#[template(path = "email/existing.html")]
struct ExistingHtml<'a> {
    email: &'a str,
    manage_url: &'a str,
    unsubscribe_url: &'a str,
}

/// The email a subscription request is answered with: a confirmation link for a new or
/// unconfirmed address, a note with the manage link for one subscribed already (so the
/// web answer can be the same either way), nothing when an administrator added it.
pub fn subscription_letter(
    db: &Db,
    links: &Links,
    outcome: &crate::db::Subscribed,
) -> Result<Option<Letter>, DigestError> {
    use crate::db::Subscribed;
    let template = |e: askama::Error| DigestError::Template(e.to_string());
    let (subscriber, token) = match outcome {
        Subscribed::New {
            subscriber,
            confirm_token: Some(token),
        }
        | Subscribed::Unconfirmed {
            subscriber,
            confirm_token: token,
        } => (subscriber, token),
        Subscribed::Existing {
            subscriber,
            updated: false,
        } => {
            let token = db.subscriber_token(subscriber)?;
            let manage_url = links.page(&format!("/subscriptions/manage?token={token}"));
            let unsubscribe_url = links.page(&format!("/unsubscribe?token={token}"));
            let email = subscriber.email.as_str();
            return Ok(Some(Letter {
                to: email.to_owned(),
                subject: "You are already subscribed to the procedure updates".into(),
                text: ExistingText {
                    email,
                    manage_url: &manage_url,
                    unsubscribe_url: &unsubscribe_url,
                }
                .render()
                .map_err(template)?,
                html: ExistingHtml {
                    email,
                    manage_url: &manage_url,
                    unsubscribe_url: &unsubscribe_url,
                }
                .render()
                .map_err(template)?,
                id: format!(
                    "existing.{}.{}",
                    subscriber.id,
                    chrono::Utc::now().timestamp_millis()
                ),
                unsubscribe: Some(unsubscribe_url.clone()),
            }));
        }
        _ => return Ok(None),
    };
    let confirm_url = links.page(&format!("/subscriptions/confirm?token={token}"));
    // Even the confirmation carries working manage and unsubscribe links: "not me" is one
    // click too.
    let own = db.subscriber_token(subscriber)?;
    let manage_url = links.page(&format!("/subscriptions/manage?token={own}"));
    let unsubscribe_url = links.page(&format!("/unsubscribe?token={own}"));
    let what = match subscriber.frequency {
        Frequency::Monthly => "a monthly email of the changes to the safeguarding procedures",
        Frequency::Immediate => "an email whenever the safeguarding procedures change",
    };
    let hours = crate::db::CONFIRMATION_LIFETIME.num_hours();
    let email = subscriber.email.as_str();
    Ok(Some(Letter {
        to: email.to_owned(),
        subject: "Confirm your subscription to the procedure updates".into(),
        text: ConfirmText {
            what,
            email,
            confirm_url: &confirm_url,
            hours,
            manage_url: &manage_url,
            unsubscribe_url: &unsubscribe_url,
        }
        .render()
        .map_err(template)?,
        html: ConfirmHtml {
            what,
            email,
            confirm_url: &confirm_url,
            hours,
            manage_url: &manage_url,
            unsubscribe_url: &unsubscribe_url,
        }
        .render()
        .map_err(template)?,
        id: format!(
            "confirm.{}.{}",
            subscriber.id,
            &token[..12.min(token.len())]
        ),
        unsubscribe: Some(unsubscribe_url.clone()),
    }))
}
