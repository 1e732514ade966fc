//! Subscriber records: reading them with the manuals they follow, changing preferences,
//! removing them.

use sqlx::any::AnyArguments;

use crate::db::engine::{AssertSqlSafe, Conn, OptionalExtension, Row, SqlResult, args};

use super::super::Db;
use super::{Frequency, Subscriber, SubscriberError, normalise_address};
use crate::content::ManualId;

const SUBSCRIBER_COLUMNS: &str = "id, email, frequency, all_manuals, confirmed_at IS NOT NULL, flagged_at IS NOT NULL, created_at, token_version";

impl Db {
    pub(super) fn subscriber_from_row(row: &Row<'_>) -> SqlResult<Subscriber> {
        let frequency: String = row.get(2)?;
        Ok(Subscriber {
            id: row.get(0)?,
            email: row.get(1)?,
            frequency: frequency.parse().unwrap_or(Frequency::Monthly),
            manuals: Vec::new(),
            all_manuals: row.flag(3)?,
            confirmed: row.flag(4)?,
            flagged: row.flag(5)?,
            created_at: row.get(6)?,
            token_version: row.get(7)?,
        })
    }

    pub(super) fn with_manuals(
        &self,
        mut subscriber: Subscriber,
    ) -> Result<Subscriber, SubscriberError> {
        subscriber.manuals = self
            .conn()?
            .query_map(
                "SELECT manual FROM subscriber_manuals WHERE subscriber_id = $1 ORDER BY manual",
                args![subscriber.id],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        Ok(subscriber)
    }

    pub(super) fn subscriber_where(
        &self,
        clause: &'static str,
        value: AnyArguments,
    ) -> Result<Option<Subscriber>, SubscriberError> {
        let conn = self.conn()?;
        let found = conn
            .query_row(
                AssertSqlSafe(format!(
                    "SELECT {SUBSCRIBER_COLUMNS} FROM subscribers WHERE {clause}"
                )),
                value,
                Db::subscriber_from_row,
            )
            .optional()
            .map_err(|e| self.err(e))?;
        found.map(|s| self.with_manuals(s)).transpose()
    }

    /// The condition "the address is $1", in any case, as each engine's index serves it.
    pub(super) fn email_is(&self) -> &'static str {
        match self.engine() {
            crate::db::Engine::Sqlite => "email = $1",
            crate::db::Engine::Postgres => "lower(email) = lower($1)",
        }
    }

    /// The subscriber with this address, if any (the address is checked first).
    pub fn subscriber_by_email(&self, email: &str) -> Result<Option<Subscriber>, SubscriberError> {
        self.subscriber_where(self.email_is(), args![normalise_address(email)?])
    }

    /// Removes a subscriber, their manuals and their ledger rows at once.
    pub fn remove_subscriber(&self, id: i64) -> Result<(), SubscriberError> {
        let conn = self.conn()?;
        conn.execute("DELETE FROM subscribers WHERE id = $1", args![id])
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Changes what a subscriber follows and how often (from the manage page).
    pub fn update_preferences(
        &self,
        id: i64,
        manuals: &[ManualId],
        frequency: Frequency,
    ) -> Result<(), SubscriberError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE subscribers SET frequency = $2, all_manuals = $3 WHERE id = $1",
                args![id, frequency.to_string(), i64::from(manuals.is_empty())],
            )?;
            replace_manuals(tx, id, manuals)
        })?;
        Ok(())
    }

    /// Every subscriber, with the manuals they follow, by id.
    pub fn subscribers(&self) -> Result<Vec<Subscriber>, SubscriberError> {
        let conn = self.conn()?;
        let mut subscribers: Vec<Subscriber> = conn
            .query_map(
                AssertSqlSafe(format!(
                    "SELECT {SUBSCRIBER_COLUMNS} FROM subscribers ORDER BY id"
                )),
                args![],
                Db::subscriber_from_row,
            )
            .map_err(|e| self.err(e))?;
        let pairs = conn
            .query_map(
                "SELECT subscriber_id, manual FROM subscriber_manuals ORDER BY subscriber_id, manual",
                args![],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
            )
            .map_err(|e| self.err(e))?;
        let index: std::collections::HashMap<i64, usize> = subscribers
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id, i))
            .collect();
        for (id, manual) in pairs {
            if let Some(&i) = index.get(&id) {
                subscribers[i].manuals.push(manual);
            }
        }
        Ok(subscribers)
    }
}

/// Sets the manuals a subscriber follows (none: every manual).
pub(super) fn replace_manuals(conn: &Conn<'_>, id: i64, manuals: &[ManualId]) -> SqlResult<()> {
    conn.execute(
        "DELETE FROM subscriber_manuals WHERE subscriber_id = $1",
        args![id],
    )?;
    for manual in manuals {
        conn.execute(
            "INSERT INTO subscriber_manuals (subscriber_id, manual) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            args![id, manual.as_str()],
        )?;
    }
    Ok(())
}
