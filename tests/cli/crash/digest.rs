//! `digest` killed at random moments over copies of one data folder (subscribers and a
//! release, no digest sent yet), then run again to its end: one message per subscriber.

use std::collections::BTreeSet;
use std::time::Instant;

use super::kill::{Dice, Tally, command, copy_tree, kill_after, runs, timed};
use super::snapshot;
use crate::support::Workspace;

/// Each `.eml` file of the outbox: (file name, `To` address). Asserts nothing half written
/// is left beside them.
fn outbox(ws: &Workspace) -> Vec<(String, String)> {
    let mut letters = Vec::new();
    for entry in std::fs::read_dir(ws.data.join("outbox")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(name.ends_with(".eml"), "{name} left in the outbox");
        let raw = std::fs::read_to_string(ws.data.join("outbox").join(&name)).unwrap();
        let to = raw
            .lines()
            .find_map(|l| l.strip_prefix("To: "))
            .unwrap_or_else(|| panic!("{name} has no To header"))
            .to_owned();
        letters.push((name, to));
    }
    letters.sort();
    letters
}

#[test]
fn a_killed_digest_run_again_gives_every_subscriber_one_message() {
    const SUBSCRIBERS: usize = 12;
    let started = Instant::now();
    let mut dice = Dice::new("digest");
    let template = Workspace::new();
    template
        .import(&snapshot(&template, &dice.word()), "2024-03", "2024-03-05")
        .ok();
    let everyone: BTreeSet<String> = (0..SUBSCRIBERS)
        .map(|i| format!("reader{i}@example.org"))
        .collect();
    for email in &everyone {
        template
            .run(&["subscribers", "add", email, "--confirmed"])
            .ok();
    }
    // Every kill starts from a copy of the same folder: subscribers, a release, no digest.
    let copy = || {
        let dir = tempfile::tempdir().unwrap();
        copy_tree(template.dir.path(), dir.path());
        Workspace {
            config: dir.path().join("config.toml"),
            data: dir.path().join("data"),
            dir,
        }
    };
    let digest = |ws: &Workspace| command(ws, &["digest", "--period", "2024-03"]);
    let measured = copy();
    let typical = timed(digest(&measured));
    assert_eq!(outbox(&measured).len(), SUBSCRIBERS);
    let mut tally = Tally::default();
    for run in 0..runs() {
        let ws = copy();
        let killed = kill_after(digest(&ws), dice.moment(typical));
        tally.count(killed);
        let rerun = ws.run(&["digest", "--period", "2024-03"]).ok();
        let counts: Vec<usize> = rerun
            .stdout
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|n| n.parse().ok())
            .collect();
        // "digest 2024-03: S sent, K skipped as already sent, 0 failed, 0 deferred ..."
        let (sent, skipped) = (counts[2], counts[3]);
        assert_eq!(sent + skipped, SUBSCRIBERS, "run {run}: {}", rerun.stdout);
        if skipped > 0 {
            tally.landed += 1;
        }
        let letters = outbox(&ws);
        let to: BTreeSet<String> = letters.iter().map(|(_, to)| to.clone()).collect();
        assert_eq!(
            (letters.len(), &to),
            (SUBSCRIBERS, &everyone),
            "run {run}: one message per subscriber: {letters:?}"
        );
    }
    tally.report("digest", typical, started);
}
