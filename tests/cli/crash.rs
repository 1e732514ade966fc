//! Crashes: `import`, a server publishing through the API, `reindex` and `digest` killed
//! with SIGKILL at random moments (30 each, `CHAPTERHOUSE_CRASH_RUNS` for more; the seed is
//! printed, `CHAPTERHOUSE_CRASH_SEED` repeats it). After every kill the store is a sound git
//! repository whose refs are as they were or as the operation leaves them, the next
//! command's search finds a release iff its tag exists, the interrupted write can be made
//! again, and a digest run again to its end leaves one message per subscriber.

mod digest;
mod kill;
mod server;
mod store;

use std::time::Instant;

use crate::support::{Workspace, body, chapter};
use kill::{Dice, Tally, command, kill_after, runs, timed};
use server::Serving;
use store::{Publish, assert_sound, git_locks, refs, store_of};

/// The chapter each operation rewrites: it holds the operation's one new word.
fn marker(word: &str) -> String {
    chapter(
        "Escalation and Resolution",
        &format!("Practitioners escalate a disagreement about a {word} referral in writing.\n"),
    )
}

/// A snapshot folder `s` of a small manual whose marker chapter holds `word`.
pub fn snapshot(ws: &Workspace, word: &str) -> String {
    ws.snapshot(
        "s",
        &[
            ("strategy.md", &chapter("Strategy Discussions", &body(""))),
            (
                "neglect.md",
                &chapter(
                    "Neglect",
                    "Neglect is the persistent failure to meet a child's needs.\n",
                ),
            ),
            ("marker.md", &marker(word)),
        ],
    )
}

fn import(ws: &Workspace, snapshot: &str, release: &str, date: &str) -> std::process::Command {
    command(
        ws,
        &[
            "import",
            snapshot,
            "--manual",
            "m",
            "--release",
            release,
            "--date",
            date,
        ],
    )
}

/// The `run`th day after 1 January 2000: each run's release its own date, so releases
/// keep their order however fast they are made (a tag records its time in seconds).
fn day(run: usize) -> String {
    let first = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
    (first + chrono::Days::new(run as u64)).to_string()
}

/// True when a search answer has a hit whose snippet shows `word` itself (not a word the
/// typo tolerance took for it).
pub fn found(answer: &serde_json::Value, word: &str) -> bool {
    answer["hits"]
        .as_array()
        .expect("a search answer has hits")
        .iter()
        .any(|h| {
            h["snippet"]
                .as_str()
                .is_some_and(|s| s.to_lowercase().contains(word))
        })
}

/// `search WORD --manual m [--at DATE]` from the command line, which opens the index and
/// catches it up with the store first.
#[track_caller]
fn searched(ws: &Workspace, word: &str, at: Option<&str>) -> bool {
    let mut args = vec!["search", word, "--manual", "m", "--format", "json"];
    if let Some(at) = at {
        args.extend(["--at", at]);
    }
    let run = ws.run(&args).ok();
    found(&serde_json::from_str(&run.stdout).unwrap(), word)
}

/// Counts the git locks a kill left, for the report.
fn count_locks(ws: &Workspace, tally: &mut Tally) {
    tally.locks_left += usize::from(!git_locks(&store_of(&ws.data)).is_empty());
}

/// Asserts the write after a kill cleared whatever git locks the kill left.
#[track_caller]
fn assert_no_locks_left(ws: &Workspace, run: usize) {
    let locks = git_locks(&store_of(&ws.data));
    assert!(locks.is_empty(), "run {run}: git locks left: {locks:?}");
}

#[test]
fn a_killed_import_leaves_the_store_whole_and_its_release_searchable_iff_tagged() {
    let started = Instant::now();
    let mut dice = Dice::new("import");
    let ws = Workspace::new();
    let store = store_of(&ws.data);
    let first = dice.word();
    ws.import(&snapshot(&ws, &first), "r0", &day(0)).ok();
    let word = dice.word();
    let typical = timed(import(&ws, &snapshot(&ws, &word), "typical", &day(1)));
    assert!(searched(&ws, &word, None));
    let mut tally = Tally::default();
    for run in 0..runs() {
        let word = dice.word();
        let snap = snapshot(&ws, &word);
        let (release, date) = (format!("k{run}"), day(run + 2));
        let before = refs(&store);
        let killed = kill_after(import(&ws, &snap, &release, &date), dice.moment(typical));
        tally.count(killed);
        let tag = format!("m/{release}");
        let publish = Publish {
            tag: &tag,
            file: "m/marker.md",
            word: &word,
        };
        let left = publish.check(&store, &before);
        count_locks(&ws, &mut tally);
        assert_eq!(
            searched(&ws, &word, None),
            left.tagged,
            "run {run}: the search finds the new text iff the release is tagged ({left:?})"
        );
        tally.untagged += usize::from(left.main_moved && !left.tagged);
        if left.tagged {
            tally.landed += 1;
        } else {
            // The import that was cut short can be made again, and then it counts.
            ws.import(&snap, &release, &date).ok();
            assert!(publish.check(&store, &before).tagged);
            assert!(
                searched(&ws, &word, None),
                "run {run}: the rerun is searchable"
            );
        }
        assert_no_locks_left(&ws, run);
    }
    tally.report("import", typical, started);
}

