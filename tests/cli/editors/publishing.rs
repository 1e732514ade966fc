//! Writes validated as import validates them, the draft preview and publishing through the
//! API, and a scheduled release waiting for its date.

use super::*;

#[test]
fn writes_are_validated_as_import_validates() {
    let n = newsroom();
    let refs_before = n.server.ws.refs();
    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("new-one", "no front matter\n".into(), 422, "new-one.md"),
        (
            "new-one",
            "+++\ntitle = \"A\"\nkind = \"link\"\n+++\n".into(),
            422,
            "url",
        ),
        (
            "new-one",
            "+++\ntitle = \"A\"\nid = \"neglect\"\n+++\nDuplicate.\n".into(),
            422,
            "neglect",
        ),
        (
            "new-one",
            "+++\ntitle = \"A\"\nid = \"other\"\n+++\nText.\n".into(),
            422,
            "must be the same",
        ),
        (
            "new-one",
            chapter("A", &format!("{}x\n", "> ".repeat(100_000))),
            422,
            "m/new-one.md:4: the line opens 100000 levels of block quotes",
        ),
        (
            "new-one",
            chapter("A", &format!("{}x\n", "<div>".repeat(90_000))),
            422,
            "m/new-one.md:4: markup nested 49 levels deep",
        ),
        (
            "new-one",
            "+++\ntitle = \"A\"\ndraft = true\n+++\nText.\n".into(),
            422,
            "m/new-one.md:3: front matter: unknown key `draft`",
        ),
        (
            "-x",
            chapter("A", "Text.\n"),
            422,
            "must start with a letter or a digit",
        ),
        ("Bad_Id", chapter("A", "Text.\n"), 422, "Bad_Id"),
        ("..%2F..%2Fetc", chapter("A", "Text.\n"), 422, ""),
    ];
    for (id, text, status, needle) in cases {
        let answer = n.put(&n.editor, id, None, &text);
        assert_eq!(answer.status, status, "{id}: {}", answer.body);
        let error = answer.json()["error"].as_str().unwrap().to_owned();
        assert!(error.contains(needle), "{error}");
    }
    // A line number comes with a front-matter error.
    let bad_toml = n.put(
        &n.editor,
        "new-one",
        None,
        "+++\ntitle = \"A\"\ntags = [\n+++\nText.\n",
    );
    assert_eq!(bad_toml.status, 422);
    assert!(
        bad_toml.json()["error"]
            .as_str()
            .unwrap()
            .starts_with("m/new-one.md:3: "),
        "{}",
        bad_toml.body
    );
    // Not UTF-8, too big, unknown manual.
    let binary = n.server.send(
        "PUT",
        "/api/v1/manuals/m/chapters/x",
        &[("authorization", &bearer(&n.editor))],
        vec![0xffu8, 0xfe, 0x00],
    );
    assert_eq!(binary.status, 422);
    // Refused with 413; the server may close the connection before the client has sent
    // the whole body, which a client sees as a broken connection instead. Either way
    // nothing is written.
    let huge = n.server.try_send(
        "PUT",
        "/api/v1/manuals/m/chapters/huge",
        &[("authorization", &bearer(&n.editor))],
        chapter("Huge", &"word ".repeat(600_000)),
    );
    match huge {
        Ok(answer) => assert_eq!(answer.status, 413, "{}", answer.body),
        Err(e) => assert!(e.is_request() || e.is_body(), "{e}"),
    }
    let draft = n.server.fetch(
        "/api/v1/manuals/m/draft/chapters/huge",
        &[("authorization", &bearer(&n.editor))],
    );
    assert_eq!(draft.status, 404);
    let unknown = n.server.send(
        "PUT",
        "/api/v1/manuals/nope/chapters/x",
        &[("authorization", &bearer(&n.editor))],
        chapter("A", "B\n"),
    );
    assert_eq!(unknown.status, 404);
    assert_eq!(
        n.server.ws.refs(),
        refs_before,
        "a refused write moved a ref"
    );
}

