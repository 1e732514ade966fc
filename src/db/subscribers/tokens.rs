//! The tokens of a subscriber's manage and unsubscribe links: an HMAC of the subscriber's
//! id and creation time under a key kept in the database, so a link works for as long as
//! the subscription lives and no longer.

use std::fmt;

use crate::db::engine::{OptionalExtension, args};

use super::super::Db;
use super::reads::Change;
use super::{Subscriber, SubscriberError};
use crate::tokens::{Token, hex, hmac_sha256, random_bytes, same};

/// The key subscribers' tokens are signed with. Read once for a run that makes many
/// tokens; `Debug` never shows it.
#[derive(Clone)]
pub struct TokenKey(Vec<u8>);

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKey([redacted])")
    }
}

impl TokenKey {
    /// A subscriber's manage/unsubscribe token: `<id>.<signature>`.
    pub fn token_for(&self, subscriber: &Subscriber) -> Token {
        Token::new(format!("{}.{}", subscriber.id, self.signature(subscriber)))
    }

    /// True when `given` is the signature part of `subscriber`'s token.
    fn signs(&self, subscriber: &Subscriber, given: &str) -> bool {
        same(self.signature(subscriber).as_bytes(), given.as_bytes())
    }

    /// The token of a subscriber's "I have read this change" link for one change:
    /// `<id>.<signature>`, the signature covering the subscriber and the change.
    pub fn read_token(&self, subscriber: &Subscriber, change: &Change<'_>) -> Token {
        Token::new(format!(
            "{}.{}",
            subscriber.id,
            self.read_signature(subscriber, change)
        ))
    }

    /// True when `given` is the signature part of `subscriber`'s read token for `change`.
    pub(super) fn signs_read(
        &self,
        subscriber: &Subscriber,
        change: &Change<'_>,
        given: &str,
    ) -> bool {
        same(
            self.read_signature(subscriber, change).as_bytes(),
            given.as_bytes(),
        )
    }

    /// 128 bits of an HMAC of the subscriber (as their manage token is) and the change,
    /// kept short for the many links of a digest.
    fn read_signature(&self, subscriber: &Subscriber, change: &Change<'_>) -> String {
        let what = format!(
            "read:{}:{}:v{}\n{}\n{}\n{}",
            subscriber.id,
            subscriber.created_at,
            subscriber.token_version,
            change.manual,
            change.release,
            change.chapter
        );
        hex(&hmac_sha256(&self.0, what.as_bytes())[..16])
    }

    fn signature(&self, subscriber: &Subscriber) -> String {
        let mut what = format!("manage:{}:{}", subscriber.id, subscriber.created_at);
        // Links made before rotation existed (version 0) keep working.
        if subscriber.token_version > 0 {
            what.push_str(&format!(":v{}", subscriber.token_version));
        }
        hex(&hmac_sha256(&self.0, what.as_bytes()))
    }
}

const READ_KEY: &str = "SELECT value FROM secrets WHERE name = 'subscriber-token'";

impl Db {
    /// The key manage/unsubscribe tokens are made with (created on first use).
    pub fn subscriber_token_key(&self) -> Result<TokenKey, SubscriberError> {
        let conn = self.conn()?;
        if let Some(key) = conn
            .query_row(READ_KEY, args![], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))?
        {
            return Ok(TokenKey(key));
        }
        let key = random_bytes::<32>()
            .map_err(|e| SubscriberError::Invalid(format!("no randomness for a key: {e}")))?;
        // Two first uses at once: one key is kept, and both read it back.
        conn.execute(
            "INSERT INTO secrets (name, value) VALUES ('subscriber-token', $1) ON CONFLICT (name) DO NOTHING",
            args![&key[..]],
        )
        .map_err(|e| self.err(e))?;
        let key = conn
            .query_row(READ_KEY, args![], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        Ok(TokenKey(key))
    }

    /// The token in a subscriber's manage and unsubscribe links.
    pub fn subscriber_token(&self, subscriber: &Subscriber) -> Result<Token, SubscriberError> {
        Ok(self.subscriber_token_key()?.token_for(subscriber))
    }

    /// The subscriber a manage/unsubscribe token belongs to, if the subscription lives.
    pub fn subscriber_for_token(&self, token: &str) -> Result<Option<Subscriber>, SubscriberError> {
        self.subscriber_signing(token, |key, subscriber, given| key.signs(subscriber, given))
    }

    /// The living subscriber an `<id>.<signature>` token names, when `signs` accepts the
    /// signature as theirs.
    pub(super) fn subscriber_signing(
        &self,
        token: &str,
        signs: impl Fn(&TokenKey, &Subscriber, &str) -> bool,
    ) -> Result<Option<Subscriber>, SubscriberError> {
        let Some((id, given)) = token.trim().split_once('.') else {
            return Ok(None);
        };
        let Ok(id) = id.parse::<i64>() else {
            return Ok(None);
        };
        let Some(subscriber) = self.subscriber_where("id = $1", args![id])? else {
            return Ok(None);
        };
        let key = self.subscriber_token_key()?;
        Ok(signs(&key, &subscriber, given).then_some(subscriber))
    }

    /// Ends a subscription at once. True when the token's subscription ended, now or
    /// before (a second call is harmless); false for a token that never belonged to one.
    pub fn unsubscribe(&self, token: &str) -> Result<bool, SubscriberError> {
        let hash = crate::tokens::sha256(token.trim().as_bytes());
        let Some(subscriber) = self.subscriber_for_token(token)? else {
            let ended = self
                .conn()?
                .query_row(
                    "SELECT 1 FROM ended_links WHERE token_hash = $1",
                    args![&hash[..]],
                    |_| Ok(()),
                )
                .optional()
                .map(|found| found.is_some())
                .map_err(|e| self.err(e))?;
            return Ok(ended);
        };
        let now = self.now();
        self.write(|tx| {
            tx.execute(
                "DELETE FROM subscribers WHERE id = $1",
                args![subscriber.id],
            )?;
            tx.execute(
                "INSERT INTO ended_links (token_hash, ended_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                args![&hash[..], now],
            )
        })?;
        Ok(true)
    }

    /// New manage and unsubscribe links for a subscriber: the old ones stop working.
    pub fn rotate_subscriber_token(&self, id: i64) -> Result<Token, SubscriberError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE subscribers SET token_version = token_version + 1 WHERE id = $1",
                args![id],
            )
        })?;
        let subscriber = self
            .subscriber_where("id = $1", args![id])?
            .ok_or_else(|| SubscriberError::Unknown(id.to_string()))?;
        self.subscriber_token(&subscriber)
    }
}
