//! Subscriber records: reading them with the manuals they follow, changing preferences,
//! removing them.

use rusqlite::{OptionalExtension, params};

use super::super::Db;
use super::{Frequency, Subscriber, SubscriberError, normalise_address};
use crate::content::ManualId;

const SUBSCRIBER_COLUMNS: &str = "id, email, frequency, all_manuals, confirmed_at IS NOT NULL, flagged_at IS NOT NULL, created_at, token_version";

impl Db {
    pub(super) fn subscriber_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Subscriber> {
        let frequency: String = row.get(2)?;
        Ok(Subscriber {
            id: row.get(0)?,
            email: row.get(1)?,
            frequency: frequency.parse().unwrap_or(Frequency::Monthly),
            manuals: Vec::new(),
            all_manuals: row.get(3)?,
            confirmed: row.get(4)?,
            flagged: row.get(5)?,
            created_at: row.get(6)?,
            token_version: row.get(7)?,
        })
    }

    pub(super) fn with_manuals(
        &self,
        mut subscriber: Subscriber,
    ) -> Result<Subscriber, SubscriberError> {
        let conn = self.conn()?;
        let mut statement = conn
            .prepare_cached(
                "SELECT manual FROM subscriber_manuals WHERE subscriber_id = ?1 ORDER BY manual",
            )
            .map_err(|e| self.err(e))?;
        subscriber.manuals = statement
            .query_map(params![subscriber.id], |r| r.get(0))
            .map_err(|e| self.err(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))?;
        Ok(subscriber)
    }

    pub(super) fn subscriber_where(
        &self,
        clause: &str,
        value: impl rusqlite::ToSql,
    ) -> Result<Option<Subscriber>, SubscriberError> {
        let conn = self.conn()?;
        let found = conn
            .query_row(
                &format!("SELECT {SUBSCRIBER_COLUMNS} FROM subscribers WHERE {clause}"),
                params![value],
                Db::subscriber_from_row,
            )
            .optional()
            .map_err(|e| self.err(e))?;
        found.map(|s| self.with_manuals(s)).transpose()
    }

    /// The subscriber with this address, if any (the address is checked first).
    pub fn subscriber_by_email(&self, email: &str) -> Result<Option<Subscriber>, SubscriberError> {
        self.subscriber_where("email = ?1", normalise_address(email)?)
    }

    /// Removes a subscriber, their manuals and their ledger rows at once.
    pub fn remove_subscriber(&self, id: i64) -> Result<(), SubscriberError> {
        let conn = self.conn()?;
        conn.execute("DELETE FROM subscribers WHERE id = ?1", params![id])
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
                "UPDATE subscribers SET frequency = ?2, all_manuals = ?3 WHERE id = ?1",
                params![id, frequency.to_string(), manuals.is_empty()],
            )?;
            replace_manuals(tx, id, manuals)
        })?;
        Ok(())
    }

    /// Every subscriber, with the manuals they follow, by id.
    pub fn subscribers(&self) -> Result<Vec<Subscriber>, SubscriberError> {
        let conn = self.conn()?;
        let mut statement = conn
            .prepare(&format!(
                "SELECT {SUBSCRIBER_COLUMNS} FROM subscribers ORDER BY id"
            ))
            .map_err(|e| self.err(e))?;
        let mut subscribers: Vec<Subscriber> = statement
            .query_map([], Db::subscriber_from_row)
            .map_err(|e| self.err(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))?;
        let mut follows = conn
            .prepare("SELECT subscriber_id, manual FROM subscriber_manuals ORDER BY subscriber_id, manual")
            .map_err(|e| self.err(e))?;
        let pairs = follows
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .map_err(|e| self.err(e))?;
        let index: std::collections::HashMap<i64, usize> = subscribers
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id, i))
            .collect();
        for pair in pairs {
            let (id, manual) = pair.map_err(|e| self.err(e))?;
            if let Some(&i) = index.get(&id) {
                subscribers[i].manuals.push(manual);
            }
        }
        Ok(subscribers)
    }
}

/// Sets the manuals a subscriber follows (none: every manual).
pub(super) fn replace_manuals(
    conn: &rusqlite::Connection,
    id: i64,
    manuals: &[ManualId],
) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM subscriber_manuals WHERE subscriber_id = ?1")?
        .execute(params![id])?;
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO subscriber_manuals (subscriber_id, manual) VALUES (?1, ?2)",
    )?;
    for manual in manuals {
        insert.execute(params![id, manual.as_str()])?;
    }
    Ok(())
}
