//! Clients that try to make the server mail strangers, post forms from other sites, guess
//! links or probe the API: each gets a clear refusal, and nothing is sent or changed.

use std::time::Duration;

use crate::support::{Server, Workspace, decoded};
use crate::workspace::outbox;

/// The sample, with one more `[server]` setting (its config ends with that table).
fn with_server_setting(line: &str) -> Workspace {
    let ws = Workspace::with_sample();
    let mut text = std::fs::read_to_string(&ws.config).unwrap();
    assert!(
        text.trim_end()
            .rsplit("\n[")
            .next()
            .unwrap()
            .starts_with("server]")
    );
    text.push_str(line);
    text.push('\n');
    std::fs::write(&ws.config, text).unwrap();
    ws
}

fn subscribe(s: &Server, body: &str) -> crate::support::Answer {
    s.send(
        "POST",
        "/api/v1/subscriptions",
        &[("content-type", "application/json")],
        body.to_owned(),
    )
}

#[test]
fn an_address_posted_fifty_times_gets_one_email_and_keeps_its_first_choices() {
    let s = Server::start(with_server_setting("mail_requests_per_client = 1000"));
    let first = subscribe(
        &s,
        r#"{"email": "sam@example.org", "manuals": ["children"]}"#,
    );
    assert_eq!(first.status, 202);
    for _ in 0..49 {
        let again = subscribe(
            &s,
            r#"{"email": "sam@example.org", "manuals": ["adults"], "frequency": "immediate"}"#,
        );
        assert_eq!((again.status, &again.body), (202, &first.body));
    }
    let mail = outbox(&s.ws, 1);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(outbox(&s.ws, 1).len(), 1, "one confirmation, not fifty");
    // The link mailed first still works, and confirms what its owner chose.
    let message = decoded(&mail[0]);
    let link = message
        .split_whitespace()
        .find(|w| w.contains("/subscriptions/confirm?token="))
        .unwrap();
    let path = &link[link.find("/subscriptions").unwrap()..].trim_end_matches(['"', '>']);
    assert_eq!(s.fetch(path, &[]).status, 200);
    let list = s.ws.run(&["subscribers", "list"]).ok().stdout;
    assert!(
        list.contains("sam@example.org\tmonthly\tchildren\tconfirmed"),
        "{list}"
    );
}

#[test]
fn a_client_gets_a_few_mail_requests_then_429_with_retry_after() {
    let s = Server::start(with_server_setting("mail_requests_per_client = 3"));
    for i in 0..3 {
        let body = format!(r#"{{"email": "p{i}@example.org"}}"#);
        assert_eq!(subscribe(&s, &body).status, 202);
    }
    let refused = subscribe(&s, r#"{"email": "p9@example.org"}"#);
    assert_eq!(refused.status, 429);
    assert!(
        refused
            .header("content-type")
            .starts_with("application/json")
    );
    let wait: u64 = refused.header("retry-after").parse().unwrap();
    assert!((1..=600).contains(&wait), "{wait}");
    let form = s.send(
        "POST",
        "/signin",
        &[("content-type", "application/x-www-form-urlencoded")],
        "email=a%40example.org",
    );
    assert_eq!(form.status, 429, "the sign-in form shares the limit");
    assert!(form.body.contains("<h1>"), "a page, not JSON");
    // Reading is never limited.
    assert_eq!(s.fetch("/", &[]).status, 200);
}

#[test]
fn forms_posted_from_other_sites_and_non_json_posts_are_refused() {
    let s = Server::start(Workspace::with_sample());
    let form = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("origin", "https://evil.example"),
    ];
    let answer = s.send(
        "POST",
        "/subscribe",
        &form,
        "email=victim%40example.org&manual=children",
    );
    assert_eq!(answer.status, 403);
    let referred = s.send(
        "POST",
        "/signin",
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("referer", "https://evil.example/x"),
        ],
        "email=victim%40example.org",
    );
    assert_eq!(referred.status, 403);
    // A cross-site fetch can send text/plain without asking first: the API wants JSON.
    let plain = s.send(
        "POST",
        "/api/v1/subscriptions",
        &[("content-type", "text/plain")],
        r#"{"email": "victim@example.org"}"#,
    );
    assert_eq!(plain.status, 415);
    assert!(plain.header("content-type").starts_with("application/json"));
    // This site's own form, as a browser sends it.
    let origin = s.base.clone();
    let ours = s.send(
        "POST",
        "/subscribe",
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("origin", origin.as_str()),
        ],
        "email=sam%40example.org&manual=children",
    );
    assert_eq!(ours.status, 200);
    assert_eq!(outbox(&s.ws, 1).len(), 1);
    assert!(decoded(&outbox(&s.ws, 1)[0]).contains("sam@example.org"));
}

#[test]
fn made_up_links_say_they_do_not_work() {
    let s = Server::start(Workspace::with_sample());
    let form = [("content-type", "application/x-www-form-urlencoded")];
    for token in ["1.deadbeef", "nonsense", ""] {
        let answer = s.send(
            "POST",
            &format!("/unsubscribe?token={token}"),
            &form,
            "List-Unsubscribe=One-Click",
        );
        assert_eq!(answer.status, 404, "{token}");
        assert!(answer.body.contains("no longer works"), "{token}");
        assert!(!answer.body.contains("You are unsubscribed"));
    }
}

