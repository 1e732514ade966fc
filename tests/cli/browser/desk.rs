//! What the workspace's browser tests share: editors added and signed in by the link the
//! command line prints, the fields of the page a browser shows, and forms sent without a
//! browser (as a forger would send them) with a browser's session cookie.

use fantoccini::{Client, Locator};
use serde_json::json;

use super::driver::{arrive, element, eventually, text_with};
use crate::support::{Answer, Server, Workspace};

/// The session cookie's name (SPEC §7a leaves it to us; the workspace sets this one).
const COOKIE: &str = "chapterhouse_session";

/// An editor added with `chapterhouse editors add`: the API token, and the address of the
/// sign-in link under the server's origin.
pub struct Editor {
    pub name: &'static str,
    pub token: String,
    pub signin: String,
}

/// Adds an editor, and keeps what the command printed: the token on line 1, the sign-in
/// link on line 2 (whose origin, `server.public_url`, the test server does not listen on).
pub fn add_editor(ws: &Workspace, name: &'static str, role: &str) -> Editor {
    let email = format!("{}@example.org", name.to_lowercase());
    let run = ws
        .run(&["editors", "add", name, "--email", &email, "--role", role])
        .ok();
    let mut lines = run.stdout.lines();
    let token = lines.next().unwrap_or_default().trim().to_owned();
    let link = lines
        .find_map(|l| l.strip_prefix("sign-in: "))
        .unwrap_or_else(|| panic!("no sign-in line in {:?}", run.stdout));
    let signin = link
        .find("/signin?token=")
        .map(|at| link[at..].to_owned())
        .unwrap_or_else(|| panic!("not a sign-in link: {link}"));
    Editor {
        name,
        token,
        signin,
    }
}

/// Follows the editor's sign-in link in the browser; the workspace opens, naming them.
pub async fn sign_in(c: &Client, base: &str, editor: &Editor) {
    c.goto(&format!("{base}{}", editor.signin)).await.unwrap();
    arrive(c, "/edit").await;
    text_with(c, ".desk .who", &format!("Signed in as {}", editor.name)).await;
}

/// Clicks the link with this text and waits for the address it leads to.
pub async fn follow(c: &Client, text: &str, to: &str) {
    element(c, Locator::LinkText(text))
        .await
        .click()
        .await
        .unwrap();
    arrive(c, to).await;
}

/// Clicks the button `action=value` and waits until a new page has replaced this one (the
/// old page's elements go stale), whatever its address.
pub async fn press(c: &Client, value: &str) {
    let button = element(
        c,
        Locator::Css(&format!("button[name=action][value={value}]")),
    )
    .await;
    let page = element(c, Locator::Css("html")).await;
    button.click().await.unwrap();
    eventually(
        &format!("the page after pressing {value:?}"),
        async || match page.tag_name().await {
            Ok(_) => Err("the same page".to_owned()),
            Err(_) => Ok(()),
        },
    )
    .await;
    element(c, Locator::Css("footer")).await;
}

/// Waits until the elements `css` together show `needle` (the words of a redline are
/// spread over several `<ins>`), and returns their texts joined by spaces.
pub async fn marked(c: &Client, css: &str, needle: &str) -> String {
    eventually(&format!("{css} showing {needle:?}"), async || {
        let mut words = Vec::new();
        for found in c
            .find_all(Locator::Css(css))
            .await
            .map_err(|e| e.to_string())?
        {
            words.push(found.text().await.map_err(|e| e.to_string())?);
        }
        let words = words.join(" ");
        if words.contains(needle) {
            Ok(words)
        } else {
            Err(format!("{words:?}"))
        }
    })
    .await
}

/// The current value of the form field `name` (what the browser would send).
pub async fn value(c: &Client, name: &str) -> String {
    element(c, Locator::Css(&format!("[name='{name}']")))
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// Replaces the text of the field `name` by typing.
pub async fn retype(c: &Client, name: &str, text: &str) {
    let field = element(c, Locator::Css(&format!("[name='{name}']"))).await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Types `text` at the end of the field `name`.
pub async fn type_after(c: &Client, name: &str, text: &str) {
    let field = element(c, Locator::Css(&format!("[name='{name}']"))).await;
    field.send_keys(text).await.unwrap();
}

/// Puts `text` in the field `name` at once, as pasting does (typing a whole chapter key by
/// key would take the test's time for nothing).
pub async fn paste(c: &Client, name: &str, text: &str) {
    let field = element(c, Locator::Css(&format!("[name='{name}']"))).await;
    let field = serde_json::to_value(&field).unwrap();
    c.execute(
        "arguments[0].value = arguments[1];",
        vec![field, json!(text)],
    )
    .await
    .unwrap();
}

/// The HTTP status of the page the browser shows (Navigation Timing's `responseStatus`).
pub async fn status(c: &Client) -> u64 {
    let answer = c
        .execute(
            "const n = performance.getEntriesByType('navigation')[0]; \
             return n ? n.responseStatus : null;",
            vec![],
        )
        .await
        .unwrap();
    answer
        .as_u64()
        .unwrap_or_else(|| panic!("the browser tells no status: {answer}"))
}

/// The browser's session: its cookie and the CSRF token of the page it shows.
pub struct Session {
    cookie: String,
    pub csrf: String,
}

impl Session {
    /// The session the browser holds, read off the page it shows.
    pub async fn of(c: &Client) -> Session {
        let cookie = c.get_named_cookie(COOKIE).await.unwrap();
        Session {
            cookie: format!("{COOKIE}={}", cookie.value()),
            csrf: value(c, "csrf").await,
        }
    }

    /// Sends a form to `path` as this session, from outside any browser: the fields as
    /// given, nothing added (so no CSRF token unless one is among them).
    pub fn post(&self, server: &Server, path: &str, fields: &[(&str, &str)]) -> Answer {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        tokio::task::block_in_place(|| {
            server.send(
                "POST",
                path,
                &[
                    ("cookie", &self.cookie),
                    ("content-type", "application/x-www-form-urlencoded"),
                ],
                body,
            )
        })
    }
}

/// A GET from outside the browser (the API, the feed), safe to call inside the tests'
/// runtime.
pub fn fetch(server: &Server, path: &str, headers: &[(&str, &str)]) -> Answer {
    tokio::task::block_in_place(|| server.fetch(path, headers))
}

/// The chapter's Markdown and revision in the draft, through the editors' API.
pub fn draft(server: &Server, editor: &Editor, id: &str) -> (String, String) {
    let auth = format!("Bearer {}", editor.token);
    let answer = fetch(
        server,
        &format!("/api/v1/manuals/children/draft/chapters/{id}"),
        &[("authorization", &auth)],
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    let json = answer.json();
    (
        json["markdown"].as_str().unwrap().to_owned(),
        json["revision"].as_str().unwrap().to_owned(),
    )
}

/// `git log` of the store's main branch, one line per commit: `author|subject`.
pub fn commits(ws: &Workspace) -> Vec<String> {
    let out = std::process::Command::new("git")
        .arg("--git-dir")
        .arg(ws.data.join("store.git"))
        .args(["log", "--format=%an|%s", "main"])
        .output()
        .unwrap();
    assert!(out.status.success(), "git log failed");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}