#[test]
fn a_first_import_killed_while_it_creates_the_store_can_be_made_again() {
    let started = Instant::now();
    let mut dice = Dice::new("first-import");
    let measured = Workspace::new();
    let word = dice.word();
    let typical = timed(import(
        &measured,
        &snapshot(&measured, &word),
        "r0",
        "2024-01-10",
    ));
    let mut tally = Tally::default();
    // Each kill needs a fresh data folder; a third as many are enough for the start-up.
    for run in 0..runs().div_ceil(3) {
        let ws = Workspace::new();
        let word = dice.word();
        let snap = snapshot(&ws, &word);
        let killed = kill_after(import(&ws, &snap, "r0", "2024-01-10"), dice.moment(typical));
        tally.count(killed);
        count_locks(&ws, &mut tally);
        let store = store_of(&ws.data);
        let tagged = refs(&store).contains_key("refs/tags/m/r0");
        if tagged {
            tally.landed += 1;
            assert_sound(&store);
        } else {
            ws.import(&snap, "r0", "2024-01-10").ok();
            assert_sound(&store);
        }
        assert_no_locks_left(&ws, run);
        assert!(
            searched(&ws, &word, None),
            "run {run}: the first release is searchable"
        );
    }
    tally.report("first-import", typical, started);
}

#[test]
fn a_server_killed_while_publishing_restarts_with_its_release_searchable_iff_tagged() {
    let started = Instant::now();
    let mut dice = Dice::new("serve");
    let ws = Workspace::new();
    let mut config = std::fs::read_to_string(&ws.config).unwrap();
    config.push_str("\n[digest]\nenabled = false\n");
    std::fs::write(&ws.config, config).unwrap();
    let store = store_of(&ws.data);
    ws.import(&snapshot(&ws, &dice.word()), "r0", &day(0)).ok();
    let added = ws
        .run(&[
            "editors",
            "add",
            "Pat",
            "--email",
            "pat@example.org",
            "--role",
            "publisher",
        ])
        .ok();
    let token = added.stdout.lines().next().unwrap().to_owned();
    let mut server = Serving::start(&ws);
    let word = dice.word();
    let at = Instant::now();
    let statuses = server
        .api
        .publish(&token, ("marker", &marker(&word)), ("typical", &day(1)));
    let typical = at.elapsed();
    assert_eq!(statuses.unwrap(), (200, 201));
    assert!(server.api.finds(&word));
    let mut tally = Tally::default();
    for run in 0..runs() {
        let word = dice.word();
        let (name, date) = (format!("p{run}"), day(run + 2));
        let before = refs(&store);
        let (api, token_in, file, name_in, date_in) = (
            server.api.clone(),
            token.clone(),
            marker(&word),
            name.clone(),
            date.clone(),
        );
        let publishing = std::thread::spawn(move || {
            let _ = api.publish(&token_in, ("marker", &file), (&name_in, &date_in));
        });
        std::thread::sleep(dice.moment(typical));
        tally.count(!publishing.is_finished());
        server.kill();
        publishing.join().unwrap();
        let tag = format!("m/{name}");
        let left = Publish {
            tag: &tag,
            file: "m/marker.md",
            word: &word,
        }
        .check(&store, &before);
        count_locks(&ws, &mut tally);
        server = Serving::start(&ws);
        assert_eq!(
            server.api.finds(&word),
            left.tagged,
            "run {run}: the restarted server finds the new text iff the release is tagged ({left:?})"
        );
        tally.untagged += usize::from(left.main_moved && !left.tagged);
        if left.tagged {
            tally.landed += 1;
        } else {
            let again = server
                .api
                .publish(&token, ("marker", &marker(&word)), (&name, &date));
            assert_eq!(again.unwrap(), (200, 201), "run {run}: publishing again");
            assert!(
                server.api.finds(&word),
                "run {run}: the release is searchable"
            );
        }
        assert_no_locks_left(&ws, run);
    }
    server.kill();
    assert_sound(&store);
    tally.report("serve", typical, started);
}

#[test]
fn a_killed_reindex_is_healed_by_the_next_search() {
    let started = Instant::now();
    let mut dice = Dice::new("reindex");
    let ws = Workspace::new();
    let store = store_of(&ws.data);
    let (earlier, later) = (dice.word(), dice.word());
    ws.import(&snapshot(&ws, &earlier), "r0", "2024-01-10").ok();
    ws.import(&snapshot(&ws, &later), "r1", "2024-02-10").ok();
    let typical = timed(command(&ws, &["reindex"]));
    let before = refs(&store);
    let mut tally = Tally::default();
    for run in 0..runs() {
        let killed = kill_after(command(&ws, &["reindex"]), dice.moment(typical));
        tally.count(killed);
        assert_sound(&store);
        assert_eq!(refs(&store), before, "run {run}: a reindex moved a ref");
        assert!(searched(&ws, &later, None), "run {run}: the current text");
        assert!(
            searched(&ws, &earlier, Some("2024-01-20")),
            "run {run}: the text in force on a past date"
        );
        assert!(
            !searched(&ws, &earlier, None),
            "run {run}: replaced text is not current"
        );
    }
    tally.report("reindex", typical, started);
}
