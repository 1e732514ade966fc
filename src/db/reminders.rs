//! The ledger of the weekly review reminders: one row per week and address, planned
//! before anything is sent and marked sent (or refused) after, so each address hears once
//! a week however often the run is repeated or the server restarted.

use super::engine::args;
use super::{Db, DbError};

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

    /// The addresses whose reminder of `week` is still to send.
    pub fn open_reminders(&self, week: &str) -> Result<Vec<String>, DbError> {
        self.conn()?
            .query_map(
                "SELECT email FROM review_reminders WHERE week = $1 AND state = 'pending' ORDER BY email",
                args![week],
                |r| r.get(0),
            )
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