#[test]
fn draft_publish_and_pages_follow_at_once() {
    let n = newsroom();
    let s = &n.server;
    let created = n.put(
        &n.editor,
        "fgm",
        None,
        &chapter(
            "Female Genital Mutilation",
            "Mandatory reporting of zebracorn cases to the police.\n",
        ),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let base = n.draft_revision("neglect");
    let deleted = s.send(
        "DELETE",
        "/api/v1/manuals/m/chapters/neglect",
        &[("authorization", &bearer(&n.editor)), ("if-match", &base)],
        "",
    );
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    // Practitioners see nothing of the draft yet (and the page is now kept in the cache).
    assert_eq!(s.fetch("/manuals/m/chapters/fgm", &[]).status, 404);
    assert_eq!(s.fetch("/manuals/m/chapters/neglect", &[]).status, 200);
    let (_, found) = s.get("/api/v1/search?q=zebracorn");
    assert_eq!(found["total"], 0);
    // Editors preview it.
    let draft = s
        .fetch(
            "/api/v1/manuals/m/draft",
            &[("authorization", &bearer(&n.editor))],
        )
        .json();
    assert_eq!(draft["new"][0]["id"], "fgm");
    assert_eq!(draft["removed"][0]["id"], "neglect");

    let auth = bearer(&n.publisher);
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    let bad_note = s.send(
        "POST",
        "/api/v1/manuals/m/releases",
        &headers,
        r#"{"name": "2024-02", "notes": {"nope": "x"}}"#,
    );
    assert_eq!(bad_note.status, 422, "{}", bad_note.body);
    let bad_date = s.send(
        "POST",
        "/api/v1/manuals/m/releases",
        &headers,
        r#"{"name": "2024-02", "date": "2023-01-01"}"#,
    );
    assert_eq!(bad_date.status, 409, "{}", bad_date.body);
    let bad_json = s.send(
        "POST",
        "/api/v1/manuals/m/releases",
        &headers,
        r#"{"nam": "2024-02"}"#,
    );
    assert_eq!(bad_json.status, 422);
    let bad_name = s.send(
        "POST",
        "/api/v1/manuals/m/releases",
        &headers,
        r#"{"name": "../x"}"#,
    );
    assert_eq!(bad_name.status, 422);

    let published = s.send(
        "POST",
        "/api/v1/manuals/m/releases",
        &headers,
        r#"{"name": "2024-02", "notes": {"fgm": "New chapter on mandatory reporting."}}"#,
    );
    assert_eq!(published.status, 201, "{}", published.body);
    let release = published.json();
    assert_eq!(
        release["notice"]["new"][0]["note"],
        "New chapter on mandatory reporting."
    );
    // Pages and search reflect the release as soon as the request returns.
    let page = s.fetch("/manuals/m/chapters/fgm", &[]);
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("Current as of release <a href=\"/manuals/m/releases/2024-02\">2024-02</a>")
    );
    let (_, found) = s.get("/api/v1/search?q=zebracorn");
    assert_eq!(found["hits"][0]["id"], "fgm");
    assert_eq!(s.fetch("/manuals/m/chapters/neglect", &[]).status, 410);
    let notice = s.fetch("/manuals/m/releases/2024-02", &[]).body;
    assert!(notice.contains("New chapter on mandatory reporting."));
    // Publishing again with nothing new is refused.
    let again = s.send(
        "POST",
        "/api/v1/manuals/m/releases",
        &headers,
        r#"{"name": "2024-03"}"#,
    );
    assert_eq!(again.status, 409);
    assert!(
        again.json()["error"]
            .as_str()
            .unwrap()
            .contains("nothing to report")
    );
    let log = n.git_log();
    assert!(log.contains("Eve <eve@example.org> Add m/fgm"), "{log}");
    assert!(
        log.contains("Eve <eve@example.org> Delete m/neglect"),
        "{log}"
    );
}

#[test]
fn a_scheduled_release_waits_for_its_date() {
    let n = newsroom();
    let s = &n.server;
    let base = n.draft_revision("neglect");
    let edit = n.put(
        &n.editor,
        "neglect",
        Some(&base),
        &chapter("Neglect", "Neglect, revised for next year.\n"),
    );
    assert_eq!(edit.status, 200);
    let auth = bearer(&n.publisher);
    let published = s.send(
        "POST",
        "/api/v1/manuals/m/releases",
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        r#"{"name": "2099-01", "date": "2099-01-01"}"#,
    );
    assert_eq!(published.status, 201, "{}", published.body);
    assert_eq!(published.json()["scheduled"], true);
    let current = s.fetch("/manuals/m/chapters/neglect", &[]).body;
    assert!(!current.contains("revised for next year"));
    let scheduled = s.fetch("/manuals/m/chapters/neglect?release=2099-01", &[]);
    assert!(
        scheduled
            .body
            .contains("This version is scheduled: it comes into force on 1 January 2099")
    );
    assert_eq!(scheduled.header("cache-control"), "no-cache");
}
