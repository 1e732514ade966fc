//! Double opt-in: a subscription request, and the confirmation its emailed link makes.

use chrono::DateTime;
use rusqlite::{OptionalExtension, params};

use super::super::{Db, DbError};
use super::records::replace_manuals;
use super::{
    CONFIRMATION_LIFETIME, NewSubscriber, Subscribed, Subscriber, SubscriberError,
    normalise_address,
};
use crate::tokens::{random_token, sha256};

impl Db {
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
        if let Some(s) = &existing
            && !s.confirmed
            && !new.confirmed
        {
            // Anyone can post an address: the choices made first stand, and the link
            // mailed already keeps working beside the new one.
            let token = random_token()
                .map_err(|e| SubscriberError::Invalid(format!("no randomness for a token: {e}")))?;
            let expires = (self.clock.now() + CONFIRMATION_LIFETIME).to_rfc3339();
            let id = s.id;
            self.write(|tx| {
                tx.execute(
                    "INSERT INTO confirmations (token_hash, subscriber_id, expires_at) VALUES (?1, ?2, ?3)",
                    params![sha256(token.as_str().as_bytes()), id, expires],
                )
            })?;
            return Ok(Subscribed::Unconfirmed {
                subscriber: s.clone(),
                confirm_token: token,
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
            let token = random_token()
                .map_err(|e| SubscriberError::Invalid(format!("no randomness for a token: {e}")))?;
            let expires = (self.clock.now() + CONFIRMATION_LIFETIME).to_rfc3339();
            tx.execute(
                "DELETE FROM confirmations WHERE subscriber_id = ?1",
                params![id],
            )
            .map_err(err)?;
            tx.execute(
                "INSERT INTO confirmations (token_hash, subscriber_id, expires_at) VALUES (?1, ?2, ?3)",
                params![sha256(token.as_str().as_bytes()), id, expires],
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
                params![sha256(token.trim().as_bytes())],
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
            params![sha256(token.trim().as_bytes())],
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
}
