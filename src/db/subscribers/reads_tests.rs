//! Read acknowledgements: a link records once for its own subscriber, chapter and release
//! and no other; counts follow what was sent and read; everything goes with the subscriber.

use std::collections::HashMap;

use super::*;
use crate::clock::Clock;
use crate::db::testing::{Scratch, on_each_engine, scratch};
use crate::db::{Db, Engine};

on_each_engine!(
    a_read_link_records_once_and_only_its_own_change,
    counts_and_evidence_follow_what_was_sent_and_read_and_go_with_the_subscriber,
);

fn with_subscribers(engine: Engine, emails: &[&str]) -> (Scratch, Db, Clock, Vec<Subscriber>) {
    let clock = Clock::starting_at(
        "2024-05-01T06:00:00Z".parse().unwrap(),
        chrono_tz::Europe::London,
    );
    let (dir, db) = scratch(engine, clock.clone());
    let subscribers = emails
        .iter()
        .map(|email| {
            db.subscribe(&NewSubscriber {
                email: (*email).to_owned(),
                manuals: vec![],
                frequency: Frequency::Monthly,
                confirmed: true,
            })
            .unwrap();
            db.subscriber_by_email(email).unwrap().unwrap()
        })
        .collect();
    (dir, db, clock, subscribers)
}

const LADO: Change<'static> = Change {
    manual: "children",
    release: "2024-04",
    chapter: "lado",
};

fn a_read_link_records_once_and_only_its_own_change(engine: Engine) {
    let (_dir, db, clock, subs) = with_subscribers(engine, &["a@example.org", "b@example.org"]);
    let key = db.subscriber_token_key().unwrap();
    let token = key.read_token(&subs[0], &LADO);
    let token = token.as_str();

    // Opening the link records nothing.
    assert_eq!(
        db.reading(token, &LADO).unwrap(),
        Reading::Open(subs[0].clone())
    );
    assert_eq!(
        db.reading(token, &LADO).unwrap(),
        Reading::Open(subs[0].clone())
    );
    assert!(
        db.read_counts("children", "2024-04")
            .unwrap()
            .confirmed
            .is_empty()
    );

    // The press records it once; the second says when it was.
    assert_eq!(
        db.acknowledge(token, &LADO).unwrap(),
        Reading::Open(subs[0].clone())
    );
    let Reading::Recorded(_, first) = db.reading(token, &LADO).unwrap() else {
        panic!("the press was recorded");
    };
    clock.advance(chrono::Duration::hours(2));
    for _ in 0..2 {
        assert_eq!(
            db.acknowledge(token, &LADO).unwrap(),
            Reading::Recorded(subs[0].clone(), first.clone())
        );
    }
    assert_eq!(
        db.reading(token, &LADO).unwrap(),
        Reading::Recorded(subs[0].clone(), first.clone())
    );

    // The same token says nothing of another chapter, release or manual, nor does another
    // subscriber's id with this signature; a mangled token is unknown.
    let others = [
        Change {
            chapter: "s47",
            ..LADO
        },
        Change {
            release: "2024-05",
            ..LADO
        },
        Change {
            manual: "adults",
            ..LADO
        },
    ];
    for other in &others {
        assert_eq!(
            db.acknowledge(token, other).unwrap(),
            Reading::Unknown,
            "{other:?}"
        );
    }
    let (_, signature) = token.split_once('.').unwrap();
    for bad in [
        format!("{}.{signature}", subs[1].id),
        format!("{}.{}", subs[0].id, &signature[1..]),
        signature.to_owned(),
        String::new(),
        "x.y".to_owned(),
        format!("{}.{}", subs[0].id, "0".repeat(32)),
    ] {
        assert_eq!(
            db.acknowledge(&bad, &LADO).unwrap(),
            Reading::Unknown,
            "{bad}"
        );
    }
    let counts = db.read_counts("children", "2024-04").unwrap();
    assert_eq!(counts.confirmed, [("lado".to_owned(), 1)].into());

    // New links for the subscriber end the old read links too.
    db.rotate_subscriber_token(subs[0].id).unwrap();
    assert_eq!(db.reading(token, &LADO).unwrap(), Reading::Unknown);
}

fn counts_and_evidence_follow_what_was_sent_and_read_and_go_with_the_subscriber(engine: Engine) {
    let emails = ["a@example.org", "b@example.org", "c@example.org"];
    let (_dir, db, clock, subs) = with_subscribers(engine, &emails);
    let ids: Vec<i64> = subs.iter().map(|s| s.id).collect();
    db.plan_deliveries("2024-04", &ids).unwrap();
    let deliveries = db.deliveries("2024-04").unwrap();
    let april = SentRelease {
        manual: "children".into(),
        release: "2024-04".into(),
    };
    let carried: HashMap<i64, Vec<SentRelease>> =
        ids.iter().map(|id| (*id, vec![april.clone()])).collect();
    // a and b were sent it; c's message failed, so c was not.
    let updates: Vec<_> = deliveries
        .iter()
        .map(|d| {
            let state = if d.subscriber_id == subs[2].id {
                DeliveryState::Failed
            } else {
                DeliveryState::Sent
            };
            (d.clone(), state, None)
        })
        .collect();
    db.record_deliveries(&updates, &carried).unwrap();
    // A second sending of the same release (another period) keeps the first time.
    clock.advance(chrono::Duration::days(1));
    let a_day_on = clock.now().to_rfc3339();
    db.plan_deliveries("release:children/2024-04", &ids[..1])
        .unwrap();
    let again = db.deliveries("release:children/2024-04").unwrap();
    db.record_deliveries(&[(again[0].clone(), DeliveryState::Sent, None)], &carried)
        .unwrap();

    let key = db.subscriber_token_key().unwrap();
    for (who, chapter) in [(0, "lado"), (0, "s47"), (1, "lado")] {
        let change = Change { chapter, ..LADO };
        let token = key.read_token(&subs[who], &change);
        db.acknowledge(token.as_str(), &change).unwrap();
    }
    let counts = db.read_counts("children", "2024-04").unwrap();
    assert_eq!(counts.sent, 2);
    assert_eq!(
        counts.confirmed,
        [("lado".to_owned(), 2), ("s47".to_owned(), 1)].into()
    );
    assert_eq!(
        db.manual_read_counts("children").unwrap(),
        [("2024-04".to_owned(), (2, 2))].into()
    );
    assert!(db.manual_read_counts("adults").unwrap().is_empty());
    let evidence = db.read_evidence("children", "2024-04").unwrap();
    let sent: Vec<&str> = evidence.sent.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(sent, ["a@example.org", "b@example.org"]);
    assert!(
        evidence.sent.iter().all(|(_, at)| *at < a_day_on),
        "{evidence:?}"
    );
    assert_eq!(
        evidence
            .read
            .iter()
            .map(|(e, c, _)| (e.as_str(), c.as_str()))
            .collect::<Vec<_>>(),
        [
            ("a@example.org", "lado"),
            ("a@example.org", "s47"),
            ("b@example.org", "lado")
        ]
    );

    // Removing a subscriber (or their unsubscribing) takes their rows with them.
    db.remove_subscriber(subs[0].id).unwrap();
    let token = db.subscriber_token(&subs[1]).unwrap();
    assert!(db.unsubscribe(token.as_str()).unwrap());
    let counts = db.read_counts("children", "2024-04").unwrap();
    assert_eq!(counts, ReadCounts::default());
    assert_eq!(
        db.read_evidence("children", "2024-04").unwrap(),
        ReadEvidence::default()
    );
}
