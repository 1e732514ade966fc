//! Chapter writes through the API guarded by If-Match and If-None-Match (RFC 9110): quoted
//! and bare revisions, `*`, unreadable headers, and two editors racing on one chapter.

use super::*;

#[test]
fn a_revision_is_matched_whether_it_is_sent_quoted_or_bare() {
    let n = newsroom();
    let bare = n.draft_revision("neglect");
    let first = n.put(
        &n.editor,
        "neglect",
        Some(&bare),
        &chapter("Neglect", "Sent with a bare revision.\n"),
    );
    assert_eq!(first.status, 200, "{}", first.body);
    let quoted = format!("\"{}\"", n.draft_revision("neglect"));
    let second = n.put(
        &n.editor,
        "neglect",
        Some(&quoted),
        &chapter("Neglect", "Sent with a quoted revision.\n"),
    );
    assert_eq!(second.status, 200, "{}", second.body);
    // A quoted revision that is out of date is as stale as a bare one.
    let stale = n.put(
        &n.editor,
        "neglect",
        Some(&format!("\"{bare}\"")),
        &chapter("Neglect", "Sent with an old revision.\n"),
    );
    assert_eq!(stale.status, 412, "{}", stale.body);
    assert!(
        n.draft_text("neglect")
            .contains("Sent with a quoted revision.")
    );
}

#[test]
fn if_match_star_writes_an_existing_chapter_and_refuses_a_missing_one() {
    let n = newsroom();
    let existing = n.put_if(
        &n.editor,
        "neglect",
        &[("if-match", "*")],
        &chapter("Neglect", "Written over whatever it said.\n"),
    );
    assert_eq!(existing.status, 200, "{}", existing.body);
    assert!(
        n.draft_text("neglect")
            .contains("Written over whatever it said.")
    );
    let refs_before = n.server.ws.refs();
    let missing = n.put_if(
        &n.editor,
        "fgm",
        &[("if-match", "*")],
        &chapter("Female Genital Mutilation", "Text.\n"),
    );
    assert_eq!(missing.status, 412, "{}", missing.body);
    assert!(
        missing.json()["error"]
            .as_str()
            .unwrap()
            .contains("does not exist")
    );
    assert_eq!(
        n.server.ws.refs(),
        refs_before,
        "a refused write moved a ref"
    );
}

#[test]
fn if_none_match_star_creates_a_chapter_but_never_overwrites_one() {
    let n = newsroom();
    let created = n.put_if(
        &n.editor,
        "fgm",
        &[("if-none-match", "*")],
        &chapter("Female Genital Mutilation", "Mandatory reporting.\n"),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    // A colleague edits a chapter; creating it again must not overwrite their text.
    let base = n.draft_revision("neglect");
    let colleague = n.put(
        &n.editor,
        "neglect",
        Some(&base),
        &chapter("Neglect", "The colleague's text.\n"),
    );
    assert_eq!(colleague.status, 200, "{}", colleague.body);
    let refs_before = n.server.ws.refs();
    let again = n.put_if(
        &n.publisher,
        "neglect",
        &[("if-none-match", "*")],
        &chapter("Neglect", "Created from scratch.\n"),
    );
    assert_eq!(again.status, 412, "{}", again.body);
    assert!(
        again.json()["error"]
            .as_str()
            .unwrap()
            .contains("exists already")
    );
    assert!(n.draft_text("neglect").contains("The colleague's text."));
    assert_eq!(
        n.server.ws.refs(),
        refs_before,
        "a refused write moved a ref"
    );
    assert!(!n.git_log().contains("Pat <"));
}

#[test]
fn an_unreadable_if_match_is_a_bad_request_and_changes_nothing() {
    let n = newsroom();
    let base = n.draft_revision("neglect");
    let refs_before = n.server.ws.refs();
    for unreadable in [
        "\"unterminated".to_owned(),
        format!("*, \"{base}\""),
        "révision".to_owned(),
    ] {
        let answer = n.put(
            &n.editor,
            "neglect",
            Some(&unreadable),
            &chapter("Neglect", "Never written.\n"),
        );
        assert_eq!(answer.status, 400, "{unreadable}: {}", answer.body);
        assert!(
            answer.json()["error"]
                .as_str()
                .unwrap()
                .contains("If-Match")
        );
    }
    assert!(!n.draft_text("neglect").contains("Never written."));
    assert_eq!(
        n.server.ws.refs(),
        refs_before,
        "a refused write moved a ref"
    );
}

#[test]
fn two_editors_racing_on_one_chapter_one_wins_nothing_is_lost() {
    let n = newsroom();
    let base = n.draft_revision("neglect");
    let results: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = [("Eve", &n.editor), ("Pat", &n.publisher)]
            .into_iter()
            .map(|(who, token)| {
                let (n, base) = (&n, &base);
                scope.spawn(move || {
                    n.put(
                        token,
                        "neglect",
                        Some(base),
                        &chapter("Neglect", &format!("{who} wrote this.\n")),
                    )
                    .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut sorted = results.clone();
    sorted.sort();
    assert_eq!(sorted, [200, 412], "{results:?}");
    let log = n.git_log();
    assert_eq!(
        log.lines().filter(|l| l.contains("Edit m/neglect")).count(),
        1,
        "{log}"
    );
    let winner = if log.contains("Eve <") { "Eve" } else { "Pat" };
    let draft = n.server.fetch(
        "/api/v1/manuals/m/draft/chapters/neglect",
        &[("authorization", &bearer(&n.editor))],
    );
    assert!(
        draft.json()["markdown"]
            .as_str()
            .unwrap()
            .contains(&format!("{winner} wrote this."))
    );
}
