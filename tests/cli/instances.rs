//! Several instances on one PostgreSQL database (SPEC §10 `database.url`): moving a SQLite
//! database there, backing it up, and digests sent once across instances running the same
//! period at the same time, one of them killed.

use std::fmt::Write as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::backup::busy_workspace;
use crate::support::{Faults, Server, Sink, Workspace, postgres};

/// The workspace's settings with the database on `url`.
fn on_database(ws: &Workspace, url: &str) {
    let mut text = std::fs::read_to_string(&ws.config).unwrap();
    text.push_str(&format!("\n[database]\nurl = {url:?}\n"));
    std::fs::write(&ws.config, text).unwrap();
}

#[test]
fn migrate_to_moves_every_record_into_an_empty_postgresql_database_once() {
    let ws = busy_workspace();
    let editors = ws.run(&["editors", "list"]).ok().stdout;
    let subscribers = ws.run(&["subscribers", "list"]).ok().stdout;
    let url = postgres::database_url();

    let moved = ws.run(&["db", "migrate-to", &url]).ok();
    assert!(
        moved.stdout.contains("editors: 1 rows\n"),
        "{}",
        moved.stdout
    );
    assert!(
        moved.stdout.contains("subscribers: 2 rows\n"),
        "{}",
        moved.stdout
    );
    assert!(
        moved.stdout.contains("deliveries: 1 rows\n"),
        "{}",
        moved.stdout
    );
    assert!(
        moved.stdout.contains("every table's count checked"),
        "{}",
        moved.stdout
    );
    ws.run(&["db", "migrate-to", &url]).refused("is not empty");
    ws.run(&["db", "migrate-to", "sqlite:///tmp/x.db"])
        .refused("give a postgres:// address");
    ws.run(&["db", "migrate-to", "postgres://postgres@127.0.0.1:1/none"])
        .refused("database postgres://postgres@127.0.0.1:1/none");

    on_database(&ws, &url);
    assert_eq!(ws.run(&["editors", "list"]).ok().stdout, editors);
    assert_eq!(ws.run(&["subscribers", "list"]).ok().stdout, subscribers);
    // The digest already sent is not sent again; the check finds nothing wrong.
    let again = ws.run(&["digest", "--period", "2024-04"]).ok();
    assert!(
        again.stdout.contains("0 sent, 1 skipped"),
        "{}",
        again.stdout
    );
    assert_eq!(
        ws.run(&["check"]).ok().stdout,
        "store: ok\nindex: ok\ndatabase: ok\n"
    );
    let server = Server::start(ws);
    let ready = server.fetch("/readyz", &[]);
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert!(
        ready.json()["database"]["detail"]
            .as_str()
            .unwrap()
            .starts_with("postgres://postgres@127.0.0.1:"),
        "{}",
        ready.body
    );
}

#[test]
fn a_postgresql_instance_backs_up_to_a_file_and_restores_onto_either_engine() {
    let ws = busy_workspace();
    let url = postgres::database_url();
    ws.run(&["db", "migrate-to", &url]).ok();
    on_database(&ws, &url);
    let subscribers = ws.run(&["subscribers", "list"]).ok().stdout;
    let backup = ws.dir.path().join("backup");
    let done = ws.run(&["backup", backup.to_str().unwrap()]).ok();
    assert!(done.stdout.contains("database rows"), "{}", done.stdout);
    assert!(backup.join("chapterhouse.db").is_file());

    // Onto SQLite: a config without the database url.
    let plain = Workspace::new();
    assert_eq!(restore_and_list(&plain, &backup), subscribers);

    // Onto another, empty PostgreSQL database.
    let other = Workspace::new();
    on_database(&other, &postgres::database_url());
    assert_eq!(restore_and_list(&other, &backup), subscribers);
    let into = other.dir.path().join("restored");
    assert!(!into.join(".restoring.db").exists());
    assert!(
        !into.join("chapterhouse.db").exists(),
        "the records are in PostgreSQL"
    );
}

