//! Subscribers and digests (SPEC §6, §7, §8) against a real SMTP server on 127.0.0.1 (the
//! tests' own, support/smtp.rs): message content and headers, exactly-once delivery across
//! failures and reruns, the opt-in and unsubscribe flows over HTTP.

mod serve;
mod web;

use std::fmt::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Faults, Server, Sink, Workspace, decoded};

fn add(ws: &Workspace, email: &str, manuals: &[&str]) {
    let mut args = vec!["subscribers", "add", email, "--confirmed"];
    for m in manuals {
        args.extend(["--manual", m]);
    }
    ws.run(&args).ok();
}

/// A second adults release dated in April 2024, so that both manuals change that month.
fn adults_in_april(ws: &Workspace) {
    // Reading seeds the sample first (an import never does).
    ws.run(&["subscribers", "list"]).ok();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("procedures/adults/2024-03");
    let copy = ws.dir.path().join("adults-2024-04");
    copy_dir(&sample, &copy);
    let chapter = first_chapter(&copy);
    let mut text = std::fs::read_to_string(&chapter).unwrap();
    text.push_str("\n## 99. April review\n\nA section added in April 2024.\n");
    std::fs::write(&chapter, text).unwrap();
    ws.run(&[
        "import",
        copy.to_str().unwrap(),
        "--manual",
        "adults",
        "--release",
        "2024-04",
        "--date",
        "2024-04-20",
    ])
    .ok();
}

/// A chapter file of a snapshot folder (at any depth).
fn first_chapter(dir: &std::path::Path) -> std::path::PathBuf {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in &entries {
        if path.extension().is_some_and(|e| e == "md") {
            return path.clone();
        }
    }
    entries
        .iter()
        .filter(|p| p.is_dir())
        .map(|p| first_chapter(p))
        .next()
        .expect("a snapshot has a chapter")
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn header<'a>(raw: &'a str, name: &str) -> &'a str {
    raw.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("no {name} header in:\n{raw}"))
}

