//! Editors (SPEC §6 `editors add`, §7 editor endpoints): tokens, chapter writes guarded by
//! If-Match and If-None-Match (RFC 9110), validation, races, the draft preview and publishing
//! through the API.

mod preconditions;
mod publishing;

use std::process::Command;

use crate::support::{Server, Workspace, body, chapter};

/// A workspace with one release of manual `m` (two chapters), an editor and a publisher.
pub(super) struct Newsroom {
    pub(super) server: Server,
    pub(super) editor: String,
    pub(super) publisher: String,
}

pub(super) fn token(ws: &Workspace, name: &str, role: &str) -> String {
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

pub(super) fn newsroom() -> Newsroom {
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

pub(super) fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

impl Newsroom {
    pub(super) fn draft_revision(&self, id: &str) -> String {
        let answer = self.server.fetch(
            &format!("/api/v1/manuals/m/draft/chapters/{id}"),
            &[("authorization", &bearer(&self.editor))],
        );
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.json()["revision"].as_str().unwrap().to_owned()
    }

    pub(super) fn put(
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
    pub(super) fn put_if(
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
    pub(super) fn draft_text(&self, id: &str) -> String {
        let answer = self.server.fetch(
            &format!("/api/v1/manuals/m/draft/chapters/{id}"),
            &[("authorization", &bearer(&self.editor))],
        );
        answer.json()["markdown"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub(super) fn git_log(&self) -> String {
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