/// Restores `backup` with the settings of `ws` into its folder `restored`; the restored
/// instance's `subscribers list`.
fn restore_and_list(ws: &Workspace, backup: &std::path::Path) -> String {
    let into = ws.dir.path().join("restored");
    ws.run(&[
        "restore",
        backup.to_str().unwrap(),
        "--data",
        into.to_str().unwrap(),
    ])
    .ok();
    let listed = Command::new(env!("CARGO_BIN_EXE_chapterhouse"))
        .args([
            "--config",
            ws.config.to_str().unwrap(),
            "--data",
            into.to_str().unwrap(),
        ])
        .args(["subscribers", "list"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&listed.stdout).into_owned()
}

/// A workspace on PostgreSQL with `n` confirmed monthly subscribers of every manual and a
/// release dated last month, so that `serve` sends last month's digest when it starts.
fn due_digest(sink: &Sink, url: &str, n: usize) -> (Workspace, String) {
    let ws = Workspace::with_sample_and(&format!("{}\n[database]\nurl = {url:?}\n", sink.config()));
    let mut csv = String::from("email,manuals,frequency\n");
    for i in 0..n {
        writeln!(csv, "r{i}@example.org,,monthly").unwrap();
    }
    let file = ws.write("list.csv", &csv);
    ws.run(&[
        "subscribers",
        "import",
        file.to_str().unwrap(),
        "--confirmed",
    ])
    .ok();
    let today = chrono::Utc::now().date_naive();
    let first = today.with_day0(0).unwrap();
    let last_month = first - chrono::Duration::days(3);
    let snapshot = ws.snapshot(
        "late",
        &[(
            "strategy.md",
            &crate::support::chapter("Strategy Discussions", &crate::support::body(" Late.")),
        )],
    );
    ws.run(&[
        "import",
        &snapshot,
        "--manual",
        "children",
        "--release",
        "late",
        "--date",
        &last_month.to_string(),
    ])
    .ok();
    (ws, last_month.format("%Y-%m").to_string())
}

use chrono::Datelike as _;

/// Another instance of `ws`: the same settings, and a data folder of its own holding a
/// copy of the store.
fn sibling(ws: &Workspace) -> Workspace {
    let other = Workspace::new();
    std::fs::copy(&ws.config, &other.config).unwrap();
    std::fs::create_dir_all(&other.data).unwrap();
    let copied = Command::new("cp")
        .arg("-a")
        .arg(ws.data.join("store.git"))
        .arg(other.data.join("store.git"))
        .status()
        .unwrap();
    assert!(copied.success());
    other
}

fn serve(ws: &Workspace) -> Child {
    Command::new(env!("CARGO_BIN_EXE_chapterhouse"))
        .arg("--config")
        .arg(&ws.config)
        .arg("--data")
        .arg(&ws.data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn digest(ws: &Workspace, period: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_chapterhouse"))
        .arg("--config")
        .arg(&ws.config)
        .arg("--data")
        .arg(&ws.data)
        .args(["digest", "--period", period])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits until the sink has a message for each of `n` subscribers, or a minute passed.
fn wait_for_everyone(sink: &Sink, n: usize) {
    let started = Instant::now();
    while sink.counts().len() < n && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn two_servers_and_a_digest_command_send_each_subscriber_one_message() {
    let sink = Sink::start(Faults {
        delay: Duration::from_millis(15),
        ..Faults::NONE
    });
    let (ws, period) = due_digest(&sink, &postgres::database_url(), 200);
    let (a, b) = (sibling(&ws), sibling(&ws));
    let mut servers = [serve(&a), serve(&b)];
    // The command joins once the servers' runs are under way.
    let started = Instant::now();
    while sink.messages().len() < 10 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let command = digest(&ws, &period);
    wait_for_everyone(&sink, 200);
    let out = command.wait_with_output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    let by_command: usize = report
        .split_once(": ")
        .and_then(|(_, rest)| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{report}"));
    assert!(by_command <= 190, "the servers sent some: {report}");
    // The servers' runs end once no row is left; a moment for their last records.
    std::thread::sleep(Duration::from_millis(500));
    for server in &mut servers {
        server.kill().unwrap();
        server.wait().unwrap();
    }
    let counts = sink.counts();
    assert_eq!(counts.len(), 200, "every subscriber got the digest");
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
    let again = ws.run(&["digest", "--period", &period]).ok();
    assert!(
        again.stdout.contains("0 sent, 200 skipped"),
        "{}",
        again.stdout
    );
}

#[test]
fn the_runs_left_finish_the_rows_of_an_instance_killed_mid_run() {
    let sink = Sink::start(Faults {
        delay: Duration::from_millis(20),
        ..Faults::NONE
    });
    let (ws, period) = due_digest(&sink, &postgres::database_url(), 200);
    let a = sibling(&ws);
    let mut doomed = serve(&a);
    let started = Instant::now();
    while sink.messages().len() < 20 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let command = digest(&ws, &period);
    std::thread::sleep(Duration::from_millis(300));
    doomed.kill().unwrap();
    doomed.wait().unwrap();
    let before = sink.counts().len();
    assert!(
        before < 200,
        "the server finished before it could be killed"
    );
    let out = command.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let counts = sink.counts();
    assert_eq!(counts.len(), 200, "every subscriber got the digest");
    let repeats: usize = counts.values().map(|n| n - 1).sum();
    assert!(
        repeats <= 4,
        "{repeats} repeated (at most the killed instance's batch in flight)"
    );
}
