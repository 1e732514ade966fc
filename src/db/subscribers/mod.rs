//! Subscribers: who they are, the manuals they follow and how often, and what a
//! subscription request did; the rooms below hold the records, double opt-in, the tokens
//! of their links, the delivery ledger and the letters a request is answered with.
//!
//! A subscriber's manage/unsubscribe token is not stored: it is an HMAC of the subscriber's
//! id and creation time under a key kept in the database, so a link works for as long as
//! the subscription lives and no longer. Confirmation tokens are random, stored hashed, and
//! expire.

#[cfg(test)]
mod claim_tests;
mod claims;
mod confirmations;
mod ledger;
mod letters;
mod reads;
#[cfg(test)]
mod reads_tests;
mod records;
#[cfg(test)]
mod tests;
mod tokens;

pub use claims::Claim;
pub use ledger::{Delivery, DeliveryState};
pub use letters::{LetterError, subscription_letter};
pub use reads::{Change, ReadCounts, ReadEvidence, Reading, SentRelease};
pub use tokens::TokenKey;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration};

use super::DbError;
use crate::content::ManualId;
use crate::tokens::Token;

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
    /// Bumped when the subscriber's links are rotated: the old ones stop working.
    #[serde(skip)]
    token_version: i64,
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
        confirm_token: Option<Token>,
    },
    /// An address not yet confirmed: its first choices kept, one more confirmation token.
    Unconfirmed {
        subscriber: Subscriber,
        confirm_token: Token,
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
    let (user, domain) = crate::mail::address_parts(trimmed).ok_or_else(bad)?;
    // Mail goes out without SMTPUTF8: the local part must be ASCII, and an international
    // domain is written in its ASCII (IDNA) form. Address literals (`a@[127.0.0.1]`) and
    // bare IP addresses are refused.
    if !user.is_ascii() || domain.starts_with('[') {
        return Err(bad());
    }
    let domain = idna::domain_to_ascii(&domain).map_err(|_| bad())?;
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    let top = labels.last().copied().unwrap_or_default();
    if labels.len() < 2 || !labels.iter().all(label_ok) || top.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    Ok(format!("{user}@{domain}"))
}
