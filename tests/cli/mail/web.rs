//! Subscribing, confirming, managing and unsubscribing over HTTP (SPEC §7, §8).

use super::*;

#[test]
fn subscribing_confirming_and_unsubscribing_over_http() {
    let sink = Sink::start(Faults::NONE);
    let ws = Workspace::with_sample_and(&sink.config());
    add(&ws, "known@example.org", &["children"]);
    let s = Server::start(ws);
    let post = |body: &str| {
        s.send(
            "POST",
            "/api/v1/subscriptions",
            &[("content-type", "application/json")],
            body.to_owned(),
        )
    };
    // The same answer for a new address and a known one.
    let new =
        post(r#"{"email": "new@example.org", "manuals": ["children"], "frequency": "monthly"}"#);
    let known =
        post(r#"{"email": "known@example.org", "manuals": ["adults"], "frequency": "immediate"}"#);
    assert_eq!((new.status, known.status), (202, 202));
    assert_eq!(new.body, known.body);
    // Bad input is refused and changes nothing.
    for bad in [
        r#"{"email": "a@b.org\r\nBcc: victim@example.org", "manuals": []}"#,
        r#"{"email": "Someone <a@b.org>"}"#,
        r#"{"email": "a@b.org", "manuals": ["../etc"]}"#,
        r#"{"email": "a@b.org", "frequency": "hourly"}"#,
        r#"{"mail": "a@b.org"}"#,
        "not json",
    ] {
        assert_eq!(post(bad).status, 422, "{bad}");
    }
    let wait_for = |to: &str, n: usize| {
        let started = Instant::now();
        loop {
            let found: Vec<String> = sink
                .messages()
                .into_iter()
                .filter(|(r, _)| r == to)
                .map(|(_, m)| m)
                .collect();
            if found.len() >= n {
                return found;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no email to {to}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let confirmation_raw = wait_for("new@example.org", 1).remove(0);
    // Even the confirmation carries the list headers and a manage link.
    assert!(
        header(&confirmation_raw, "List-Unsubscribe")
            .starts_with("<https://procedures.example.org/unsubscribe?token=")
    );
    assert_eq!(
        header(&confirmation_raw, "List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    let confirmation = decoded(&confirmation_raw);
    assert!(confirmation.contains("https://procedures.example.org/subscriptions/manage?token="));
    let known_mail = decoded(&wait_for("known@example.org", 1)[0]);
    assert!(known_mail.contains("subscribed already"), "{known_mail}");
    assert!(!sink.messages().iter().any(|(to, _)| to.contains("victim")));
    let link = confirmation
        .split_whitespace()
        .find(|w| w.starts_with("https://procedures.example.org/subscriptions/confirm?token="))
        .unwrap()
        .trim_end_matches(['"', '>'])
        .to_owned();
    let path = link.trim_start_matches("https://procedures.example.org");
    assert_eq!(
        s.fetch("/subscriptions/confirm?token=wrong", &[]).status,
        404
    );
    let confirmed = s.fetch(path, &[]);
    assert_eq!(confirmed.status, 200);
    assert!(confirmed.body.contains("Your subscription is confirmed"));
    assert_eq!(
        s.fetch(path, &[]).status,
        404,
        "a confirmation link works once"
    );

    // The known subscriber's preferences did not change by knowing the address.
    let list = s.ws.run(&["subscribers", "list"]).ok().stdout;
    assert!(
        list.contains("known@example.org\tmonthly\tchildren\tconfirmed"),
        "{list}"
    );
    assert!(
        list.contains("new@example.org\tmonthly\tchildren\tconfirmed"),
        "{list}"
    );

    // The digest's one-click unsubscribe.
    let run = s.ws.run(&["digest", "--period", "2024-04"]).ok();
    assert!(run.stdout.contains("2 sent"), "{}", run.stdout);
    let digest = wait_for("new@example.org", 2).pop().unwrap();
    let target = header(&digest, "List-Unsubscribe")
        .trim_matches(['<', '>'])
        .to_owned();
    let target = target.trim_start_matches("https://procedures.example.org");
    let page = s.fetch(target, &[]);
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("<button type=\"submit\">Unsubscribe</button>")
    );
    let manage = decoded(&digest)
        .split_whitespace()
        .find(|w| w.starts_with("https://procedures.example.org/subscriptions/manage?token="))
        .unwrap()
        .trim_start_matches("https://procedures.example.org")
        .to_owned();
    let manage_page = s.fetch(&manage, &[]);
    assert_eq!(manage_page.status, 200);
    assert!(manage_page.body.contains("value=\"new@example.org\""));
    let one_click = s.send(
        "POST",
        target,
        &[("content-type", "application/x-www-form-urlencoded")],
        "List-Unsubscribe=One-Click",
    );
    assert_eq!(one_click.status, 200);
    assert!(one_click.body.contains("You are unsubscribed"));
    let again = s.send(
        "POST",
        target,
        &[("content-type", "application/x-www-form-urlencoded")],
        "List-Unsubscribe=One-Click",
    );
    assert_eq!(again.status, 200, "unsubscribing twice is harmless");
    assert_eq!(
        s.fetch(&manage, &[]).status,
        404,
        "the manage link ended with the subscription"
    );
    let list = s.ws.run(&["subscribers", "list"]).ok().stdout;
    assert!(!list.contains("new@example.org"), "{list}");
    // The web form answers as the API does.
    let form = s.send(
        "POST",
        "/subscribe",
        &[("content-type", "application/x-www-form-urlencoded")],
        "email=web%40example.org&manual=children&manual=adults&frequency=immediate",
    );
    assert_eq!(form.status, 200);
    assert!(form.body.contains("Check your email"));
    wait_for("web@example.org", 1);
    let list = s.ws.run(&["subscribers", "list"]).ok().stdout;
    assert!(
        list.contains("web@example.org\timmediate\tadults children\tunconfirmed"),
        "{list}"
    );
}
