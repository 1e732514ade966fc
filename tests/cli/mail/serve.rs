//! `serve` sending by itself: a monthly digest missed while it was down, and the notice of
//! a release on the day it comes into force.

use chrono::Datelike;

use super::*;

#[test]
fn serve_sends_a_missed_digest_and_release_notices_by_itself() {
    let sink = Sink::start(Faults::NONE);
    let ws = Workspace::with_sample_and(&sink.config());
    ws.run(&["subscribers", "list"]).ok();
    // A release last month (what the scheduled monthly run covers) and one today.
    let today = chrono::Local::now().date_naive();
    let last_month = (today.with_day(1).unwrap() - chrono::Duration::days(3)).to_string();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("procedures/adults/2024-03");
    for (name, date, extra) in [
        ("late", last_month.as_str(), "Late."),
        ("now", &today.to_string(), "Now."),
    ] {
        let copy = ws.dir.path().join(name);
        copy_dir(&sample, &copy);
        let chapter = first_chapter(&copy);
        let mut text = std::fs::read_to_string(&chapter).unwrap();
        text.push_str(&format!("\n## 98. {name}\n\n{extra}\n"));
        std::fs::write(&chapter, text).unwrap();
        ws.run(&[
            "import",
            copy.to_str().unwrap(),
            "--manual",
            "adults",
            "--release",
            name,
            "--date",
            date,
        ])
        .ok();
    }
    add(&ws, "monthly@example.org", &["adults"]);
    ws.run(&[
        "subscribers",
        "add",
        "instant@example.org",
        "--manual",
        "adults",
        "--frequency",
        "immediate",
        "--confirmed",
    ])
    .ok();
    let s = Server::start(ws);
    let started = Instant::now();
    loop {
        let counts = sink.counts();
        if counts.get("monthly@example.org") == Some(&1)
            && counts.get("instant@example.org") == Some(&1)
        {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{counts:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let messages = sink.messages();
    let instant = decoded(
        &messages
            .iter()
            .find(|(to, _)| to == "instant@example.org")
            .unwrap()
            .1,
    );
    assert!(
        instant.contains("Safeguarding Adults Procedures — updated in"),
        "{instant}"
    );
    assert!(instant.contains("/releases/now"));
    let monthly = decoded(
        &messages
            .iter()
            .find(|(to, _)| to == "monthly@example.org")
            .unwrap()
            .1,
    );
    assert!(monthly.contains("/releases/late"), "{monthly}");
    assert!(!monthly.contains("/releases/now"));
    drop(s);
}
