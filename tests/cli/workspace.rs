//! The editors' workspace over HTTP (SPEC §7a), driven by the form field names the
//! contract fixes: signing in by link, sessions, CSRF, the chapter form (preview, save,
//! conflicts, bad input, new chapters, deletion) and the review of a release.

mod chapters;

use std::time::{Duration, Instant};

use regex::Regex;

use crate::support::{Answer, Server, Workspace};

/// A signed-in browser, as far as the server can tell: its session cookie.
pub struct Desk<'s> {
    server: &'s Server,
    cookie: String,
}

/// Adds an editor; returns the API token and the sign-in link's path and query.
pub fn add_editor(ws: &Workspace, name: &str, role: &str) -> (String, String) {
    let out = ws
        .run(&[
            "editors",
            "add",
            name,
            "--email",
            &format!("{}@example.org", name.to_lowercase()),
            "--role",
            role,
        ])
        .ok()
        .stdout;
    let mut lines = out.lines();
    let token = lines.next().unwrap().to_owned();
    let link = lines.next().unwrap();
    (token, signin_path(link))
}

/// `sign-in: https://host/signin?token=…` → `/signin?token=…`.
fn signin_path(line: &str) -> String {
    let url = line
        .strip_prefix("sign-in: ")
        .unwrap_or_else(|| panic!("{line:?}"));
    let at = url
        .find("/signin?token=")
        .unwrap_or_else(|| panic!("{url}"));
    url[at..].to_owned()
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The value of a form input by name.
pub fn input(html: &str, name: &str) -> String {
    let pattern = format!(r#"name="{}"[^>]*?value="([^"]*)""#, regex::escape(name));
    let found = Regex::new(&pattern).unwrap().captures(html);
    unescape(&found.unwrap_or_else(|| panic!("no input {name} in {html}"))[1])
}

pub fn textarea(html: &str, name: &str) -> String {
    let pattern = format!(
        r#"(?s)<textarea[^>]*name="{}"[^>]*>(.*?)</textarea>"#,
        regex::escape(name)
    );
    let found = Regex::new(&pattern).unwrap().captures(html);
    unescape(&found.unwrap_or_else(|| panic!("no textarea {name}"))[1])
}

fn encode(fields: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

impl<'s> Desk<'s> {
    pub fn sign_in(server: &'s Server, path: &str) -> Desk<'s> {
        let answer = server.fetch(path, &[]);
        assert_eq!(answer.status, 303, "{}", answer.body);
        assert_eq!(answer.header("location"), "/edit");
        let set = answer.header("set-cookie").to_owned();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Lax"),
            "{set}"
        );
        let cookie = set.split(';').next().unwrap().to_owned();
        Desk { server, cookie }
    }

    pub fn get(&self, path: &str) -> Answer {
        self.server.fetch(path, &[("cookie", &self.cookie)])
    }

    pub fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        self.server.send(
            "POST",
            path,
            &[
                ("cookie", &self.cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            encode(fields),
        )
    }

    /// The CSRF token of the session's pages.
    pub fn csrf(&self) -> String {
        input(&self.get("/edit").body, "csrf")
    }
}

pub fn commits(ws: &Workspace) -> Vec<String> {
    let out = std::process::Command::new("git")
        .arg("--git-dir")
        .arg(ws.data.join("store.git"))
        .args(["log", "--format=%an|%s"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The outbox's messages, once at least `count` are there.
pub fn outbox(ws: &Workspace, count: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut messages: Vec<String> = std::fs::read_dir(ws.data.join("outbox"))
            .map(|d| {
                // Finished messages only: the outbox writes `.tmp` files, then renames them.
                d.flatten()
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        messages.sort();
        if messages.len() >= count || Instant::now() > deadline {
            return messages;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

const CHAPTER: &str = "/edit/manuals/children/chapters/section-47-enquiries";

#[test]
fn a_signin_link_opens_one_session_which_signing_out_or_revoking_ends() {
    let ws = Workspace::with_sample();
    let (_, link) = add_editor(&ws, "Sam", "editor");
    let server = Server::start(ws);
    // Without a session: pages send to /signin, forms are refused.
    let anonymous = server.fetch("/edit", &[]);
    assert_eq!(
        (anonymous.status, anonymous.header("location")),
        (303, "/signin")
    );
    let post = server.send(
        "POST",
        CHAPTER,
        &[("content-type", "application/x-www-form-urlencoded")],
        "action=save&title=x",
    );
    assert_eq!(post.status, 403);

    let first = server.fetch(&link, &[]);
    // The public address is https: the cookie is Secure.
    assert!(
        first.header("set-cookie").contains("; Secure"),
        "{:?}",
        first.headers
    );
    let cookie = first
        .header("set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let desk = Desk {
        server: &server,
        cookie,
    };
    let again = server.fetch(&link, &[]);
    assert_eq!(again.status, 403, "a link works once");
    assert_eq!(again.header("set-cookie"), "");
    let page = desk.get("/edit");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Signed in as Sam") && page.header("cache-control") == "no-store");
    for bad in ["/signin?token=nonsense", "/signin?token="] {
        let answer = server.fetch(bad, &[]);
        assert!(matches!(answer.status, 400 | 403 | 200), "{bad}");
        assert_eq!(answer.header("set-cookie"), "", "{bad}");
    }
    // Signing out needs the form's token.
    assert_eq!(desk.post("/signout", &[]).status, 403);
    assert_eq!(desk.get("/edit").status, 200);
    let out = desk.post("/signout", &[("csrf", &desk.csrf())]);
    assert_eq!((out.status, out.header("location")), (303, "/signin"));
    assert_eq!(desk.get("/edit").status, 303);

    // A fresh link from the command line; revoking the editor ends the session at once.
    let fresh = server
        .ws
        .run(&["editors", "signin-link", "SAM@example.org"])
        .ok()
        .stdout;
    let desk = Desk::sign_in(&server, &signin_path(fresh.trim()));
    assert_eq!(desk.get("/edit").status, 200);
    server.ws.run(&["editors", "remove", "1"]).ok();
    assert_eq!(desk.get("/edit").status, 303);
    server
        .ws
        .run(&["editors", "signin-link", "nobody@example.org"])
        .refused("no editor");
}

#[test]
fn a_link_by_email_goes_to_editors_only_and_at_most_once_in_ten_minutes() {
    let ws = Workspace::with_sample();
    add_editor(&ws, "Sam", "editor");
    let server = Server::start(ws);
    let ask = |email: &str| {
        let answer = server.send(
            "POST",
            "/signin",
            &[("content-type", "application/x-www-form-urlencoded")],
            encode(&[("email", email)]),
        );
        assert_eq!(answer.status, 200);
        assert!(answer.body.contains("Check your email"));
        answer.body
    };
    let known = ask("sam@example.org");
    let unknown = ask("nobody@example.org");
    assert_eq!(known, unknown, "the answer tells nothing about the address");
    ask("sam@example.org");
    ask("bad\r\nBcc: x@example.org");
    let messages = outbox(&server.ws, 1);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(outbox(&server.ws, 1).len(), 1, "one email only");
    let message = crate::support::decoded(&messages[0]);
    assert!(message.contains("To: sam@example.org"), "{message}");
    let link = Regex::new(r"/signin\?token=[0-9a-f]+")
        .unwrap()
        .find(&message)
        .unwrap()
        .as_str()
        .to_owned();
    Desk::sign_in(&server, &link);
}