#[test]
fn a_digest_has_both_parts_links_and_list_headers_and_is_sent_once() {
    let sink = Sink::start(Faults::NONE);
    let ws = Workspace::with_sample_and(&sink.config());
    add(&ws, "kids@example.org", &["children"]);
    add(&ws, "everything@example.org", &[]);
    add(&ws, "adults@example.org", &["adults"]);
    // Not confirmed: gets the confirmation email only.
    ws.run(&["subscribers", "add", "pending@example.org"]).ok();
    assert_eq!(sink.counts().get("pending@example.org"), Some(&1));

    let run = ws.run(&["digest", "--period", "2024-04"]).ok();
    assert!(run.stdout.contains("2 sent, 0 skipped"), "{}", run.stdout);
    let counts = sink.counts();
    assert_eq!(counts.get("kids@example.org"), Some(&1));
    assert_eq!(counts.get("everything@example.org"), Some(&1));
    assert_eq!(
        counts.get("adults@example.org"),
        None,
        "the adults manual had no April release"
    );
    assert_eq!(
        counts.get("pending@example.org"),
        Some(&1),
        "unconfirmed: no digest"
    );

    let (_, raw) = sink
        .messages()
        .into_iter()
        .find(|(to, m)| to == "kids@example.org" && m.contains("Procedure changes"))
        .unwrap();
    assert_eq!(header(&raw, "Subject"), "Procedure changes in April 2024");
    assert_eq!(header(&raw, "From"), "Procedures <procedures@example.org>");
    assert_eq!(header(&raw, "Reply-To"), "team@example.org");
    assert_eq!(header(&raw, "To"), "kids@example.org");
    let id = ws.run(&["subscribers", "list"]).ok().stdout;
    let kid = id
        .lines()
        .find(|l| l.contains("kids@"))
        .unwrap()
        .split('\t')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        header(&raw, "Message-ID"),
        format!("<digest.2024-04.{kid}@example.org>")
    );
    let unsubscribe = header(&raw, "List-Unsubscribe");
    assert!(
        unsubscribe.starts_with("<https://procedures.example.org/unsubscribe?token="),
        "{unsubscribe}"
    );
    assert_eq!(
        header(&raw, "List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    assert!(raw.contains("Content-Type: multipart/alternative"));
    assert!(raw.contains("Content-Type: text/plain; charset=utf-8"));
    assert!(raw.contains("Content-Type: text/html; charset=utf-8"));
    let body = decoded(&raw);
    assert!(body.contains("Safeguarding Children Procedures — updated in April 2024"));
    assert!(body.contains("Read: https://procedures.example.org/manuals/children/chapters/"));
    assert!(body.contains("Changes: https://procedures.example.org/manuals/children/chapters/"));
    assert!(body.contains("/diff?from=2024-03&to=2024-04"));
    assert!(body.contains("href=\"https://procedures.example.org/manuals/children/chapters/"));
    assert!(body.contains(
        "Change what you receive: https://procedures.example.org/subscriptions/manage?token="
    ));
    assert!(!body.contains("Safeguarding Adults Procedures — updated"));

    // A rerun of a finished period sends nothing.
    let again = ws.run(&["digest", "--period", "2024-04"]).ok();
    assert!(
        again.stdout.contains("0 sent, 2 skipped as already sent"),
        "{}",
        again.stdout
    );
    assert_eq!(sink.messages().len(), 3);
    // An empty month sends nothing.
    let empty = ws.run(&["digest", "--period", "2024-02"]).ok();
    assert!(
        empty.stdout.contains("0 sent, 0 skipped"),
        "{}",
        empty.stdout
    );
    assert_eq!(sink.messages().len(), 3);
    // A dry run shows who would get what.
    let dry = ws
        .run(&["digest", "--period", "2024-03", "--dry-run"])
        .ok()
        .stdout;
    assert!(dry.contains("everything@example.org\t2024-03\tSafeguarding Children Procedures — updated in March 2024; Safeguarding Adults Procedures — updated in March 2024")
        || dry.contains("everything@example.org\t2024-03\tSafeguarding Adults Procedures — updated in March 2024; Safeguarding Children Procedures"), "{dry}");
    assert!(dry.contains("nothing was sent"));
    assert_eq!(sink.messages().len(), 3);
    ws.run(&["digest", "--period", "2024-13"])
        .refused("not a period");
}

#[test]
fn a_temporary_failure_is_retried_and_delivered_once() {
    let sink = Sink::start(Faults {
        tempfail_first: 3,
        ..Faults::NONE
    });
    let ws = Workspace::with_sample_and(&sink.config());
    add(&ws, "one@example.org", &["children"]);
    add(&ws, "two@example.org", &["children"]);
    let run = ws.run(&["digest", "--period", "2024-04"]).ok();
    assert!(run.stdout.contains("2 sent"), "{}", run.stdout);
    let counts = sink.counts();
    assert_eq!(
        (counts["one@example.org"], counts["two@example.org"]),
        (1, 1)
    );
}

#[test]
fn a_relay_dropping_connections_still_gets_each_digest_exactly_once() {
    let sink = Sink::start(Faults {
        drop_every: 7,
        ..Faults::NONE
    });
    let ws = Workspace::with_sample_and(&sink.config());
    let mut csv = String::from("email,manuals,frequency\n");
    for i in 0..60 {
        writeln!(csv, "reader{i}@example.org,children,monthly").unwrap();
    }
    let file = ws.write("list.csv", &csv);
    let imported = ws
        .run(&[
            "subscribers",
            "import",
            file.to_str().unwrap(),
            "--confirmed",
        ])
        .ok();
    assert!(
        imported.stdout.starts_with("60 added, 0 updated"),
        "{}",
        imported.stdout
    );
    let run = ws.run(&["digest", "--period", "2024-04"]);
    let counts = sink.counts();
    assert_eq!(counts.len(), 60, "{}{}", run.stdout, run.stderr);
    assert!(counts.values().all(|&n| n == 1), "{counts:?}");
}

#[test]
fn a_killed_run_rerun_loses_nothing_and_repeats_at_most_the_batch_in_flight() {
    let sink = Sink::start(Faults {
        delay: Duration::from_millis(10),
        ..Faults::NONE
    });
    let ws = Workspace::with_sample_and(&sink.config());
    let mut csv = String::from("email,manuals,frequency\n");
    for i in 0..300 {
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
    let mut child = Command::new(env!("CARGO_BIN_EXE_chapterhouse"))
        .arg("--config")
        .arg(&ws.config)
        .arg("--data")
        .arg(&ws.data)
        .args(["digest", "--period", "2024-04"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once some digests have gone out, before all have.
    let started = Instant::now();
    while sink.messages().len() < 40 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = sink.messages().len();
    assert!(before < 300, "the run finished before it could be killed");
    let rerun = ws.run(&["digest", "--period", "2024-04"]).ok();
    assert!(rerun.stdout.contains(" sent, "), "{}", rerun.stdout);
    let counts = sink.counts();
    assert_eq!(counts.len(), 300, "every subscriber got the digest");
    let repeats: usize = counts.values().map(|n| n - 1).sum();
    assert!(
        repeats <= 4,
        "{repeats} repeated (at most the batch in flight, the pool size)"
    );
    let third = ws.run(&["digest", "--period", "2024-04"]).ok();
    assert!(
        third.stdout.contains("0 sent, 300 skipped"),
        "{}",
        third.stdout
    );
}

#[test]
fn a_permanent_refusal_is_recorded_and_repeated_ones_flag_the_subscriber() {
    let sink = Sink::start(Faults {
        reject: Some("^bounce@"),
        ..Faults::NONE
    });
    let ws = Workspace::with_sample_and(&sink.config());
    add(&ws, "bounce@example.org", &[]);
    add(&ws, "fine@example.org", &[]);
    for period in ["2023-09", "2024-03", "2024-04"] {
        let run = ws.run(&["digest", "--period", period]);
        assert!(!run.success, "a refused digest fails the command");
        assert!(
            run.stdout
                .contains("1 sent, 0 skipped as already sent, 1 failed"),
            "{period}: {}",
            run.stdout
        );
    }
    let list = ws.run(&["subscribers", "list"]).ok().stdout;
    assert!(
        list.lines()
            .any(|l| l.contains("bounce@example.org") && l.ends_with("flagged")),
        "{list}"
    );
    assert_eq!(sink.counts()["fine@example.org"], 3);
    assert_eq!(sink.counts().get("bounce@example.org"), None);
}

#[test]
fn a_thousand_subscribers_each_get_exactly_their_manuals() {
    let sink = Sink::start(Faults::NONE);
    let ws = Workspace::with_sample_and(&sink.config());
    adults_in_april(&ws);
    let mut csv = String::from("email,manuals,frequency\n");
    let follows = |i: usize| match i % 4 {
        0 => "children",
        1 => "adults",
        2 => "children adults",
        _ => "",
    };
    for i in 0..1000 {
        writeln!(csv, "s{i}@example.org,{},monthly", follows(i)).unwrap();
    }
    // Bad rows are refused with their line numbers and refuse nothing else.
    csv.push_str("not-an-address,children,monthly\ns1000@example.org,nope,monthly\ns1001@example.org,children,weekly\n");
    let file = ws.write("list.csv", &csv);
    let imported = ws
        .run(&[
            "subscribers",
            "import",
            file.to_str().unwrap(),
            "--confirmed",
        ])
        .ok()
        .stdout;
    assert!(
        imported.starts_with("1000 added, 0 updated, 0 unchanged (confirmed already), 3 refused"),
        "{imported}"
    );
    assert!(
        imported.contains("line 1002: \"not-an-address\" is not an email address"),
        "{imported}"
    );
    assert!(
        imported.contains("line 1003: unknown manual \"nope\""),
        "{imported}"
    );
    assert!(
        imported.contains("line 1004: unknown frequency"),
        "{imported}"
    );

    let run = ws.run(&["digest", "--period", "2024-04"]).ok();
    assert!(run.stdout.contains("1000 sent"), "{}", run.stdout);
    let messages = sink.messages();
    assert_eq!(messages.len(), 1000);
    for (to, raw) in messages {
        let i: usize = to[1..to.find('@').unwrap()].parse().unwrap();
        let body = decoded(&raw);
        let children = body.contains("Safeguarding Children Procedures — updated in April 2024");
        let adults = body.contains("Safeguarding Adults Procedures — updated in April 2024");
        let expected = match follows(i) {
            "children" => (true, false),
            "adults" => (false, true),
            _ => (true, true),
        };
        assert_eq!((children, adults), expected, "{to}");
    }
}
