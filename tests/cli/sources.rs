//! National guidance under the chapters (SPEC §6 `sources check`, `reviews`): a local
//! server answering in the GOV.UK Content API's shape stands in for gov.uk; no test
//! reaches the internet.

mod legislation;

use std::collections::HashMap;

use crate::support::content_api::Api;
use crate::support::{Workspace, body};

const WT: &str = "/government/publications/working-together-to-safeguard-children--2";
const KCSIE: &str = "/government/publications/keeping-children-safe-in-education--2";

fn page(updated: &str, notes: &[(&str, &str)]) -> String {
    let history: Vec<String> = notes
        .iter()
        .map(|(at, note)| format!("{{\"public_timestamp\": \"{at}\", \"note\": \"{note}\"}}"))
        .collect();
    format!(
        "{{\"title\": \"x\", \"public_updated_at\": \"{updated}\", \"details\": {{\"change_history\": [{}]}}}}",
        history.join(", ")
    )
}

pub(super) fn set_clock(ws: &Workspace, now: &str) {
    let config = std::fs::read_to_string(&ws.config).unwrap();
    let config = config.split("\n[clock]").next().unwrap().to_owned();
    std::fs::write(&ws.config, format!("{config}\n[clock]\nnow = \"{now}\"\n")).unwrap();
}

fn chapter(title: &str, sources: &[&str], extra: &str) -> String {
    let list: Vec<String> = sources
        .iter()
        .map(|s| format!("\"https://www.gov.uk{s}\""))
        .collect();
    format!(
        "+++\ntitle = \"{title}\"\nsources = [{}]\n+++\n{}",
        list.join(", "),
        body(extra)
    )
}

pub(super) fn states(ws: &Workspace) -> HashMap<(String, String), serde_json::Value> {
    let out = ws
        .run(&["reviews", "--manual", "m", "--format", "json"])
        .ok()
        .stdout;
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut map = HashMap::new();
    for c in report["chapters"].as_array().unwrap() {
        for s in c["sources"].as_array().unwrap() {
            let url = s["url"]
                .as_str()
                .unwrap()
                .trim_start_matches("https://www.gov.uk")
                .to_owned();
            map.insert((c["id"].as_str().unwrap().to_owned(), url), s.clone());
        }
    }
    map
}

