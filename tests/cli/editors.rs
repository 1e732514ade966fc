//! Editors (SPEC §6 `editors add`, §7 editor endpoints): tokens, chapter writes guarded by
//! If-Match and If-None-Match (RFC 9110), validation, races, the draft preview and publishing
//! through the API.

use std::process::Command;

use crate::support::{Server, Workspace, body, chapter};

/// A workspace with one release of manual `m` (two chapters), an editor and a publisher.
struct Newsroom {
    server: Server,
    editor: String,
    publisher: String,
}

fn token(ws: &Workspace, name: &str, role: &str) -> String {
    let run = ws
        .run(&[
            "editors",
            "add",
            name,
            "--email",
            &format!("{}@example.org", name.to_lowercase()),
            "--role",
            role,
        ])
        .ok();
    assert!(run.stderr.contains("not shown again"));
    let mut lines = run.stdout.lines();
    let token = lines.next().unwrap().to_owned();
    assert!(
        lines.next().unwrap().starts_with("sign-in: http"),
        "{}",
        run.stdout
    );
    token
}

fn newsroom() -> Newsroom {
    let ws = Workspace::new();
    let snapshot = ws.snapshot(
        "r1",
        &[
            ("strategy.md", &chapter("Strategy Discussions", &body(""))),
            (
                "neglect.md",
                &chapter(
                    "Neglect",
                    "Neglect is the persistent failure to meet a child's needs.\n",
                ),
            ),
        ],
    );
    ws.import(&snapshot, "2024-01", "2024-01-10").ok();
    let editor = token(&ws, "Eve", "editor");
    let publisher = token(&ws, "Pat", "publisher");
    Newsroom {
        server: Server::start(ws),
        editor,
        publisher,
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

impl Newsroom {
    fn draft_revision(&self, id: &str) -> String {
        let answer = self.server.fetch(
            &format!("/api/v1/manuals/m/draft/chapters/{id}"),
            &[("authorization", &bearer(&self.editor))],
        );
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.json()["revision"].as_str().unwrap().to_owned()
    }

    fn put(
        &self,
        token: &str,
        id: &str,
        if_match: Option<&str>,
        text: &str,
    ) -> crate::support::Answer {
        let conditions: Vec<_> = if_match.map(|m| ("if-match", m)).into_iter().collect();
        self.put_if(token, id, &conditions, text)
    }

    /// A PUT with these conditional headers (`if-match`, `if-none-match`).
    fn put_if(
        &self,
        token: &str,
        id: &str,
        conditions: &[(&str, &str)],
        text: &str,
    ) -> crate::support::Answer {
        let auth = bearer(token);
        let mut headers = vec![("authorization", auth.as_str())];
        headers.extend_from_slice(conditions);
        self.server.send(
            "PUT",
            &format!("/api/v1/manuals/m/chapters/{id}"),
            &headers,
            text.to_owned(),
        )
    }

    /// The chapter's Markdown as the draft has it.
    fn draft_text(&self, id: &str) -> String {
        let answer = self.server.fetch(
            &format!("/api/v1/manuals/m/draft/chapters/{id}"),
            &[("authorization", &bearer(&self.editor))],
        );
        answer.json()["markdown"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    fn git_log(&self) -> String {
        let out = Command::new("git")
            .arg("--git-dir")
            .arg(self.server.ws.data.join("store.git"))
            .args(["log", "--format=%an <%ae> %s", "main"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    }
}

#[test]
fn editors_are_added_listed_and_revoked() {
    let ws = Workspace::new();
    let token = token(&ws, "Eve", "editor");
    assert!(token.starts_with("chx_1_") && token.len() > 60, "{token}");
    let list = ws.run(&["editors", "list"]).ok().stdout;
    assert_eq!(list, "1\teditor\tEve\teve@example.org\n");
    // Only a hash is kept: the token is nowhere in the database file.
    let db = std::fs::read(ws.data.join("chapterhouse.db")).unwrap();
    let secret = token.rsplit('_').next().unwrap();
    assert!(!db.windows(secret.len()).any(|w| w == secret.as_bytes()));
    ws.run(&[
        "editors",
        "add",
        "Bad",
        "--email",
        "x@example.org",
        "--role",
        "admin",
    ])
    .refused("unknown role");
    ws.run(&[
        "editors",
        "add",
        "Bad\nName",
        "--email",
        "x@example.org",
        "--role",
        "editor",
    ])
    .refused("not an author");
    ws.run(&[
        "editors", "add", "Bad", "--email", "nope", "--role", "editor",
    ])
    .refused("not an author");
    ws.run(&["editors", "remove", "1"]).ok();
    assert_eq!(ws.run(&["editors", "list"]).ok().stdout, "");
    ws.run(&["editors", "remove", "1"]).refused("no editor 1");
}

#[test]
fn writes_need_a_valid_token_and_publishing_the_publisher_role() {
    let n = newsroom();
    let s = &n.server;
    let text = chapter("Neglect", "Changed.\n");
    let none = s.send(
        "PUT",
        "/api/v1/manuals/m/chapters/neglect",
        &[],
        text.clone(),
    );
    assert_eq!(none.status, 401);
    assert!(none.header("www-authenticate").starts_with("Bearer"));
    for bad in [
        "Bearer nope",
        "Bearer chx_1_00",
        "Basic ZXZlOnB3",
        "Bearer ",
        &format!("Bearer {}x", n.editor),
    ] {
        let answer = s.send(
            "PUT",
            "/api/v1/manuals/m/chapters/neglect",
            &[("authorization", bad)],
            text.clone(),
        );
        assert_eq!(answer.status, 401, "{bad}");
        assert!(answer.json()["error"].is_string());
    }
    assert_eq!(s.fetch("/api/v1/manuals/m/draft", &[]).status, 401);
    let publish = s.send(
        "POST",
        "/api/v1/manuals/m/releases",
        &[
            ("authorization", &bearer(&n.editor)),
            ("content-type", "application/json"),
        ],
        r#"{"name": "2024-02"}"#,
    );
    assert_eq!(publish.status, 403);
    assert!(
        publish.json()["error"]
            .as_str()
            .unwrap()
            .contains("publisher")
    );
    assert!(!n.git_log().contains("Eve"));
}

#[test]
fn a_stale_edit_is_refused_and_the_colleagues_edit_survives() {
    let n = newsroom();
    let base = n.draft_revision("neglect");
    let first = n.put(
        &n.editor,
        "neglect",
        Some(&format!("\"{base}\"")),
        &chapter("Neglect", "First editor's text.\n"),
    );
    assert_eq!(first.status, 200, "{}", first.body);
    let new_revision = first.json()["revision"].as_str().unwrap().to_owned();
    assert_eq!(first.header("etag"), format!("\"{new_revision}\""));
    let second = n.put(
        &n.publisher,
        "neglect",
        Some(&base),
        &chapter("Neglect", "Second editor's text.\n"),
    );
    assert_eq!(second.status, 412, "{}", second.body);
    assert!(
        second.json()["error"]
            .as_str()
            .unwrap()
            .contains("was changed since")
    );
    let draft = n.server.fetch(
        "/api/v1/manuals/m/draft/chapters/neglect",
        &[("authorization", &bearer(&n.editor))],
    );
    assert!(
        draft.json()["markdown"]
            .as_str()
            .unwrap()
            .contains("First editor's text.")
    );
    // Without If-Match an existing chapter cannot be overwritten.
    let blind = n.put(&n.editor, "neglect", None, &chapter("Neglect", "Blind.\n"));
    assert_eq!(blind.status, 428);
    // The release's revision works as If-Match while the chapter is unchanged since.
    let (_, release) = n.server.get("/api/v1/manuals/m/chapters/strategy");
    let commit = release["revision"].as_str().unwrap();
    let edit = n.put(
        &n.editor,
        "strategy",
        Some(commit),
        &chapter("Strategy Discussions", &body(" Edited.")),
    );
    assert_eq!(edit.status, 200, "{}", edit.body);
    let log = n.git_log();
    assert!(
        log.starts_with(
            "Eve <eve@example.org> Edit m/strategy\nEve <eve@example.org> Edit m/neglect\n"
        ),
        "{log}"
    );
}

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
