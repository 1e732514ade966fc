//! The ledger of the weekly review reminders: one row per week and address, planned
//! before anything is sent, claimed by one sender (`sending`) just before its message and
//! marked sent (or refused) after, so each address hears once a week however often the
//! run is repeated, the server restarted, or instances sharing the database run it at
//! once. A claim whose sender died is taken over after [`CLAIM_LASTS`].

use super::engine::args;
use super::{Db, DbError};

/// How long a claimed reminder is left to its sender.
pub const CLAIM_LASTS: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

impl Db {
    /// Plans a reminder for each address in `week` (`YYYY-Www`); rows planned before are
    /// left as they are.
    pub fn plan_reminders(&self, week: &str, emails: &[String]) -> Result<(), DbError> {
        let at = self.now();
        self.write(|tx| {
            for email in emails {
                tx.execute(
                    "INSERT INTO review_reminders (week, email, state, updated_at)
                     VALUES ($1, $2, 'pending', $3) ON CONFLICT (week, email) DO NOTHING",
                    args![week, email, at],
                )?;
            }
            Ok(())
        })
    }

    /// The addresses whose reminder of `week` is still to send: planned, or claimed by a
    /// sender that has had [`CLAIM_LASTS`].
    pub fn open_reminders(&self, week: &str) -> Result<Vec<String>, DbError> {
        let stale = (self.clock.now() - CLAIM_LASTS).to_rfc3339();
        self.conn()?
            .query_map(
                "SELECT email FROM review_reminders WHERE week = $1
                   AND (state = 'pending' OR (state = 'sending' AND updated_at < $2)) ORDER BY email",
                args![week, stale],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// Claims one open reminder for this sender: true when it is this sender's to send.
    pub fn claim_reminder(&self, week: &str, email: &str) -> Result<bool, DbError> {
        let now = self.clock.now();
        let stale = (now - CLAIM_LASTS).to_rfc3339();
        let claimed = self
            .conn()?
            .execute(
                "UPDATE review_reminders SET state = 'sending', updated_at = $3
                 WHERE week = $1 AND email = $2
                   AND (state = 'pending' OR (state = 'sending' AND updated_at < $4))",
                args![week, email, now.to_rfc3339(), stale],
            )
            .map_err(|e| self.err(e))?;
        Ok(claimed == 1)
    }

    /// Gives a claimed reminder back (its message was not taken; the next run tries again).
    pub fn release_reminder(&self, week: &str, email: &str) -> Result<(), DbError> {
        self.conn()?
            .execute(
                "UPDATE review_reminders SET state = 'pending' WHERE week = $1 AND email = $2 AND state = 'sending'",
                args![week, email],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Records a reminder as sent, or as refused for good (`sent` false).
    pub fn record_reminder(&self, week: &str, email: &str, sent: bool) -> Result<(), DbError> {
        let state = if sent { "sent" } else { "failed" };
        self.conn()?
            .execute(
                "UPDATE review_reminders SET state = $3, updated_at = $4 WHERE week = $1 AND email = $2",
                args![week, email, state, self.now()],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use crate::clock::Clock;
    use crate::db::Engine;
    use crate::db::testing::{on_each_engine, scratch};

    on_each_engine!(a_weeks_reminders_are_planned_once_and_sent_once);

    fn a_weeks_reminders_are_planned_once_and_sent_once(engine: Engine) {
        let (_dir, db) = scratch(engine, Clock::system(chrono_tz::Europe::London));
        let both = ["a@example.org".to_owned(), "b@example.org".to_owned()];
        db.plan_reminders("2026-W10", &both).unwrap();
        db.record_reminder("2026-W10", "a@example.org", true)
            .unwrap();
        db.plan_reminders("2026-W10", &both).unwrap();
        assert_eq!(db.open_reminders("2026-W10").unwrap(), ["b@example.org"]);
        db.record_reminder("2026-W10", "b@example.org", false)
            .unwrap();
        assert!(db.open_reminders("2026-W10").unwrap().is_empty());
        db.plan_reminders("2026-W11", &both[..1]).unwrap();
        assert_eq!(db.open_reminders("2026-W11").unwrap(), ["a@example.org"]);
    }
}
