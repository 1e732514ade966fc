//! Claims on the ledger's rows, so that instances sharing one database send each delivery
//! once: a run claims a few open rows at a time for a while (its lease), sends them, and
//! records each as sent, failed or pending again, which ends the claim. A row claimed by a
//! run that died is taken over when its lease runs out, or at once when the run is known
//! to be gone.
//!
//! On PostgreSQL a claim locks the rows it takes and passes over rows another instance
//! is claiming at that moment (`FOR UPDATE SKIP LOCKED`); on SQLite claims take turns as
//! every write does.

use std::time::Duration;

use super::super::Db;
use super::{Delivery, SubscriberError};
use crate::db::engine::{AssertSqlSafe, Engine, args};

/// Another run's claim on open rows of a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The run that holds it, as it named itself.
    pub claimer: String,
    /// When the last of its leases runs out.
    pub until: chrono::DateTime<chrono::Utc>,
}

impl Db {
    /// Claims up to `limit` open deliveries of `period` for `claimer`, for `lease`: rows
    /// pending, or sending under a claim that ran out, and none of `passed` (rows this run
    /// has tried already). Each is moved to `sending`, which counts an attempt.
    pub fn claim_deliveries(
        &self,
        period: &str,
        claimer: &str,
        limit: usize,
        lease: Duration,
        passed: &[i64],
    ) -> Result<Vec<Delivery>, SubscriberError> {
        let now = self.clock.now();
        let now_ms = now.timestamp_millis();
        let until = now_ms.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
        let passed = match passed {
            [] => String::new(),
            ids => {
                let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
                format!("AND id NOT IN ({})", ids.join(", "))
            }
        };
        let lock = match self.engine() {
            Engine::Sqlite => "",
            Engine::Postgres => "FOR UPDATE SKIP LOCKED",
        };
        let select = format!(
            "SELECT id, subscriber_id, period, state, attempts FROM deliveries
             WHERE period = $1 AND state IN ('pending', 'sending')
               AND (claimed_until IS NULL OR claimed_until < $2) {passed}
             ORDER BY id LIMIT $3 {lock}"
        );
        let stamp = now.to_rfc3339();
        let claimed = self.pool.write_claiming(|tx| {
            let rows = tx.query_map(
                AssertSqlSafe(select),
                args![period, now_ms, limit as i64],
                super::ledger::read_delivery,
            )?;
            for row in &rows {
                tx.execute(
                    "UPDATE deliveries SET state = 'sending', attempts = attempts + 1,
                        claimed_by = $2, claimed_until = $3, updated_at = $4 WHERE id = $1",
                    args![row.id, claimer, until, &stamp],
                )?;
            }
            Ok(rows)
        });
        Ok(claimed.map_err(|e| self.err(e))?)
    }

    /// The claims of other runs on a period's open rows whose leases have not run out.
    pub fn live_claims(&self, period: &str, claimer: &str) -> Result<Vec<Claim>, SubscriberError> {
        let now_ms = self.clock.now().timestamp_millis();
        let rows: Vec<(String, i64)> = self
            .conn()?
            .query_map(
                "SELECT claimed_by, max(claimed_until) FROM deliveries
                 WHERE period = $1 AND state IN ('pending', 'sending')
                   AND claimed_until >= $2 AND claimed_by <> $3
                 GROUP BY claimed_by ORDER BY claimed_by",
                args![period, now_ms, claimer],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| self.err(e))?;
        Ok(rows
            .into_iter()
            .map(|(claimer, until)| Claim {
                claimer,
                until: chrono::DateTime::from_timestamp_millis(until).unwrap_or_default(),
            })
            .collect())
    }

    /// Ends a run's claims on a period's open rows (a run known to be gone): they may be
    /// claimed again at once. The number of rows released.
    pub fn release_claims(&self, period: &str, claimer: &str) -> Result<usize, SubscriberError> {
        let released = self
            .conn()?
            .execute(
                "UPDATE deliveries SET claimed_by = NULL, claimed_until = NULL
                 WHERE period = $1 AND claimed_by = $2 AND state IN ('pending', 'sending')",
                args![period, claimer],
            )
            .map_err(|e| self.err(e))?;
        Ok(released)
    }
}
