//! Current, scheduled and point-in-time releases (SPEC §3), through the library.

use chapterhouse::app::Chapterhouse;
use chapterhouse::config::Config;
use chrono::NaiveDate;

use crate::support::{Workspace, body, chapter};

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn at_date_finds_the_release_in_force_and_future_releases_are_scheduled() {
    let ws = Workspace::new();
    let s1 = ws.snapshot("s1", &[("one.md", &chapter("One", &body("")))]);
    ws.import(&s1, "2024-03", "2024-03-04").ok();
    let s2 = ws.snapshot("s2", &[("one.md", &chapter("One", &body(" More.")))]);
    ws.import(&s2, "2024-04", "2024-04-02").ok();
    let s3 = ws.snapshot("s3", &[("one.md", &chapter("One", &body(" Even more.")))]);
    ws.import(&s3, "2999-01", "2999-01-01").ok();

    let mut config = Config::default();
    config.data.dir = ws.data.clone();
    let app = Chapterhouse::open(config).unwrap();
    let m = "m".parse().unwrap();
    let at = |d: &str| {
        app.release_at(&m, day(d))
            .unwrap()
            .map(|r| r.name.to_string())
    };
    assert_eq!(at("2024-01-01"), None);
    assert_eq!(at("2024-03-04").as_deref(), Some("2024-03"));
    assert_eq!(at("2024-04-01").as_deref(), Some("2024-03"));
    assert_eq!(at("2024-04-02").as_deref(), Some("2024-04"));
    assert_eq!(at("2998-12-31").as_deref(), Some("2024-04"));
    assert_eq!(at("2999-01-01").as_deref(), Some("2999-01"));
    let current = app.current_release(&m).unwrap().unwrap();
    assert_eq!(
        current.name.as_str(),
        "2024-04",
        "a future release is only scheduled"
    );
    // The scheduled release is still the latest for editors previewing its notice.
    assert_eq!(
        app.notice(&m, None, None).unwrap().to.name.as_str(),
        "2999-01"
    );
}

#[test]
fn the_configured_clock_decides_what_is_current_and_what_a_release_defaults_to() {
    let ws = Workspace::new();
    let s1 = ws.snapshot("s1", &[("one.md", &chapter("One", &body(" Old words.")))]);
    ws.import(&s1, "2024-03", "2024-03-04").ok();
    let s2 = ws.snapshot(
        "s2",
        &[("one.md", &chapter("One", &body(" Zebrafinch words.")))],
    );
    ws.import(&s2, "2030-01", "2030-01-01").ok();
    let search = |now: &str| {
        ws.run_with_env(
            &["search", "zebrafinch", "--format", "json"],
            &[("CHAPTERHOUSE__CLOCK__NOW", now)],
        )
        .ok()
        .stdout
    };
    let total =
        |out: String| serde_json::from_str::<serde_json::Value>(&out).unwrap()["total"].clone();
    assert_eq!(
        total(search("2029-12-31")),
        0,
        "scheduled, not yet in force"
    );
    assert_eq!(total(search("2030-01-01")), 1, "in force on its date");
    // A release without --date is dated today, by the clock.
    let s3 = ws.snapshot("s3", &[("one.md", &chapter("One", &body(" Newer words.")))]);
    let out = ws
        .run_with_env(
            &["import", &s3, "--manual", "m", "--release", "2030-02"],
            &[("CHAPTERHOUSE__CLOCK__NOW", "2030-02-03T10:00:00Z")],
        )
        .ok()
        .stdout;
    assert!(out.contains("(2030-02-03)"), "{out}");
    // A clock that cannot be read is refused in one line.
    ws.run_with_env(&["search", "x"], &[("CHAPTERHOUSE__CLOCK__NOW", "soon")])
        .refused("clock.now");
}