#[test]
fn api_errors_are_json_and_tokens_are_checked_before_input() {
    let s = Server::start(Workspace::with_sample());
    let json =
        |a: &crate::support::Answer| a.header("content-type").starts_with("application/json");
    let wrong_method = s.fetch("/api/v1/subscriptions", &[]);
    assert_eq!(wrong_method.status, 405);
    assert!(json(&wrong_method), "{:?}", wrong_method.headers);
    let long = s.fetch(&format!("/api/v1/search?q={}", "a".repeat(10_000)), &[]);
    assert_eq!(long.status, 414);
    assert!(json(&long));
    let big = s.try_send(
        "PUT",
        "/api/v1/manuals/children/chapters/x",
        &[("authorization", "Bearer x")],
        vec![b'a'; 3 * 1024 * 1024],
    );
    if let Ok(big) = big {
        assert_eq!(big.status, 413);
        assert!(json(&big));
    }
    // No token: 401 before anything about the body or the precondition.
    let anonymous = s.send(
        "PUT",
        "/api/v1/manuals/children/chapters/x",
        &[("if-match", "not a tag, \"")],
        vec![0xff, 0xfe],
    );
    assert_eq!(anonymous.status, 401);
    let publish = s.send("POST", "/api/v1/manuals/nope/releases", &[], "not json");
    assert_eq!(publish.status, 401);
}

#[test]
fn a_subscriber_can_make_new_links_and_the_old_ones_stop_working() {
    let s = Server::start(Workspace::with_sample());
    assert_eq!(subscribe(&s, r#"{"email": "sam@example.org"}"#).status, 202);
    let message = decoded(&outbox(&s.ws, 1)[0]);
    let manage = message
        .split_whitespace()
        .find(|w| w.contains("/subscriptions/manage?token="))
        .unwrap();
    let manage = manage[manage.find("/subscriptions").unwrap()..]
        .trim_end_matches(['"', '>'])
        .to_owned();
    let page = s.fetch(&manage, &[]);
    assert_eq!(page.status, 200);
    assert_eq!(page.header("cache-control"), "private, no-store");
    let token = manage.split("token=").nth(1).unwrap();
    let rotated = s.send(
        "POST",
        "/subscriptions/rotate",
        &[("content-type", "application/x-www-form-urlencoded")],
        format!("token={token}"),
    );
    assert_eq!(rotated.status, 200);
    assert!(rotated.body.contains("New links made"));
    let fresh = rotated
        .body
        .split_whitespace()
        .find(|w| w.contains("/subscriptions/manage?token="))
        .unwrap();
    let fresh = fresh[fresh.find("/subscriptions").unwrap()..]
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(s.fetch(&manage, &[]).status, 404, "the old link ended");
    assert_eq!(s.fetch(&fresh, &[]).status, 200, "{fresh}");
}

#[test]
fn entity_tag_preconditions_follow_rfc_9110() {
    let ws = Workspace::with_sample();
    let out = ws
        .run(&[
            "editors",
            "add",
            "Pat",
            "--email",
            "pat@example.org",
            "--role",
            "publisher",
        ])
        .ok()
        .stdout;
    let bearer = format!("Bearer {}", out.lines().next().unwrap());
    let s = Server::start(ws);
    let chapter = "/api/v1/manuals/children/chapters/section-47-enquiries";
    let (status, draft) = {
        let a = s.fetch(
            "/api/v1/manuals/children/draft/chapters/section-47-enquiries",
            &[("authorization", &bearer)],
        );
        (a.status, a.json())
    };
    assert_eq!(status, 200);
    let revision = draft["revision"].as_str().unwrap().to_owned();
    let text = |words: &str| {
        format!("+++\ntitle = \"Section 47 Enquiries\"\n+++\n## 1. About\n\n{words}\n")
    };
    let put = |path: &str, precondition: (&str, &str), body: String| {
        s.send(
            "PUT",
            path,
            &[("authorization", &bearer), precondition],
            body,
        )
        .status
    };
    // A weak tag never matches If-Match, even with the right revision.
    assert_eq!(
        put(
            chapter,
            ("if-match", &format!("W/\"{revision}\"")),
            text("weak")
        ),
        412
    );
    // A list matches when any of its tags does.
    let list = format!("\"0000\", \"{revision}\"");
    assert_eq!(put(chapter, ("if-match", &list), text("listed")), 200);
    // `If-None-Match: *` creates only; `If-Match: *` needs the chapter to exist.
    let missing = "/api/v1/manuals/children/chapters/interpreters";
    assert_eq!(put(chapter, ("if-none-match", "*"), text("again")), 412);
    let new_text = "+++\ntitle = \"Interpreters\"\n+++\nBook one.\n".to_owned();
    assert_eq!(put(missing, ("if-match", "*"), new_text.clone()), 412);
    assert_eq!(put(missing, ("if-none-match", "*"), new_text.clone()), 201);
    assert_eq!(
        put(missing, ("if-match", "*"), new_text.replace("one", "two")),
        200
    );
}
