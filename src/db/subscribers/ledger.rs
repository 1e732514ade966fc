//! The delivery ledger that makes digests exactly-once in effect: one row per subscriber
//! and period, moved from pending through sending to sent or failed, each move durable
//! when it returns; and the periods whose runs finished.

use crate::db::engine::{AssertSqlSafe, Conn, OptionalExtension, Row, SqlResult, args};

use std::collections::HashMap;

use super::super::Db;
use super::reads::{SentRelease, record_sent};
use super::{FLAG_AFTER_FAILURES, SubscriberError};

/// A delivery's place in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Planned; not yet handed to the mail server.
    Pending,
    /// Being handed over: recorded before the SMTP exchange. A delivery found in this
    /// state after a crash may or may not have been accepted; it is sent again.
    Sending,
    /// Accepted by the mail server (recorded after the exchange).
    Sent,
    /// Refused for good (a 5xx answer).
    Failed,
}

impl DeliveryState {
    fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Sending => "sending",
            DeliveryState::Sent => "sent",
            DeliveryState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> DeliveryState {
        match s {
            "sending" => DeliveryState::Sending,
            "sent" => DeliveryState::Sent,
            "failed" => DeliveryState::Failed,
            _ => DeliveryState::Pending,
        }
    }
}

/// One row of the ledger: one message to one subscriber for one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: i64,
    pub subscriber_id: i64,
    pub period: String,
    pub state: DeliveryState,
    pub attempts: i64,
}

impl Db {
    /// Plans one delivery per subscriber for a period; deliveries planned before are left
    /// as they are (a rerun never doubles one).
    pub fn plan_deliveries(
        &self,
        period: &str,
        subscribers: &[i64],
    ) -> Result<(), SubscriberError> {
        let at = self.now();
        self.write(|tx| {
            for id in subscribers {
                tx.execute(
                    "INSERT INTO deliveries (subscriber_id, period, state, updated_at) VALUES ($1, $2, 'pending', $3)
                     ON CONFLICT (subscriber_id, period) DO NOTHING",
                    args![id, period, at],
                )?;
            }
            Ok(())
        })?;
        Ok(())
    }

    /// Deliveries of a period still to make: planned, or interrupted mid-exchange.
    pub fn open_deliveries(&self, period: &str) -> Result<Vec<Delivery>, SubscriberError> {
        self.deliveries_where(period, "state IN ('pending', 'sending')")
    }

    /// Every delivery of a period.
    pub fn deliveries(&self, period: &str) -> Result<Vec<Delivery>, SubscriberError> {
        self.deliveries_where(period, "1 = 1")
    }

    fn deliveries_where(
        &self,
        period: &str,
        clause: &'static str,
    ) -> Result<Vec<Delivery>, SubscriberError> {
        let rows = self
            .conn()?
            .query_map(
                AssertSqlSafe(format!(
                    "SELECT id, subscriber_id, period, state, attempts FROM deliveries WHERE period = $1 AND {clause} ORDER BY id"
                )),
                args![period],
                read_delivery,
            )
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    /// Records a delivery's new state (each call is its own transaction: durable when it
    /// returns). Moving to `Sending` counts an attempt; `Sent` clears the subscriber's
    /// failures; `Failed` counts one and flags the subscriber after repeated ones.
    pub fn record_delivery(
        &self,
        delivery: &Delivery,
        state: DeliveryState,
        error: Option<&str>,
    ) -> Result<(), SubscriberError> {
        let conn = self.conn()?;
        record(&conn, delivery, state, error, &self.now()).map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Records several deliveries' new states in one transaction (durable when it returns),
    /// with the same rules as [`Db::record_delivery`]; for each one sent, the releases its
    /// message carried (`carried`, by subscriber id) are recorded as sent to them.
    pub fn record_deliveries(
        &self,
        updates: &[(Delivery, DeliveryState, Option<String>)],
        carried: &HashMap<i64, Vec<SentRelease>>,
    ) -> Result<(), SubscriberError> {
        if updates.is_empty() {
            return Ok(());
        }
        let now = self.now();
        self.write(|tx| {
            for (delivery, state, error) in updates {
                record(tx, delivery, *state, error.as_deref(), &now)?;
                if *state == DeliveryState::Sent
                    && let Some(releases) = carried.get(&delivery.subscriber_id)
                {
                    record_sent(tx, delivery.subscriber_id, &delivery.period, releases, &now)?;
                }
            }
            Ok(())
        })?;
        Ok(())
    }

    /// Records that every delivery of a period was made (or given up).
    pub fn finish_period(&self, period: &str) -> Result<(), SubscriberError> {
        let conn = self.conn()?;
        conn.execute(
            "INSERT INTO periods (period, finished_at) VALUES ($1, $2)
                 ON CONFLICT (period) DO UPDATE SET finished_at = excluded.finished_at",
            args![period, self.now()],
        )
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// True when a period's run finished.
    pub fn period_finished(&self, period: &str) -> Result<bool, SubscriberError> {
        let conn = self.conn()?;
        Ok(conn
            .query_row(
                "SELECT CASE WHEN finished_at IS NULL THEN 0 ELSE 1 END FROM periods WHERE period = $1",
                args![period],
                |r| r.flag(0),
            )
            .optional()
            .map_err(|e| self.err(e))?
            .unwrap_or(false))
    }
}

/// A delivery, from the columns `id, subscriber_id, period, state, attempts`.
pub(super) fn read_delivery(r: &Row<'_>) -> SqlResult<Delivery> {
    Ok(Delivery {
        id: r.get(0)?,
        subscriber_id: r.get(1)?,
        period: r.get(2)?,
        state: DeliveryState::parse(&r.get::<_, String>(3)?),
        attempts: r.get(4)?,
    })
}

/// One delivery's new state, within the caller's transaction (or on its own). Any state
/// but `Sending` ends the row's claim.
fn record(
    conn: &Conn<'_>,
    delivery: &Delivery,
    state: DeliveryState,
    error: Option<&str>,
    now: &str,
) -> SqlResult<()> {
    let attempt = i64::from(state == DeliveryState::Sending);
    conn.execute(
        "UPDATE deliveries SET state = $2, attempts = attempts + $3, last_error = $4, updated_at = $5,
            claimed_by = CASE WHEN $3 = 1 THEN claimed_by END,
            claimed_until = CASE WHEN $3 = 1 THEN claimed_until END
         WHERE id = $1",
        args![delivery.id, state.as_str(), attempt, error, now],
    )?;
    match state {
        DeliveryState::Sent => {
            conn.execute(
                "UPDATE subscribers SET failures = 0 WHERE id = $1 AND failures > 0",
                args![delivery.subscriber_id],
            )?;
        }
        DeliveryState::Failed => {
            conn.execute(
                "UPDATE subscribers SET failures = failures + 1,
                    flagged_at = CASE WHEN failures + 1 >= $2 THEN COALESCE(flagged_at, $3) ELSE flagged_at END
                 WHERE id = $1",
                args![delivery.subscriber_id, FLAG_AFTER_FAILURES, now],
            )?;
        }
        DeliveryState::Pending | DeliveryState::Sending => {}
    }
    Ok(())
}
