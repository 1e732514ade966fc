//! Subscribers, the manuals they follow, double opt-in, and the delivery ledger that makes
//! digests exactly-once in effect.
//!
//! A subscriber's manage/unsubscribe token is not stored: it is an HMAC of the subscriber's
//! id and creation time under a key kept in the database, so a link works for as long as
//! the subscription lives and no longer. Confirmation tokens are random, stored hashed, and
//! expire.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration};
use hmac::{Hmac, Mac};
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{Db, DbError};
use crate::content::ManualId;

/// How long a confirmation link works.
pub const CONFIRMATION_LIFETIME: Duration = Duration::hours(72);
/// Permanent delivery failures in a row after which a subscriber is flagged (and skipped).
pub const FLAG_AFTER_FAILURES: i64 = 3;
/// Longest address accepted (RFC 5321's path limit).
const MAX_ADDRESS: usize = 254;

/// How often a subscriber hears from us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    /// One digest a month of the releases dated in the month before.
    Monthly,
    /// A notice for each release when it comes into force.
    Immediate,
}

impl FromStr for Frequency {
    type Err = SubscriberError;
    fn from_str(s: &str) -> Result<Frequency, SubscriberError> {
        match s {
            "monthly" | "" => Ok(Frequency::Monthly),
            "immediate" => Ok(Frequency::Immediate),
            other => Err(SubscriberError::Invalid(format!(
                "unknown frequency {:?}: use monthly or immediate",
                other.chars().take(40).collect::<String>()
            ))),
        }
    }
}

impl fmt::Display for Frequency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Frequency::Monthly => "monthly",
            Frequency::Immediate => "immediate",
        })
    }
}

/// A subscription to make or change.
#[derive(Debug, Clone)]
pub struct NewSubscriber {
    pub email: String,
    /// Empty: every manual, including manuals added later.
    pub manuals: Vec<ManualId>,
    pub frequency: Frequency,
    /// The address has consented elsewhere (an administrator's list): no opt-in email.
    pub confirmed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Subscriber {
    pub id: i64,
    pub email: String,
    pub frequency: Frequency,
    /// Empty when `all_manuals`.
    pub manuals: Vec<String>,
    pub all_manuals: bool,
    pub confirmed: bool,
    pub flagged: bool,
    #[serde(skip)]
    created_at: String,
}

impl Subscriber {
    /// The day the subscription was made (UTC).
    pub fn subscribed_on(&self) -> chrono::NaiveDate {
        DateTime::parse_from_rfc3339(&self.created_at)
            .map_or(chrono::NaiveDate::MIN, |t| t.date_naive())
    }

    /// True when the subscriber follows `manual`.
    pub fn follows(&self, manual: &str) -> bool {
        self.all_manuals || self.manuals.iter().any(|m| m == manual)
    }
}

/// What a subscription request did.
#[derive(Debug, Clone)]
pub enum Subscribed {
    /// A new address: confirmed, or awaiting confirmation with this token.
    New {
        subscriber: Subscriber,
        confirm_token: Option<String>,
    },
    /// An address not yet confirmed: preferences replaced, a fresh confirmation token.
    Unconfirmed {
        subscriber: Subscriber,
        confirm_token: String,
    },
    /// A confirmed address: changed only when the request was an administrator's.
    Existing {
        subscriber: Subscriber,
        updated: bool,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum SubscriberError {
    #[error("{0}")]
    Invalid(String),
    #[error("no subscriber {0}")]
    Unknown(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

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

/// Checks and normalises an email address: one plain `local@domain`, no display name, no
/// spaces or control characters (nothing that could smuggle a header), domain lower-cased.
pub fn normalise_address(text: &str) -> Result<String, SubscriberError> {
    let bad = || {
        SubscriberError::Invalid(format!(
            "{:?} is not an email address",
            text.chars().take(80).collect::<String>()
        ))
    };
    let trimmed = text.trim();
    if trimmed.is_empty()
        || trimmed.len() > MAX_ADDRESS
        || trimmed.chars().any(|c| {
            c.is_control() || c.is_whitespace() || matches!(c, '<' | '>' | ',' | ';' | '"' | '\\')
        })
    {
        return Err(bad());
    }
    let address: lettre::Address = trimmed.parse().map_err(|_| bad())?;
    if !address.domain().contains('.') {
        return Err(bad());
    }
    Ok(format!(
        "{}@{}",
        address.user(),
        address.domain().to_ascii_lowercase()
    ))
}

fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn random_hex() -> Result<String, SubscriberError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| SubscriberError::Invalid(format!("no randomness for a token: {e}")))?;
    Ok(hex(&bytes))
}

const SUBSCRIBER_COLUMNS: &str = "id, email, frequency, all_manuals, confirmed_at IS NOT NULL, flagged_at IS NOT NULL, created_at";

impl Db {
    fn subscriber_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Subscriber> {
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
        })
    }

