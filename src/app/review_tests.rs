//! The review of a release: who may propose, approve, withdraw and publish, and what an
//! edit after a proposal does.

use std::collections::BTreeMap;

use super::tests::{app_with_release_configured, chapter, day, edit, manual};
use super::*;
use crate::db::{Editor, NewEditor, ReleaseEventKind, Role};

fn people(app: &Chapterhouse) -> (Editor, Editor, Editor) {
    let add = |name: &str, role| {
        app.db()
            .unwrap()
            .add_editor(&NewEditor {
                name: name.into(),
                email: format!("{}@example.org", name.to_lowercase()),
                role,
            })
            .unwrap()
            .0
    };
    (
        add("Sam", Role::Editor),
        add("Pat", Role::Publisher),
        add("Lee", Role::Publisher),
    )
}

fn plan(name: &str) -> ReleasePlan {
    ReleasePlan {
        name: name.parse().unwrap(),
        date: None,
        notes: BTreeMap::from([("lado".parse().unwrap(), "New contact details.".into())]),
    }
}

fn forbidden<T: std::fmt::Debug>(result: Result<T, ReviewError>) -> String {
    match result {
        Err(ReviewError::Forbidden(reason)) => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn conflict<T: std::fmt::Debug>(result: Result<T, ReviewError>) -> String {
    match result {
        Err(ReviewError::Conflict(reason)) => reason,
        Err(ReviewError::App(e)) => e.to_string(),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[test]
fn a_release_is_proposed_approved_by_another_publisher_and_published_as_proposed() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_release_configured(dir.path(), |_| {});
    let (sam, pat, lee) = people(&app);
    edit(
        &app,
        "lado",
        Some(chapter("LADO", "Allegations, and who to call.")),
    );

    // Nothing proposed: nothing to approve or publish.
    conflict(app.approve_release(&manual(), &pat));
    assert!(
        conflict(app.publish_reviewed(&manual(), Some(&plan("2024-02")), &pat)).contains("propose")
    );

    let (proposal, reviewers) = app
        .propose_release(&manual(), &plan("2024-02"), &sam)
        .unwrap();
    assert_eq!(reviewers, vec![pat.clone(), lee.clone()]);
    assert_eq!(proposal.name, "2024-02");
    conflict(app.propose_release(&manual(), &plan("2024-03"), &pat));

    forbidden(app.approve_release(&manual(), &sam));
    forbidden(app.publish_reviewed(&manual(), None, &sam));
    forbidden(app.withdraw_release(&manual(), &pat));
    assert!(conflict(app.publish_reviewed(&manual(), None, &pat)).contains("0 of the 1"));

    app.approve_release(&manual(), &pat).unwrap();
    conflict(app.approve_release(&manual(), &pat));
    // Published as proposed, whatever the form says now.
    let release = app
        .publish_reviewed(&manual(), Some(&plan("other")), &lee)
        .unwrap();
    assert_eq!(release.name.as_str(), "2024-02");
    let notice = app.release_notice(&manual(), &release).unwrap();
    assert!(
        notice
            .to_json()
            .to_string()
            .contains("New contact details.")
    );
    let records = app.db().unwrap().release_records("m").unwrap();
    assert_eq!(records["2024-02"].proposed_by.as_deref(), Some("Sam"));
    assert_eq!(records["2024-02"].approved_by, vec!["Pat".to_owned()]);
    assert_eq!(records["2024-02"].published_by.as_deref(), Some("Lee"));
    assert!(app.review(&manual()).unwrap().proposal.is_none());
}

#[test]
fn an_edit_after_a_proposal_withdraws_it_and_the_proposer_can_withdraw() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_release_configured(dir.path(), |_| {});
    let (sam, pat, _lee) = people(&app);
    edit(
        &app,
        "lado",
        Some(chapter("LADO", "Allegations, and who to call.")),
    );
    app.propose_release(&manual(), &plan("2024-02"), &sam)
        .unwrap();
    app.approve_release(&manual(), &pat).unwrap();
    edit(
        &app,
        "neglect",
        Some(chapter("Neglect", "What neglect is, now.")),
    );
    let review = app.review(&manual()).unwrap();
    assert!(review.proposal.is_none(), "an edit withdraws the proposal");
    let withdrawal = &review.events[0];
    assert_eq!(withdrawal.kind, ReleaseEventKind::Withdrawn);
    assert!(
        withdrawal.reason.as_deref().unwrap().contains("neglect"),
        "{withdrawal:?}"
    );
    conflict(app.publish_reviewed(&manual(), None, &pat));
    assert_eq!(
        app.releases(&manual()).unwrap().len(),
        1,
        "nothing was published"
    );

    app.propose_release(&manual(), &plan("2024-02"), &sam)
        .unwrap();
    app.withdraw_release(&manual(), &sam).unwrap();
    assert!(app.review(&manual()).unwrap().proposal.is_none());
}

#[test]
fn proposals_are_checked_as_releases_are() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_release_configured(dir.path(), |_| {});
    let (sam, _pat, _lee) = people(&app);
    // Nothing changed since the release.
    conflict(app.propose_release(&manual(), &plan("2024-02"), &sam));
    edit(
        &app,
        "lado",
        Some(chapter("LADO", "Allegations, and who to call.")),
    );
    conflict(app.propose_release(&manual(), &plan("2024-01"), &sam));
    let mut early = plan("2024-02");
    early.date = Some(day("2023-12-01"));
    conflict(app.propose_release(&manual(), &early, &sam));
    let mut unknown = plan("2024-02");
    unknown
        .notes
        .insert("nobody".parse().unwrap(), "A note.".into());
    assert!(app.propose_release(&manual(), &unknown, &sam).is_err());
    assert!(app.review(&manual()).unwrap().proposal.is_none());
}

#[test]
fn with_no_approvals_required_a_publisher_publishes_directly() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_release_configured(dir.path(), |c| c.publishing.approvals_required = 0);
    let (sam, pat, _lee) = people(&app);
    edit(
        &app,
        "lado",
        Some(chapter("LADO", "Allegations, and who to call.")),
    );
    forbidden(app.publish_reviewed(&manual(), Some(&plan("2024-02")), &sam));
    let release = app
        .publish_reviewed(&manual(), Some(&plan("2024-02")), &pat)
        .unwrap();
    assert_eq!(release.name.as_str(), "2024-02");
    let records = app.db().unwrap().release_records("m").unwrap();
    assert_eq!(records["2024-02"].published_by.as_deref(), Some("Pat"));
    assert!(records["2024-02"].approved_by.is_empty());
}
