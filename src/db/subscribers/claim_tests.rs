//! Claims on the ledger's rows: two runs never hold the same row, a claim that ran out
//! or was released is taken over, and a run passes over the rows it tried.

use std::time::Duration;

use super::*;
use crate::clock::Clock;
use crate::db::testing::{Scratch, on_each_engine, scratch};
use crate::db::{Db, Engine};

on_each_engine!(
    two_runs_claim_different_rows_and_settled_rows_are_never_claimed,
    a_claim_that_ran_out_or_was_released_is_taken_over,
);

fn planned(engine: Engine, n: usize) -> (Scratch, Db, Clock) {
    let clock = Clock::starting_at(
        "2024-05-01T06:00:00Z".parse().unwrap(),
        chrono_tz::Europe::London,
    );
    let (dir, db) = scratch(engine, clock.clone());
    let mut ids = Vec::new();
    for i in 0..n {
        let email = format!("s{i}@example.org");
        db.subscribe(&NewSubscriber {
            email: email.clone(),
            manuals: vec![],
            frequency: Frequency::Monthly,
            confirmed: true,
        })
        .unwrap();
        ids.push(db.subscriber_by_email(&email).unwrap().unwrap().id);
    }
    db.plan_deliveries("2024-04", &ids).unwrap();
    (dir, db, clock)
}

const LEASE: Duration = Duration::from_secs(60);

fn two_runs_claim_different_rows_and_settled_rows_are_never_claimed(engine: Engine) {
    let (_dir, db, _clock) = planned(engine, 5);
    let a = db
        .claim_deliveries("2024-04", "host/1/a", 3, LEASE, &[])
        .unwrap();
    let b = db
        .claim_deliveries("2024-04", "host/2/b", 3, LEASE, &[])
        .unwrap();
    assert_eq!((a.len(), b.len()), (3, 2));
    assert!(a.iter().all(|d| !b.iter().any(|e| e.id == d.id)));
    assert!(a.iter().all(|d| d.state == DeliveryState::Pending));
    assert!(
        db.claim_deliveries("2024-04", "host/3/c", 3, LEASE, &[])
            .unwrap()
            .is_empty()
    );
    let claims = db.live_claims("2024-04", "host/3/c").unwrap();
    let claimers: Vec<&str> = claims.iter().map(|c| c.claimer.as_str()).collect();
    assert_eq!(claimers, ["host/1/a", "host/2/b"]);
    assert!(
        db.deliveries("2024-04")
            .unwrap()
            .iter()
            .all(|d| d.state == DeliveryState::Sending && d.attempts == 1)
    );

    // a settles its rows: sent, refused, and one put back for later.
    let updates = vec![
        (a[0].clone(), DeliveryState::Sent, None),
        (a[1].clone(), DeliveryState::Failed, Some("550".to_owned())),
        (a[2].clone(), DeliveryState::Pending, Some("421".to_owned())),
    ];
    db.record_deliveries(&updates, &Default::default()).unwrap();
    let claimers: Vec<String> = db
        .live_claims("2024-04", "host/3/c")
        .unwrap()
        .into_iter()
        .map(|c| c.claimer)
        .collect();
    assert_eq!(claimers, ["host/2/b"]);
    // The row put back is open to any run but the one that tried it.
    assert!(
        db.claim_deliveries("2024-04", "host/1/a", 3, LEASE, &[a[2].id])
            .unwrap()
            .is_empty()
    );
    let again = db
        .claim_deliveries("2024-04", "host/3/c", 3, LEASE, &[])
        .unwrap();
    assert_eq!(again.iter().map(|d| d.id).collect::<Vec<_>>(), [a[2].id]);
    assert_eq!(again[0].attempts, 1, "as it stood when claimed");
}

fn a_claim_that_ran_out_or_was_released_is_taken_over(engine: Engine) {
    let (_dir, db, clock) = planned(engine, 4);
    let gone = db
        .claim_deliveries("2024-04", "host/1/gone", 2, LEASE, &[])
        .unwrap();
    let other = db
        .claim_deliveries("2024-04", "host/2/slow", 2, Duration::from_secs(600), &[])
        .unwrap();
    assert_eq!((gone.len(), other.len()), (2, 2));
    assert_eq!(db.release_claims("2024-04", "host/1/gone").unwrap(), 2);
    let taken = db
        .claim_deliveries("2024-04", "host/3/c", 4, LEASE, &[])
        .unwrap();
    assert_eq!(
        taken.iter().map(|d| d.id).collect::<Vec<_>>(),
        gone.iter().map(|d| d.id).collect::<Vec<_>>()
    );
    assert_eq!(taken[0].state, DeliveryState::Sending);

    clock.set(clock.now() + chrono::TimeDelta::seconds(601));
    assert!(db.live_claims("2024-04", "host/9/z").unwrap().is_empty());
    let late = db
        .claim_deliveries("2024-04", "host/4/d", 4, LEASE, &[])
        .unwrap();
    assert_eq!(late.len(), 4, "every lease has run out");
    assert!(
        db.deliveries("2024-04")
            .unwrap()
            .iter()
            .all(|d| d.attempts >= 2)
    );
}