fn state(
    states: &HashMap<(String, String), serde_json::Value>,
    chapter: &str,
    url: &str,
) -> String {
    states[&(chapter.to_owned(), url.to_owned())]["state"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn guidance_changed_after_a_chapter_flags_it_until_revised_or_reviewed() {
    let api = Api::start();
    let ws = Workspace::new();
    let mut config = std::fs::read_to_string(&ws.config).unwrap();
    config.push_str(&format!(
        "\n[sources]\ngovuk_api = \"http://127.0.0.1:{}/api/content\"\n",
        api.port
    ));
    std::fs::write(&ws.config, config).unwrap();
    set_clock(&ws, "2026-01-10T09:00:00Z");
    let files = |a_extra: &str| {
        vec![
            ("a.md".to_owned(), chapter("Alpha", &[WT, KCSIE], a_extra)),
            ("b.md".to_owned(), chapter("Beta", &["/broken"], "")),
            ("c.md".to_owned(), chapter("Gamma", &["/malformed"], "")),
            ("e.md".to_owned(), chapter("Epsilon", &[WT], "")),
            (
                "f.md".to_owned(),
                "+++\ntitle = \"Phi\"\nsources = [\"https://www.example.org/guidance/phi\"]\n+++\nText.\n".to_owned(),
            ),
        ]
    };
    let snapshot = |name: &str, a_extra: &str| {
        let list = files(a_extra);
        let refs: Vec<(&str, &str)> = list.iter().map(|(f, t)| (f.as_str(), t.as_str())).collect();
        ws.snapshot(name, &refs)
    };
    let s1 = snapshot("s1", "");
    ws.import(&s1, "r1", "2026-01-10").ok();
    let before = states(&ws);
    assert!(
        before.values().all(|s| s["state"] == "unchecked"),
        "{before:?}"
    );

    api.answer(
        WT,
        200,
        &[
            ("Last-Modified", "Sun, 15 Feb 2026 10:00:00 GMT"),
            ("x-answer-304", "yes"),
        ],
        &page(
            "2026-02-15T10:00:00.000+00:00",
            &[
                ("2026-02-15T10:00:00Z", "Chapter 3 revised."),
                ("2024-12-01T09:00:00Z", "First published."),
            ],
        ),
    );
    api.answer(KCSIE, 200, &[], &page("2025-09-01T09:00:00Z", &[]));
    api.answer("/broken", 500, &[], "oops");
    api.answer("/malformed", 200, &[], "<html>not json</html>");
    set_clock(&ws, "2026-03-02T09:00:00Z");
    let run = ws.run(&["sources", "check"]).ok();
    let checked = run.stdout;
    assert_eq!(checked.lines().count(), 5, "one line per source: {checked}");
    assert!(run.stderr.contains("5 sources checked"), "{}", run.stderr);
    assert!(
        checked.contains("unreachable (HTTP 500): https://www.gov.uk/broken"),
        "{checked}"
    );
    assert!(
        checked.contains(
            "not checked (no provider for this address): https://www.example.org/guidance/phi"
        ),
        "{checked}"
    );
    {
        let seen = api.seen.lock().unwrap();
        assert_eq!(seen.len(), 4, "one request per gov.uk source: {seen:?}");
        assert!(
            seen.iter()
                .all(|(_, since, agent)| since.is_none() && agent.starts_with("chapterhouse/"))
        );
    }
    let now = states(&ws);
    assert_eq!(state(&now, "a", WT), "changed");
    assert_eq!(
        now[&("a".into(), WT.into())]["notes"][0],
        "2026-02-15: Chapter 3 revised."
    );
    assert_eq!(
        now[&("a".into(), WT.into())]["updated_at"],
        "2026-02-15T10:00:00+00:00"
    );
    assert_eq!(state(&now, "e", WT), "changed");
    assert_eq!(state(&now, "a", KCSIE), "unchanged");
    assert_eq!(state(&now, "b", "/broken"), "unreachable");
    assert_eq!(state(&now, "c", "/malformed"), "unreachable");

    // Asked again: WT is not modified (asked with If-Modified-Since), KCSIE fails now.
    api.answer(KCSIE, 503, &[], "");
    ws.run(&["sources", "check"]).ok();
    let since: Vec<Option<String>> = api.seen.lock().unwrap()[4..]
        .iter()
        .filter(|(p, ..)| p.ends_with(WT))
        .map(|(_, s, _)| s.clone())
        .collect();
    assert_eq!(since, [Some("Sun, 15 Feb 2026 10:00:00 GMT".to_owned())]);
    let again = states(&ws);
    assert_eq!(
        state(&again, "a", WT),
        "changed",
        "a 304 keeps what was seen"
    );
    assert_eq!(state(&again, "a", KCSIE), "unreachable");
    // A malformed answer never clears a flag.
    api.answer(WT, 200, &[], "{\"public_updated_at\": 7}");
    ws.run(&["sources", "check"]).ok();
    let kept = states(&ws);
    assert_eq!(state(&kept, "a", WT), "changed");
    // ... and the source says the last answer could not be used.
    let error = kept[&("a".into(), WT.into())]["error"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(error.contains("not the Content API's JSON"), "{error}");
    assert_eq!(kept[&("a".into(), KCSIE.into())]["error"], "HTTP 503");
    api.answer(WT, 200, &[], &page("2026-02-15T10:00:00Z", &[]));
    ws.run(&["sources", "check"]).ok();

    // Alpha is revised and released: its flag goes; Epsilon's stays until reviewed.
    set_clock(&ws, "2026-03-03T09:00:00Z");
    let s2 = snapshot("s2", " Updated in line with the revised Working Together.");
    ws.import(&s2, "r2", "2026-03-03").ok();
    let revised = states(&ws);
    assert_eq!(state(&revised, "a", WT), "unchanged");
    assert_eq!(state(&revised, "e", WT), "changed");
    let url = format!("https://www.gov.uk{WT}");
    ws.run(&[
        "sources",
        "reviewed",
        "--manual",
        "m",
        "--chapter",
        "e",
        "--url",
        &url,
        "--by",
        "Sam Editor",
    ])
    .ok();
    let reviewed = states(&ws);
    assert_eq!(state(&reviewed, "e", WT), "unchanged");
    assert_eq!(
        reviewed[&("e".into(), WT.into())]["reviewed_by"],
        "Sam Editor"
    );
    ws.run(&[
        "sources",
        "reviewed",
        "--manual",
        "m",
        "--chapter",
        "e",
        "--url",
        "https://www.gov.uk/other",
        "--by",
        "Sam",
    ])
    .refused("does not list the source");
    ws.run(&[
        "sources",
        "reviewed",
        "--manual",
        "m",
        "--chapter",
        "zz",
        "--url",
        &url,
        "--by",
        "Sam",
    ])
    .refused("does not list the source");
    ws.run(&[
        "sources",
        "reviewed",
        "--manual",
        "m",
        "--chapter",
        "e",
        "--url",
        &url,
        "--by",
        " ",
    ])
    .refused("say who reviewed");
}

#[test]
fn an_editor_sees_changed_guidance_on_the_dashboard_and_marks_it_reviewed() {
    use crate::support::Server;
    use crate::workspace::{Desk, add_editor};
    let api = Api::start();
    let ws = Workspace::new();
    ws.enable_reminders();
    let mut config = std::fs::read_to_string(&ws.config).unwrap();
    config.push_str(&format!(
        "\n[sources]\ngovuk_api = \"http://127.0.0.1:{}/api/content\"\nenabled = false\n",
        api.port
    ));
    std::fs::write(&ws.config, config).unwrap();
    set_clock(&ws, "2026-01-10T09:00:00Z");
    let text = chapter("Epsilon", &[WT], "");
    let s1 = ws.snapshot("s1", &[("e.md", &text)]);
    ws.import(&s1, "r1", "2026-01-10").ok();
    api.answer(
        WT,
        200,
        &[],
        &page(
            "2026-02-15T10:00:00Z",
            &[("2026-02-15T10:00:00Z", "Chapter 3 revised.")],
        ),
    );
    set_clock(&ws, "2026-03-02T09:00:00Z");
    ws.run(&["sources", "check"]).ok();
    let (_, link) = add_editor(&ws, "Sam", "editor");
    let server = Server::start(ws);
    // Monday after 08:00: the weekly reminder goes to the editors (the chapter has no
    // owner), naming the guidance that changed.
    let mail = crate::workspace::outbox(&server.ws, 1);
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert!(mail[0].contains("To: sam@example.org"), "{}", mail[0]);
    assert!(
        mail[0].contains("national guidance changed on 2026-02-15"),
        "{}",
        mail[0]
    );
    let desk = Desk::sign_in(&server, &link);
    let page = desk.get("/edit/manuals/m/reviews").body;
    assert!(page.contains("National guidance changed"), "{page}");
    assert!(page.contains("2026-02-15: Chapter 3 revised."), "{page}");
    assert!(page.contains("Reviewed: no change needed"), "{page}");
    // The chapter's own page says so too, with the same button.
    let edit = desk.get("/edit/manuals/m/chapters/e").body;
    assert!(edit.contains("National guidance changed"), "{edit}");
    assert!(edit.contains("2026-02-15: Chapter 3 revised."), "{edit}");
    assert!(edit.contains(r#"name="back" value="chapter""#), "{edit}");
    assert!(
        !edit.contains(r#"name="url" value="https://www.gov.uk"#),
        "the chapter form's url field is its own"
    );

    let url = format!("https://www.gov.uk{WT}");
    let forged = server.send(
        "POST",
        "/edit/manuals/m/reviews",
        &[("content-type", "application/x-www-form-urlencoded")],
        format!("chapter=e&url={url}&csrf=nope"),
    );
    assert!(matches!(forged.status, 401 | 403), "{}", forged.status);
    let csrf = desk.csrf();
    let wrong = desk.post(
        "/edit/manuals/m/reviews",
        &[
            ("csrf", &csrf),
            ("chapter", "e"),
            ("url", "https://www.gov.uk/other"),
        ],
    );
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    let done = desk.post(
        "/edit/manuals/m/reviews",
        &[
            ("csrf", &csrf),
            ("chapter", "e"),
            ("url", &url),
            ("action", "reviewed"),
        ],
    );
    assert_eq!(
        (done.status, done.header("location")),
        (303, "/edit/manuals/m/reviews")
    );
    let page = desk.get("/edit/manuals/m/reviews").body;
    assert!(!page.contains("National guidance changed"), "{page}");
    assert!(
        page.contains("reviewed by Sam &#60;sam@example.org&#62;"),
        "{page}"
    );
    let edit = desk.get("/edit/manuals/m/chapters/e").body;
    assert!(!edit.contains("National guidance changed"), "{edit}");
    // From the chapter's page, the button leads back to it.
    let again = desk.post(
        "/edit/manuals/m/reviews",
        &[
            ("csrf", &csrf),
            ("chapter", "e"),
            ("source", &url),
            ("back", "chapter"),
        ],
    );
    assert_eq!(
        (again.status, again.header("location")),
        (303, "/edit/manuals/m/chapters/e?reviewed=1")
    );
    let edit = desk.get("/edit/manuals/m/chapters/e?reviewed=1").body;
    assert!(edit.contains("Recorded: the source was reviewed"), "{edit}");
}
