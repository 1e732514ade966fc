//! Sign-in links, sessions and the records of a release's review.

use std::collections::BTreeMap;

use chrono::TimeDelta;

use super::*;
use crate::clock::Clock;
use crate::db::testing::{Scratch, on_each_engine, scratch};

on_each_engine!(
    a_signin_link_opens_one_session_once,
    links_expire_and_sessions_end_when_idle_or_revoked,
    emailed_links_go_at_most_once_per_address_per_ten_minutes,
    a_review_is_recorded_from_proposal_to_publication,
);

fn db(engine: Engine) -> (Scratch, Db, Clock) {
    let clock = Clock::starting_at(
        "2026-03-02T09:00:00Z".parse().unwrap(),
        chrono_tz::Europe::London,
    );
    let (scratch, db) = scratch(engine, clock.clone());
    (scratch, db, clock)
}

fn editor(db: &Db, name: &str, role: Role) -> Editor {
    db.add_editor(&NewEditor {
        name: name.into(),
        email: format!("{}@example.org", name.to_lowercase()),
        role,
    })
    .unwrap()
    .0
}

fn a_signin_link_opens_one_session_once(engine: Engine) {
    let (_dir, db, _clock) = db(engine);
    let sam = editor(&db, "Sam", Role::Editor);
    let link = db.new_signin_link(sam.id).unwrap();
    let (cookie, session) = db.sign_in(link.as_str()).unwrap().unwrap();
    assert_eq!(session.editor, sam);
    assert_eq!(db.session(cookie.as_str()).unwrap(), Some(session.clone()));
    assert_eq!(
        db.sign_in(link.as_str()).unwrap().unwrap_err(),
        SigninRefused::Used
    );
    for bad in ["", "nonsense", cookie.as_str()] {
        assert_eq!(
            db.sign_in(bad).unwrap().unwrap_err(),
            SigninRefused::Unknown
        );
    }
    assert_eq!(
        db.session(link.as_str()).unwrap(),
        None,
        "a link is not a session"
    );
    db.end_session(cookie.as_str()).unwrap();
    assert_eq!(db.session(cookie.as_str()).unwrap(), None);
    db.end_session(cookie.as_str()).unwrap();
}

fn links_expire_and_sessions_end_when_idle_or_revoked(engine: Engine) {
    let (_dir, db, clock) = db(engine);
    let sam = editor(&db, "Sam", Role::Editor);
    let old = db.new_signin_link(sam.id).unwrap();
    clock.advance(SIGNIN_LINK_LIFETIME + TimeDelta::seconds(1));
    assert_eq!(
        db.sign_in(old.as_str()).unwrap().unwrap_err(),
        SigninRefused::Expired
    );

    let (cookie, _) = db
        .sign_in(db.new_signin_link(sam.id).unwrap().as_str())
        .unwrap()
        .unwrap();
    // Used within twelve hours, it stays open.
    clock.advance(SESSION_IDLE - TimeDelta::minutes(5));
    assert!(db.session(cookie.as_str()).unwrap().is_some());
    clock.advance(SESSION_IDLE - TimeDelta::minutes(5));
    assert!(db.session(cookie.as_str()).unwrap().is_some());
    clock.advance(SESSION_IDLE);
    assert_eq!(db.session(cookie.as_str()).unwrap(), None);

    let (cookie, _) = db
        .sign_in(db.new_signin_link(sam.id).unwrap().as_str())
        .unwrap()
        .unwrap();
    let unused = db.new_signin_link(sam.id).unwrap();
    db.revoke_editor(sam.id).unwrap();
    assert_eq!(db.session(cookie.as_str()).unwrap(), None);
    assert_eq!(
        db.sign_in(unused.as_str()).unwrap().unwrap_err(),
        SigninRefused::Unknown
    );
    assert!(db.new_signin_link(sam.id).is_err());
}

fn emailed_links_go_at_most_once_per_address_per_ten_minutes(engine: Engine) {
    let (_dir, db, clock) = db(engine);
    let sam = editor(&db, "Sam", Role::Editor);
    assert!(matches!(
        db.request_signin_link("SAM@example.org ").unwrap(),
        SigninRequest::Send(e, _) if e == sam
    ));
    assert!(matches!(
        db.request_signin_link("sam@example.org").unwrap(),
        SigninRequest::Nothing
    ));
    assert!(matches!(
        db.request_signin_link("nobody@example.org").unwrap(),
        SigninRequest::Nothing
    ));
    clock.advance(SIGNIN_EMAIL_INTERVAL + TimeDelta::seconds(1));
    assert!(matches!(
        db.request_signin_link("sam@example.org").unwrap(),
        SigninRequest::Send(..)
    ));
    assert!(matches!(
        db.request_signin_link("").unwrap(),
        SigninRequest::Nothing
    ));
}

fn a_review_is_recorded_from_proposal_to_publication(engine: Engine) {
    let (_dir, db, _clock) = db(engine);
    let sam = editor(&db, "Sam", Role::Editor);
    let pat = editor(&db, "Pat", Role::Publisher);
    let notes = BTreeMap::from([("lado".to_owned(), "New contact details.".to_owned())]);
    let new = NewProposal {
        manual: "children",
        name: "2026-03",
        date: None,
        notes: &notes,
        base: "abc",
    };
    let id = db.propose(&new, &sam).unwrap();
    assert!(matches!(
        db.propose(&new, &pat),
        Err(ProposalError::AlreadyOpen { .. })
    ));
    let proposal = db.open_proposal("children").unwrap().unwrap();
    assert_eq!((proposal.id, proposal.notes.clone()), (id, notes.clone()));
    db.approve(&proposal, &pat).unwrap();
    assert!(matches!(
        db.approve(&proposal, &pat),
        Err(ProposalError::AlreadyApproved(_))
    ));
    // Withdrawn: its approval no longer counts for anything.
    assert!(db.withdraw(&proposal, None, "Sam edited lado").unwrap());
    assert!(!db.withdraw(&proposal, None, "again").unwrap());
    assert!(matches!(
        db.approve(&proposal, &pat),
        Err(ProposalError::NotOpen)
    ));
    assert_eq!(db.open_proposal("children").unwrap(), None);

    db.propose(&new, &sam).unwrap();
    let proposal = db.open_proposal("children").unwrap().unwrap();
    db.approve(&proposal, &pat).unwrap();
    assert_eq!(
        db.open_proposal("children")
            .unwrap()
            .unwrap()
            .approvals
            .len(),
        1
    );
    db.record_published("children", "2026-03", Some(&proposal), &pat)
        .unwrap();
    db.record_published("children", "2026-04", None, &pat)
        .unwrap();
    let records = db.release_records("children").unwrap();
    assert_eq!(
        records["2026-03"],
        ReleaseRecord {
            proposed_by: Some("Sam".into()),
            approved_by: vec!["Pat".into()],
            published_by: Some("Pat".into()),
        }
    );
    assert_eq!(records["2026-04"].published_by.as_deref(), Some("Pat"));
    let kinds: Vec<_> = db
        .release_events("children", 100)
        .unwrap()
        .iter()
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "published",
            "published",
            "approved",
            "proposed",
            "withdrawn",
            "approved",
            "proposed"
        ]
    );
}
