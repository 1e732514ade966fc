//! The review of a release in the workspace (SPEC §7a): an editor proposes, another
//! publisher approves, a publisher publishes; edits withdraw a proposal; every step is
//! recorded and shown in the releases API.

use crate::support::{Server, Workspace};
use crate::workspace::{Desk, add_editor, input, outbox, textarea};

const RELEASE: &str = "/edit/manuals/children/release";
const CHAPTER: &str = "/edit/manuals/children/chapters/section-47-enquiries";

/// Saves a change to the chapter as `desk`.
fn edit(desk: &Desk, words: &str) {
    let page = desk.get(CHAPTER).body;
    let body = format!(
        "{}\n\n## 14. {words}\n\nSome words on {words}.\n",
        textarea(&page, "body")
    );
    let answer = desk.post(
        CHAPTER,
        &[
            ("csrf", &input(&page, "csrf")),
            ("base", &input(&page, "base")),
            ("title", &input(&page, "title")),
            ("body", &body),
            ("action", "save"),
        ],
    );
    assert_eq!(answer.status, 303, "{}", answer.body);
}

fn act(desk: &Desk, action: &str, extra: &[(&str, &str)]) -> (u16, String) {
    let csrf = desk.csrf();
    let mut fields = vec![("csrf", csrf.as_str()), ("action", action)];
    fields.extend_from_slice(extra);
    let answer = desk.post(RELEASE, &fields);
    (answer.status, answer.body)
}

#[test]
fn a_release_is_proposed_approved_by_another_publisher_and_published() {
    let ws = Workspace::with_sample();
    let (_, sam) = add_editor(&ws, "Sam", "editor");
    let (_, pat) = add_editor(&ws, "Pat", "publisher");
    let (_, lee) = add_editor(&ws, "Lee", "publisher");
    let server = Server::start(ws);
    let (sam, pat, lee) = (
        Desk::sign_in(&server, &sam),
        Desk::sign_in(&server, &pat),
        Desk::sign_in(&server, &lee),
    );
    // Nothing changed yet: nothing to propose.
    let (status, _) = act(&sam, "propose", &[("name", "2026-12"), ("date", "")]);
    assert_eq!(status, 409);

    edit(&sam, "Interpreters");
    let page = sam.get(RELEASE);
    assert_eq!(page.status, 200);
    let note_field = "note.section-47-enquiries";
    let prefilled = textarea(&page.body, note_field);
    assert!(
        prefilled.contains("Interpreters"),
        "the automatic summary: {prefilled}"
    );
    assert!(input(&page.body, "name").len() >= 7);

    for (fields, why) in [
        (vec![("name", "no spaces"), ("date", "")], "Release name"),
        (vec![("name", "2026-12"), ("date", "2001-01-01")], "today"),
        (vec![("name", "2024-04"), ("date", "")], "exists"),
    ] {
        let (status, body) = act(&sam, "propose", &fields);
        assert!(matches!(status, 409 | 422), "{fields:?}: {status}");
        assert!(body.contains(why), "{fields:?}: {why}");
    }
    let (status, _) = act(
        &sam,
        "propose",
        &[
            ("name", "2026-12"),
            ("date", ""),
            (note_field, "Interpreters must be booked."),
        ],
    );
    assert_eq!(status, 303);
    // Publishers are asked to review it, by email (the outbox here).
    let letters = outbox(&server.ws, 2);
    assert_eq!(letters.len(), 2);
    assert!(
        letters
            .iter()
            .all(|l| l.contains("Please review release 2026-12"))
    );

    let proposed = sam.get(RELEASE).body;
    assert!(
        proposed.contains("Release 2026-12 is proposed") && proposed.contains("Proposed by Sam")
    );
    assert!(
        !proposed.contains(r#"value="approve""#),
        "no Approve button for the proposer"
    );
    assert_eq!(act(&sam, "approve", &[]).0, 403);
    assert_eq!(act(&sam, "publish", &[]).0, 403);
    assert_eq!(
        act(&pat, "withdraw", &[]).0,
        403,
        "only the proposer withdraws"
    );
    let (status, body) = act(&pat, "publish", &[]);
    assert_eq!(status, 409);
    assert!(body.contains("0 of the 1"));
    assert_eq!(act(&pat, "approve", &[]).0, 303);
    assert_eq!(act(&pat, "approve", &[]).0, 409, "once each");
    assert_eq!(act(&lee, "publish", &[]).0, 303);

    // Readers see it at once: the chapter, the notice with the note, the feed, search.
    let chapter = server
        .fetch("/manuals/children/chapters/section-47-enquiries", &[])
        .body;
    assert!(chapter.contains("Interpreters") && chapter.contains("2026-12"));
    let notice = server.fetch("/manuals/children/releases/2026-12", &[]).body;
    assert!(notice.contains("Interpreters must be booked."));
    assert!(notice.contains("Proposed by Sam, approved by Pat, and published by Lee."));
    assert!(
        server
            .fetch("/manuals/children/feed.atom", &[])
            .body
            .contains("2026-12")
    );
    let (_, found) = server.get("/api/v1/search?q=interpreters&manual=children");
    assert_eq!(found["hits"][0]["id"], "section-47-enquiries", "{found}");
    let (_, releases) = server.get("/api/v1/manuals/children/releases");
    let last = releases.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["name"], "2026-12");
    assert_eq!(last["proposed_by"], "Sam");
    assert_eq!(last["approved_by"], serde_json::json!(["Pat"]));
    assert_eq!(last["published_by"], "Lee");
    let record = sam.get(RELEASE).body;
    for event in ["proposed", "approved", "published"] {
        assert!(record.contains(&format!("<td>{event}</td>")), "{event}");
    }
}

