//! Subscribers' records, double opt-in, link tokens, the ledger, and the letters a
//! request is answered with (sent through the in-memory mailer).

use super::*;
use crate::clock::Clock;
use crate::db::Db;
use crate::db::Engine;
use crate::db::testing::{Scratch, on_each_engine, scratch};
use crate::mail::{Mailer, SentMail};
use crate::notice::Links;

on_each_engine!(
    double_opt_in_then_tokens_that_live_with_the_subscription,
    the_ledger_plans_once_and_flags_repeated_failures,
    an_administrators_additions_and_changes_are_not_answered_by_email,
    what_a_request_did_prints_without_its_tokens;
    async a_new_address_is_sent_a_confirmation_with_list_headers_and_working_links,
    an_address_subscribed_already_is_sent_a_note_and_nothing_changes,
);

fn db(engine: Engine) -> (Scratch, Db) {
    scratch(
        engine,
        Clock::starting_at(
            "2024-05-01T06:00:00Z".parse().unwrap(),
            chrono_tz::Europe::London,
        ),
    )
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
    // International domains go out in their ASCII form.
    assert_eq!(
        normalise_address("info@bücher.example").unwrap(),
        "info@xn--bcher-kva.example"
    );
    for bad in [
        "a@[127.0.0.1]",
        "a@127.0.0.1",
        "ü@example.org",
        "a@-bad.org",
        "a@bad..org",
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

fn double_opt_in_then_tokens_that_live_with_the_subscription(engine: Engine) {
    let (_dir, db) = db(engine);
    let Subscribed::New {
        subscriber,
        confirm_token: Some(token),
    } = db.subscribe(&new("a@example.org", false)).unwrap()
    else {
        panic!("a new unconfirmed subscriber");
    };
    assert!(!subscriber.confirmed);
    assert_eq!(db.confirm("wrong").unwrap(), None);
    let confirmed = db.confirm(token.as_str()).unwrap().unwrap();
    assert!(confirmed.confirmed);
    assert_eq!(
        db.confirm(token.as_str()).unwrap(),
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
        db.subscriber_for_token(manage.as_str())
            .unwrap()
            .unwrap()
            .id,
        confirmed.id
    );
    assert_eq!(
        db.subscriber_for_token(&format!("{}0", manage.as_str()))
            .unwrap(),
        None
    );
    // Rotated links: the old ones stop working, the new ones work.
    let rotated = db.rotate_subscriber_token(confirmed.id).unwrap();
    assert_ne!(rotated.as_str(), manage.as_str());
    assert_eq!(db.subscriber_for_token(manage.as_str()).unwrap(), None);
    assert!(
        !db.unsubscribe(manage.as_str()).unwrap(),
        "an old link ends nothing"
    );
    assert!(
        db.unsubscribe(&format!("{}.00", confirmed.id))
            .is_ok_and(|ended| !ended)
    );
    let manage = rotated;
    assert!(db.unsubscribe(manage.as_str()).unwrap());
    assert!(
        db.unsubscribe(manage.as_str()).unwrap(),
        "unsubscribing twice is answered as the first time"
    );
    // A new subscription by the same address gets new links.
    db.subscribe(&new("a@example.org", true)).unwrap();
    assert_eq!(db.subscriber_for_token(manage.as_str()).unwrap(), None);
}

fn the_ledger_plans_once_and_flags_repeated_failures(engine: Engine) {
    let (_dir, db) = db(engine);
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

fn mailer() -> (Mailer, crate::mail::Memory) {
    let mut config = crate::config::Config::default();
    config.mail.from = "Procedures <procedures@example.org>".into();
    config.mail.reply_to = Some("team@example.org".into());
    let clock = Clock::starting_at(
        "2024-05-01T06:00:00Z".parse().unwrap(),
        chrono_tz::Europe::London,
    );
    Mailer::in_memory(&config, &clock).unwrap()
}

fn links() -> Links {
    Links::new("https://procedures.example.org")
}

/// Sends the letter a request is answered with and returns the message as sent.
async fn answer(db: &Db, outcome: &Subscribed) -> Option<SentMail> {
    let letter = subscription_letter(db, &links(), outcome).unwrap()?;
    let (mailer, memory) = mailer();
    mailer.send(&letter).await.unwrap();
    memory.sent().pop()
}

/// The token in the first link of `body` that starts with `prefix`.
fn token_after<'a>(body: &'a str, prefix: &str) -> &'a str {
    let start = body
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in {body}"))
        + prefix.len();
    let rest = &body[start..];
    &rest[..rest
        .find(|c: char| c.is_whitespace() || c == '"')
        .unwrap_or(rest.len())]
}

async fn a_new_address_is_sent_a_confirmation_with_list_headers_and_working_links(engine: Engine) {
    let (_dir, db) = db(engine);
    let outcome = db.subscribe(&new("new@example.org", false)).unwrap();
    let Subscribed::New {
        subscriber,
        confirm_token: Some(confirm),
    } = &outcome
    else {
        panic!("a new unconfirmed subscriber");
    };
    let mail = answer(&db, &outcome).await.unwrap();
    assert_eq!(mail.to, ["new@example.org"]);
    let header = |name: &str| mail.header(name).unwrap();
    assert_eq!(
        header("Subject"),
        "Confirm your subscription to the procedure updates"
    );
    assert_eq!(header("From"), "Procedures <procedures@example.org>");
    assert_eq!(header("Reply-To"), "team@example.org");
    assert_eq!(
        header("Message-ID"),
        format!(
            "<confirm.{}.{}@example.org>",
            subscriber.id,
            &confirm.as_str()[..12]
        )
    );
    let own = db.subscriber_token(subscriber).unwrap();
    let unsubscribe = format!(
        "https://procedures.example.org/unsubscribe?token={}",
        own.as_str()
    );
    assert_eq!(header("List-Unsubscribe"), format!("<{unsubscribe}>"));
    assert_eq!(
        header("List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );

    let body = mail.decoded();
    let confirm_url = format!(
        "https://procedures.example.org/subscriptions/confirm?token={}",
        confirm.as_str()
    );
    let manage_url = format!(
        "https://procedures.example.org/subscriptions/manage?token={}",
        own.as_str()
    );
    // The plain part, then the HTML part.
    let (text, html) = body.split_at(body.find("<!doctype html>").unwrap());
    assert!(text.contains("within 72 hours:"), "{text}");
    assert!(text.contains("a monthly email of the changes"), "{text}");
    for url in [&confirm_url, &manage_url, &unsubscribe] {
        assert!(
            text.contains(&format!("{url}\n")) || text.contains(&format!("{url}\r\n")),
            "{url} in {text}"
        );
        assert!(html.contains(&format!("href=\"{url}\"")), "{url} in {html}");
    }
    assert!(html.contains("at new@example.org"));

    // The links work: the confirmation confirms, the manage link finds the subscriber.
    let token = token_after(text, "/subscriptions/confirm?token=");
    assert!(db.confirm(token).unwrap().unwrap().confirmed);
    let manage = token_after(html, "/subscriptions/manage?token=");
    assert_eq!(
        db.subscriber_for_token(manage).unwrap().unwrap().id,
        subscriber.id
    );
}

async fn an_address_subscribed_already_is_sent_a_note_and_nothing_changes(engine: Engine) {
    let (_dir, db) = db(engine);
    db.subscribe(&new("known@example.org", true)).unwrap();
    let mut again = new("known@example.org", false);
    again.frequency = Frequency::Immediate;
    let outcome = db.subscribe(&again).unwrap();
    assert!(matches!(
        outcome,
        Subscribed::Existing { updated: false, .. }
    ));
    let Subscribed::Existing { subscriber, .. } = &outcome else {
        unreachable!()
    };
    let mail = answer(&db, &outcome).await.unwrap();
    assert_eq!(
        mail.header("Subject").unwrap(),
        "You are already subscribed to the procedure updates"
    );
    let at: chrono::DateTime<chrono::Utc> = "2024-05-01T06:00:00Z".parse().unwrap();
    let id = mail.header("Message-ID").unwrap();
    let millis: i64 = id
        .strip_prefix(&format!("<existing.{}.", subscriber.id))
        .and_then(|rest| rest.strip_suffix("@example.org>"))
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (0..60_000).contains(&(millis - at.timestamp_millis())),
        "the id is stamped by the clock: {id}"
    );
    let own = db.subscriber_token(subscriber).unwrap();
    assert_eq!(
        mail.header("List-Unsubscribe").unwrap(),
        format!(
            "<https://procedures.example.org/unsubscribe?token={}>",
            own.as_str()
        )
    );
    let body = mail.decoded();
    assert!(body.contains("subscribed already"), "{body}");
    assert!(!body.contains("/subscriptions/confirm"), "{body}");
    let manage = format!(
        "https://procedures.example.org/subscriptions/manage?token={}",
        own.as_str()
    );
    let (text, html) = body.split_at(body.find("<!doctype html>").unwrap());
    assert!(text.contains(&manage), "{text}");
    assert!(html.contains(&format!("href=\"{manage}\"")), "{html}");
    assert_eq!(
        db.subscriber_by_email("known@example.org")
            .unwrap()
            .unwrap()
            .frequency,
        Frequency::Monthly
    );
}

fn an_administrators_additions_and_changes_are_not_answered_by_email(engine: Engine) {
    let (_dir, db) = db(engine);
    let added = db.subscribe(&new("list@example.org", true)).unwrap();
    assert!(
        subscription_letter(&db, &links(), &added)
            .unwrap()
            .is_none()
    );
    let changed = db.subscribe(&new("list@example.org", true)).unwrap();
    assert!(matches!(
        changed,
        Subscribed::Existing { updated: true, .. }
    ));
    assert!(
        subscription_letter(&db, &links(), &changed)
            .unwrap()
            .is_none()
    );
}

fn what_a_request_did_prints_without_its_tokens(engine: Engine) {
    let (_dir, db) = db(engine);
    let outcome = db.subscribe(&new("a@example.org", false)).unwrap();
    let Subscribed::New {
        subscriber,
        confirm_token: Some(token),
    } = &outcome
    else {
        panic!("a new unconfirmed subscriber");
    };
    let own = db.subscriber_token(subscriber).unwrap();
    let key = db.subscriber_token_key().unwrap();
    let shown = format!("{outcome:?} {own:?} {key:?}");
    assert!(!shown.contains(token.as_str()), "{shown}");
    assert!(!shown.contains(own.as_str()), "{shown}");
    assert!(shown.contains("a@example.org"), "{shown}");
}
