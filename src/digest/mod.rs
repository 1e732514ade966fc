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
//!
//! `period` names the month, `plan` reads what a run covers, `compose` writes the letters
//! (pure), `deliver` sends them through the ledger, and [`schedule`] runs [`run_monthly`]
//! and [`run_immediate`] inside `serve`.

mod claimer;
mod compose;
mod deliver;
mod period;
mod plan;
#[cfg(test)]
mod read_tests;
pub mod reminders;
pub mod schedule;
#[cfg(test)]
mod tests;

pub use compose::{Heading, Plan, Recipient, compose};
pub use deliver::{Retry, deliver};
pub use period::Period;
pub use plan::{immediate_plans, monthly_plan};

use std::sync::Arc;

use crate::app::{AppError, Chapterhouse};
use crate::db::SubscriberError;
use crate::mail::Mailer;

/// How far back a release's immediate notice is still owed (a server down for longer does
/// not flood subscribers with old news; the monthly digest has it).
pub const IMMEDIATE_WINDOW_DAYS: i64 = 7;

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
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Editors(#[from] crate::db::EditorError),
    #[error("digest template: {0}")]
    Template(#[from] askama::Error),
    #[error("digest run interrupted: {0}")]
    Interrupted(#[from] tokio::task::JoinError),
}

/// Sends the monthly digest of `period`: plans it off the runtime, then delivers it.
pub async fn run_monthly(
    app: &Arc<Chapterhouse>,
    mailer: &Mailer,
    period: Period,
) -> Result<Report, DigestError> {
    let (plan, db) = app
        .blocking(move |app| -> Result<_, DigestError> {
            let db = app.db()?.clone();
            Ok((monthly_plan(app, &db, period)?, db))
        })
        .await??;
    deliver(&plan, &db, mailer, Retry::from_config(app.config())).await
}

/// Sends every immediate notice owed today (see [`IMMEDIATE_WINDOW_DAYS`]).
pub async fn run_immediate(
    app: &Arc<Chapterhouse>,
    mailer: &Mailer,
) -> Result<Report, DigestError> {
    let (plans, db) = app
        .blocking(move |app| -> Result<_, DigestError> {
            let db = app.db()?.clone();
            let plans = immediate_plans(app, &db, app.today(), IMMEDIATE_WINDOW_DAYS)?;
            Ok((plans, db))
        })
        .await??;
    let retry = Retry::from_config(app.config());
    let mut report = Report::default();
    for plan in &plans {
        report.add(deliver(plan, &db, mailer, retry).await?);
    }
    Ok(report)
}