#[test]
fn an_edit_after_a_proposal_withdraws_it() {
    let ws = Workspace::with_sample();
    let (_, sam) = add_editor(&ws, "Sam", "editor");
    let (_, pat) = add_editor(&ws, "Pat", "publisher");
    let server = Server::start(ws);
    let (sam, pat) = (Desk::sign_in(&server, &sam), Desk::sign_in(&server, &pat));
    edit(&sam, "Interpreters");
    assert_eq!(
        act(&sam, "propose", &[("name", "2026-12"), ("date", "")]).0,
        303
    );
    assert_eq!(act(&pat, "approve", &[]).0, 303);
    edit(&pat, "Advocates");
    let page = pat.get(RELEASE).body;
    assert!(!page.contains("is proposed"), "withdrawn by the edit");
    assert!(page.contains("<td>withdrawn</td>") && page.contains("by Pat"));
    assert_eq!(act(&pat, "publish", &[]).0, 409);
    assert_eq!(
        server
            .get("/api/v1/manuals/children/releases")
            .1
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Proposed again, then withdrawn by the proposer.
    assert_eq!(
        act(&sam, "propose", &[("name", "2026-12"), ("date", "")]).0,
        303
    );
    assert_eq!(act(&sam, "withdraw", &[]).0, 303);
    assert!(!sam.get(RELEASE).body.contains("is proposed"));
    assert_eq!(act(&sam, "nonsense", &[]).0, 400);
}

#[test]
fn with_no_approvals_required_a_publisher_publishes_directly() {
    let ws = Workspace::with_sample_and("\n[publishing]\napprovals_required = 0\n");
    let (_, sam) = add_editor(&ws, "Sam", "editor");
    let (_, pat) = add_editor(&ws, "Pat", "publisher");
    let server = Server::start(ws);
    let (sam, pat) = (Desk::sign_in(&server, &sam), Desk::sign_in(&server, &pat));
    edit(&sam, "Interpreters");
    assert_eq!(
        act(&sam, "publish", &[("name", "2026-12"), ("date", "")]).0,
        403
    );
    let (status, body) = act(
        &pat,
        "publish",
        &[("name", "2026-12"), ("date", "2027-01-15")],
    );
    assert_eq!(status, 303, "{body}");
    let (_, releases) = server.get("/api/v1/manuals/children/releases");
    let last = releases.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["name"].as_str(), last["scheduled"].as_bool()),
        (Some("2026-12"), Some(true))
    );
    assert_eq!(last["published_by"], "Pat");
    assert_eq!(last["approved_by"], serde_json::json!([]));
}
