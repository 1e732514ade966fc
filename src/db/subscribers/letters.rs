//! The emails a subscription request is answered with: a confirmation link for a new or
//! unconfirmed address, a note with the manage link for one subscribed already.

use chrono::{DateTime, Utc};

use super::super::Db;
use super::{CONFIRMATION_LIFETIME, Frequency, Subscribed, SubscriberError, TokenKey};
use crate::mail::{Letter, two_parts};
use crate::notice::Links;

/// What both parts of a confirmation request show.
struct Confirm<'a> {
    what: &'a str,
    email: &'a str,
    confirm_url: &'a str,
    hours: i64,
    manage_url: &'a str,
    unsubscribe_url: &'a str,
}

two_parts!(Confirm, "email/confirm.txt", "email/confirm.html");

/// What both parts of the note to an address subscribed already show.
struct Existing<'a> {
    email: &'a str,
    manage_url: &'a str,
    unsubscribe_url: &'a str,
}

two_parts!(Existing, "email/existing.txt", "email/existing.html");

/// Why a subscription letter could not be written.
#[derive(Debug, thiserror::Error)]
pub enum LetterError {
    #[error(transparent)]
    Subscribers(#[from] SubscriberError),
    #[error("email template: {0}")]
    Template(#[from] askama::Error),
}

/// The email a subscription request is answered with: a confirmation link for a new or
/// unconfirmed address, a note with the manage link for one subscribed already (so the
/// web answer can be the same either way), nothing when an administrator added it.
pub fn subscription_letter(
    db: &Db,
    links: &Links,
    outcome: &Subscribed,
) -> Result<Option<Letter>, LetterError> {
    if !answered_by_email(outcome) {
        return Ok(None);
    }
    let key = db.subscriber_token_key()?;
    Ok(compose(outcome, &key, links, db.clock.now())?)
}

fn answered_by_email(outcome: &Subscribed) -> bool {
    matches!(
        outcome,
        Subscribed::New {
            confirm_token: Some(_),
            ..
        } | Subscribed::Unconfirmed { .. }
            | Subscribed::Existing { updated: false, .. }
    )
}

/// The letter for a request's outcome, from the key of subscribers' tokens and the time
/// now (which tells apart the notes to an address subscribed already).
pub(super) fn compose(
    outcome: &Subscribed,
    key: &TokenKey,
    links: &Links,
    now: DateTime<Utc>,
) -> Result<Option<Letter>, askama::Error> {
    let (subscriber, confirm_token) = match outcome {
        Subscribed::New {
            subscriber,
            confirm_token: Some(token),
        }
        | Subscribed::Unconfirmed {
            subscriber,
            confirm_token: token,
        } => (subscriber, Some(token)),
        Subscribed::Existing {
            subscriber,
            updated: false,
        } => (subscriber, None),
        _ => return Ok(None),
    };
    // Even the confirmation carries working manage and unsubscribe links: "not me" is one
    // click too.
    let own = key.token_for(subscriber);
    let manage_url = links.page(&format!("/subscriptions/manage?token={}", own.as_str()));
    let unsubscribe_url = links.page(&format!("/unsubscribe?token={}", own.as_str()));
    let email = subscriber.email.as_str();
    let Some(token) = confirm_token else {
        let (text, html) = Existing {
            email,
            manage_url: &manage_url,
            unsubscribe_url: &unsubscribe_url,
        }
        .parts()?;
        return Ok(Some(Letter {
            to: email.to_owned(),
            subject: "You are already subscribed to the procedure updates".into(),
            text,
            html,
            id: format!("existing.{}.{}", subscriber.id, now.timestamp_millis()),
            unsubscribe: Some(unsubscribe_url),
        }));
    };
    let token = token.as_str();
    let confirm_url = links.page(&format!("/subscriptions/confirm?token={token}"));
    let what = match subscriber.frequency {
        Frequency::Monthly => "a monthly email of the changes to the safeguarding procedures",
        Frequency::Immediate => "an email whenever the safeguarding procedures change",
    };
    let (text, html) = Confirm {
        what,
        email,
        confirm_url: &confirm_url,
        hours: CONFIRMATION_LIFETIME.num_hours(),
        manage_url: &manage_url,
        unsubscribe_url: &unsubscribe_url,
    }
    .parts()?;
    Ok(Some(Letter {
        to: email.to_owned(),
        subject: "Confirm your subscription to the procedure updates".into(),
        text,
        html,
        id: format!(
            "confirm.{}.{}",
            subscriber.id,
            &token[..12.min(token.len())]
        ),
        unsubscribe: Some(unsubscribe_url),
    }))
}
