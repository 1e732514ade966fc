//! Double opt-in: a subscription request, and the confirmation its emailed link makes.

use crate::db::engine::{OptionalExtension, args};
use chrono::DateTime;

use super::super::Db;
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
        let email = normalise_address(&new.email)?;
        let existing = self.subscriber_where(self.email_is(), args![&email])?;
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
                    "INSERT INTO confirmations (token_hash, subscriber_id, expires_at) VALUES ($1, $2, $3)",
                    args![&sha256(token.as_str().as_bytes())[..], id, expires],
                )
            })?;
            return Ok(Subscribed::Unconfirmed {
                subscriber: s.clone(),
                confirm_token: token,
            });
        }
        let all = i64::from(new.manuals.is_empty());
        let confirmed_at = new.confirmed.then(|| self.now());
        let token =
            if new.confirmed {
                None
            } else {
                Some(random_token().map_err(|e| {
                    SubscriberError::Invalid(format!("no randomness for a token: {e}"))
                })?)
            };
        let expires = (self.clock.now() + CONFIRMATION_LIFETIME).to_rfc3339();
        let id = self.write(|tx| {
            let id = match &existing {
                None => tx.query_row(
                    "INSERT INTO subscribers (email, frequency, all_manuals, confirmed_at, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    args![&email, new.frequency.to_string(), all, confirmed_at.clone(), self.now()],
                    |r| r.get::<_, i64>(0),
                )?,
                Some(s) => {
                    tx.execute(
                        "UPDATE subscribers SET frequency = $2, all_manuals = $3, confirmed_at = COALESCE(confirmed_at, $4) WHERE id = $1",
                        args![s.id, new.frequency.to_string(), all, confirmed_at.clone()],
                    )?;
                    s.id
                }
            };
            replace_manuals(tx, id, &new.manuals)?;
            tx.execute(
                "DELETE FROM confirmations WHERE subscriber_id = $1",
                args![id],
            )?;
            if let Some(token) = &token {
                tx.execute(
                    "INSERT INTO confirmations (token_hash, subscriber_id, expires_at) VALUES ($1, $2, $3)",
                    args![&sha256(token.as_str().as_bytes())[..], id, &expires],
                )?;
            }
            Ok(id)
        })?;
        let subscriber = self
            .subscriber_where("id = $1", args![id])?
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
        let hash = sha256(token.trim().as_bytes());
        let now = self.clock.now();
        // A token works once: it is taken in the same turn as the subscriber is confirmed.
        let confirmed = self.write(|tx| {
            let row: Option<(i64, String)> = tx
                .query_row(
                    "DELETE FROM confirmations WHERE token_hash = $1 RETURNING subscriber_id, expires_at",
                    args![&hash[..]],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((id, expires)) = row else {
                return Ok(None);
            };
            if DateTime::parse_from_rfc3339(&expires).map_or(true, |e| e < now) {
                return Ok(None);
            }
            tx.execute(
                "UPDATE subscribers SET confirmed_at = COALESCE(confirmed_at, $2) WHERE id = $1",
                args![id, now.to_rfc3339()],
            )?;
            Ok(Some(id))
        })?;
        match confirmed {
            Some(id) => self.subscriber_where("id = $1", args![id]),
            None => Ok(None),
        }
    }
}