    fn with_manuals(&self, mut subscriber: Subscriber) -> Result<Subscriber, SubscriberError> {
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

    fn subscriber_where(
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

    pub fn subscriber_by_email(&self, email: &str) -> Result<Option<Subscriber>, SubscriberError> {
        self.subscriber_where("email = ?1", normalise_address(email)?)
    }

    /// Subscribes an address, or changes a subscription (see [`Subscribed`]). The caller
    /// sends the confirmation email when a token comes back.
    pub fn subscribe(&self, new: &NewSubscriber) -> Result<Subscribed, SubscriberError> {
        let conn = self.conn()?;
        let email = normalise_address(&new.email)?;
        let existing = self.subscriber_where("email = ?1", &email)?;
        if let Some(s) = &existing
            && s.confirmed
            && !new.confirmed
        {
            // Nobody changes a confirmed subscription by knowing its address.
            return Ok(Subscribed::Existing {
                subscriber: s.clone(),
                updated: false,
            });
        }
        let path = self.path.clone();
        let err = |source| DbError::Sqlite {
            path: path.clone(),
            source,
        };
        let all = new.manuals.is_empty();
        let tx = conn.unchecked_transaction().map_err(err)?;
        let id = match &existing {
            None => {
                tx.execute(
                    "INSERT INTO subscribers (email, frequency, all_manuals, confirmed_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![email, new.frequency.to_string(), all, new.confirmed.then(|| self.now()), self.now()],
                )
                .map_err(err)?;
                tx.last_insert_rowid()
            }
            Some(s) => {
                tx.execute(
                    "UPDATE subscribers SET frequency = ?2, all_manuals = ?3, confirmed_at = COALESCE(confirmed_at, ?4) WHERE id = ?1",
                    params![s.id, new.frequency.to_string(), all, new.confirmed.then(|| self.now())],
                )
                .map_err(err)?;
                s.id
            }
        };
        replace_manuals(&tx, id, &new.manuals).map_err(err)?;
        let token = if new.confirmed {
            tx.execute(
                "DELETE FROM confirmations WHERE subscriber_id = ?1",
                params![id],
            )
            .map_err(err)?;
            None
        } else {
            let token = random_hex()?;
            let expires = (self.clock.now() + CONFIRMATION_LIFETIME).to_rfc3339();
            tx.execute(
                "DELETE FROM confirmations WHERE subscriber_id = ?1",
                params![id],
            )
            .map_err(err)?;
            tx.execute(
                "INSERT INTO confirmations (token_hash, subscriber_id, expires_at) VALUES (?1, ?2, ?3)",
                params![hash(&token), id, expires],
            )
            .map_err(err)?;
            Some(token)
        };
        tx.commit().map_err(err)?;
        let subscriber = self
            .subscriber_where("id = ?1", id)?
            .ok_or_else(|| SubscriberError::Unknown(id.to_string()))?;
        Ok(match (existing, token) {
            (None, confirm_token) => Subscribed::New {
                subscriber,
                confirm_token,
            },
            (Some(_), Some(confirm_token)) => Subscribed::Unconfirmed {
                subscriber,
                confirm_token,
            },
            (Some(_), None) => Subscribed::Existing {
                subscriber,
                updated: true,
            },
        })
    }

    /// Confirms the subscription a confirmation token was sent for. `None` when the token
    /// is unknown, used, or expired.
    pub fn confirm(&self, token: &str) -> Result<Option<Subscriber>, SubscriberError> {
        let conn = self.conn()?;
        let row: Option<(i64, String)> = conn
            .query_row(
                "SELECT subscriber_id, expires_at FROM confirmations WHERE token_hash = ?1",
                params![hash(token.trim())],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let Some((id, expires)) = row else {
            return Ok(None);
        };
        let expired = DateTime::parse_from_rfc3339(&expires).map_or(true, |e| e < self.clock.now());
        conn.execute(
            "DELETE FROM confirmations WHERE token_hash = ?1",
            params![hash(token.trim())],
        )
        .map_err(|e| self.err(e))?;
        if expired {
            return Ok(None);
        }
        conn.execute(
            "UPDATE subscribers SET confirmed_at = COALESCE(confirmed_at, ?2) WHERE id = ?1",
            params![id, self.now()],
        )
        .map_err(|e| self.err(e))?;
        self.subscriber_where("id = ?1", id)
    }

    /// The key manage/unsubscribe tokens are made with (created on first use).
    pub fn subscriber_token_key(&self) -> Result<Vec<u8>, SubscriberError> {
        self.token_key()
    }

    /// A subscriber's token under a key from [`Db::subscriber_token_key`] (for making many).
    pub fn subscriber_token_with(key: &[u8], subscriber: &Subscriber) -> String {
        format!("{}.{}", subscriber.id, hex(&Db::mac(key, subscriber)))
    }

    fn token_key(&self) -> Result<Vec<u8>, SubscriberError> {
        let conn = self.conn()?;
        if let Some(key) = conn
            .query_row(
                "SELECT value FROM secrets WHERE name = 'subscriber-token'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?
        {
            return Ok(key);
        }
        let mut key = vec![0u8; 32];
        getrandom::fill(&mut key)
            .map_err(|e| SubscriberError::Invalid(format!("no randomness for a key: {e}")))?;
        conn.execute(
            "INSERT OR IGNORE INTO secrets (name, value) VALUES ('subscriber-token', ?1)",
            params![key],
        )
        .map_err(|e| self.err(e))?;
        conn.query_row(
            "SELECT value FROM secrets WHERE name = 'subscriber-token'",
            [],
            |r| r.get(0),
        )
        .map_err(|e| self.err(e).into())
    }

    fn mac(key: &[u8], subscriber: &Subscriber) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(format!("manage:{}:{}", subscriber.id, subscriber.created_at).as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// The token in a subscriber's manage and unsubscribe links.
    pub fn subscriber_token(&self, subscriber: &Subscriber) -> Result<String, SubscriberError> {
        let key = self.token_key()?;
        Ok(format!(
            "{}.{}",
            subscriber.id,
            hex(&Db::mac(&key, subscriber))
        ))
    }

    /// The subscriber a manage/unsubscribe token belongs to, if the subscription lives.
    pub fn subscriber_for_token(&self, token: &str) -> Result<Option<Subscriber>, SubscriberError> {
        let Some((id, given)) = token.trim().split_once('.') else {
            return Ok(None);
        };
        let Ok(id) = id.parse::<i64>() else {
            return Ok(None);
        };
        let Some(subscriber) = self.subscriber_where("id = ?1", id)? else {
            return Ok(None);
        };
        let expected = hex(&Db::mac(&self.token_key()?, &subscriber));
        Ok(bool::from(expected.as_bytes().ct_eq(given.as_bytes())).then_some(subscriber))
    }

    /// Ends a subscription at once. True when there was one; a second call is harmless.
    pub fn unsubscribe(&self, token: &str) -> Result<bool, SubscriberError> {
        let Some(subscriber) = self.subscriber_for_token(token)? else {
            return Ok(false);
        };
        self.remove_subscriber(subscriber.id)?;
        Ok(true)
    }

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
        let conn = self.conn()?;
        let path = self.path.clone();
        let err = |source| DbError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = conn.unchecked_transaction().map_err(err)?;
        tx.execute(
            "UPDATE subscribers SET frequency = ?2, all_manuals = ?3 WHERE id = ?1",
            params![id, frequency.to_string(), manuals.is_empty()],
        )
        .map_err(err)?;
        replace_manuals(&tx, id, manuals).map_err(err)?;
        tx.commit().map_err(err)?;
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

    // ----- the delivery ledger -----

    /// Plans one delivery per subscriber for a period; deliveries planned before are left
    /// as they are (a rerun never doubles one).
    pub fn plan_deliveries(
        &self,
        period: &str,
        subscribers: &[i64],
    ) -> Result<(), SubscriberError> {
        let conn = self.conn()?;
        let path = self.path.clone();
        let err = |source| DbError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = conn.unchecked_transaction().map_err(err)?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO deliveries (subscriber_id, period, state, updated_at) VALUES (?1, ?2, 'pending', ?3)",
                )
                .map_err(err)?;
            let at = self.now();
            for id in subscribers {
                insert.execute(params![id, period, at]).map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok(())
    }

    /// Deliveries of a period still to make: planned, or interrupted mid-exchange.
    pub fn open_deliveries(&self, period: &str) -> Result<Vec<Delivery>, SubscriberError> {
        self.deliveries_where(period, "state IN ('pending', 'sending')")
    }

    /// Every delivery of a period.
    pub fn deliveries(&self, period: &str) -> Result<Vec<Delivery>, SubscriberError> {
        self.deliveries_where(period, "1")
    }

    fn deliveries_where(
        &self,
        period: &str,
        clause: &str,
    ) -> Result<Vec<Delivery>, SubscriberError> {
        let conn = self.conn()?;
        let mut statement = conn
            .prepare(&format!(
                "SELECT id, subscriber_id, period, state, attempts FROM deliveries WHERE period = ?1 AND {clause} ORDER BY id"
            ))
            .map_err(|e| self.err(e))?;
        let rows = statement
            .query_map(params![period], |r| {
                Ok(Delivery {
                    id: r.get(0)?,
                    subscriber_id: r.get(1)?,
                    period: r.get(2)?,
                    state: DeliveryState::parse(&r.get::<_, String>(3)?),
                    attempts: r.get(4)?,
                })
            })
            .map_err(|e| self.err(e))?
            .collect::<Result<_, _>>()
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
    /// with the same rules as [`Db::record_delivery`].
    pub fn record_deliveries(
        &self,
        updates: &[(Delivery, DeliveryState, Option<String>)],
    ) -> Result<(), SubscriberError> {
        let conn = self.conn()?;
        if updates.is_empty() {
            return Ok(());
        }
        let path = self.path.clone();
        let now = self.now();
        let tx = conn
            .unchecked_transaction()
            .map_err(|source| DbError::Sqlite {
                path: path.clone(),
                source,
            })?;
        for (delivery, state, error) in updates {
            record(&tx, delivery, *state, error.as_deref(), &now).map_err(|source| {
                DbError::Sqlite {
                    path: path.clone(),
                    source,
                }
            })?;
        }
        tx.commit()
            .map_err(|source| DbError::Sqlite { path, source })?;
        Ok(())
    }

    /// Records that every delivery of a period was made (or given up).
    pub fn finish_period(&self, period: &str) -> Result<(), SubscriberError> {
        let conn = self.conn()?;
        conn.execute(
            "INSERT INTO periods (period, finished_at) VALUES (?1, ?2)
                 ON CONFLICT (period) DO UPDATE SET finished_at = excluded.finished_at",
            params![period, self.now()],
        )
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// True when a period's run finished.
    pub fn period_finished(&self, period: &str) -> Result<bool, SubscriberError> {
        let conn = self.conn()?;
        Ok(conn
            .query_row(
                "SELECT finished_at IS NOT NULL FROM periods WHERE period = ?1",
                params![period],
                |r| r.get::<_, bool>(0),
            )
            .optional()
            .map_err(|e| self.err(e))?
            .unwrap_or(false))
    }
}

/// Sets the manuals a subscriber follows (none: every manual).
fn replace_manuals(
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

/// One delivery's new state, within the caller's transaction (or on its own).
fn record(
    conn: &rusqlite::Connection,
    delivery: &Delivery,
    state: DeliveryState,
    error: Option<&str>,
    now: &str,
) -> rusqlite::Result<()> {
    let attempt = i64::from(state == DeliveryState::Sending);
    conn.prepare_cached(
        "UPDATE deliveries SET state = ?2, attempts = attempts + ?3, last_error = ?4, updated_at = ?5 WHERE id = ?1",
    )?
    .execute(params![delivery.id, state.as_str(), attempt, error, now])?;
    match state {
        DeliveryState::Sent => {
            conn.prepare_cached(
                "UPDATE subscribers SET failures = 0 WHERE id = ?1 AND failures > 0",
            )?
            .execute(params![delivery.subscriber_id])?;
        }
        DeliveryState::Failed => {
            conn.prepare_cached(
                "UPDATE subscribers SET failures = failures + 1,
                    flagged_at = CASE WHEN failures + 1 >= ?2 THEN COALESCE(flagged_at, ?3) ELSE flagged_at END
                 WHERE id = ?1",
            )?
            .execute(params![delivery.subscriber_id, FLAG_AFTER_FAILURES, now])?;
        }
        DeliveryState::Pending | DeliveryState::Sending => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(
            &dir.path().join("db.sqlite"),
            crate::clock::Clock::system(chrono_tz::Europe::London),
        )
        .unwrap();
        (dir, db)
    }

    fn new(email: &str, confirmed: bool) -> NewSubscriber {
        NewSubscriber {
            email: email.into(),
            manuals: vec!["children".parse().unwrap()],
            frequency: Frequency::Monthly,
            confirmed,
        }
    }

    #[test]
    fn addresses_are_checked_and_normalised() {
        assert_eq!(
            normalise_address(" Sam@Example.ORG ").unwrap(),
            "Sam@example.org"
        );
        for bad in [
            "",
            "sam",
            "sam@localhost",
            "a@b.org\r\nBcc: x@y.org",
            "a@b.org\nBcc: x@y.org",
            "Sam <sam@example.org>",
            "a@b.org, c@d.org",
            "a b@c.org",
            &format!("{}@example.org", "x".repeat(300)),
        ] {
            assert!(normalise_address(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn double_opt_in_then_tokens_that_live_with_the_subscription() {
        let (_dir, db) = db();
        let Subscribed::New {
            subscriber,
            confirm_token: Some(token),
        } = db.subscribe(&new("a@example.org", false)).unwrap()
        else {
            panic!("a new unconfirmed subscriber");
        };
        assert!(!subscriber.confirmed);
        assert_eq!(db.confirm("wrong").unwrap(), None);
        let confirmed = db.confirm(&token).unwrap().unwrap();
        assert!(confirmed.confirmed);
        assert_eq!(
            db.confirm(&token).unwrap(),
            None,
            "a confirmation token works once"
        );
        // Knowing the address changes nothing of a confirmed subscription.
        let mut other = new("A@EXAMPLE.org", false);
        other.frequency = Frequency::Immediate;
        assert!(matches!(
            db.subscribe(&other).unwrap(),
            Subscribed::Existing { updated: false, .. }
        ));
        assert_eq!(
            db.subscriber_by_email("a@example.org")
                .unwrap()
                .unwrap()
                .frequency,
            Frequency::Monthly
        );

        let manage = db.subscriber_token(&confirmed).unwrap();
        assert_eq!(
            db.subscriber_for_token(&manage).unwrap().unwrap().id,
            confirmed.id
        );
        assert_eq!(
            db.subscriber_for_token(&format!("{manage}0")).unwrap(),
            None
        );
        assert!(db.unsubscribe(&manage).unwrap());
        assert!(
            !db.unsubscribe(&manage).unwrap(),
            "unsubscribing twice is harmless"
        );
        // A new subscription by the same address gets new links.
        db.subscribe(&new("a@example.org", true)).unwrap();
        assert_eq!(db.subscriber_for_token(&manage).unwrap(), None);
    }

    #[test]
    fn the_ledger_plans_once_and_flags_repeated_failures() {
        let (_dir, db) = db();
        db.subscribe(&new("a@example.org", true)).unwrap();
        let id = db.subscriber_by_email("a@example.org").unwrap().unwrap().id;
        db.plan_deliveries("2024-04", &[id]).unwrap();
        db.plan_deliveries("2024-04", &[id]).unwrap();
        let open = db.open_deliveries("2024-04").unwrap();
        assert_eq!(open.len(), 1);
        db.record_delivery(&open[0], DeliveryState::Sending, None)
            .unwrap();
        db.record_delivery(&open[0], DeliveryState::Sent, None)
            .unwrap();
        assert!(db.open_deliveries("2024-04").unwrap().is_empty());
        for period in ["p1", "p2", "p3"] {
            db.plan_deliveries(period, &[id]).unwrap();
            let d = db.open_deliveries(period).unwrap().remove(0);
            db.record_delivery(&d, DeliveryState::Failed, Some("550 no such user"))
                .unwrap();
        }
        assert!(
            db.subscriber_by_email("a@example.org")
                .unwrap()
                .unwrap()
                .flagged
        );
    }
}
