//! Backups taken while the server works, and restores into a new data folder (SPEC §6).

use std::path::Path;
use std::process::Command;

use crate::support::{Run, Server, Workspace, body, chapter};

/// Runs chapterhouse with the workspace's config over another data folder.
pub fn run_on(ws: &Workspace, data: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_chapterhouse"))
        .arg("--config")
        .arg(&ws.config)
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("CHAPTERHOUSE_LOG")
        .output()
        .unwrap();
    Run::from(out)
}

pub fn git(args: &[&str]) -> std::process::Output {
    Command::new("git").args(args).output().unwrap()
}

/// Every release tag of a store and the object it names.
fn tags(store: &Path) -> Vec<(String, String)> {
    chapterhouse::store::Store::open_or_init(store)
        .unwrap()
        .refs()
        .unwrap()
        .into_iter()
        .filter(|(name, _)| name.starts_with("refs/tags/"))
        .collect()
}

/// What a few searches find: the total, the counts per manual, and the hits.
/// (Scores may differ a little: an index built at once holds no deleted documents, whose
/// words still count in the statistics of one built release by release.)
fn searches(ws: &Workspace, data: &Path) -> Vec<String> {
    [
        "LADO",
        "strategy discussion",
        "neglect",
        "\"significant harm\"",
    ]
    .iter()
    .map(|q| {
        let out = run_on(ws, data, &["search", q, "--format", "json"])
            .ok()
            .stdout;
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        let mut hits: Vec<String> = json["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| format!("{}/{} {}", h["manual"], h["id"], h["release"]))
            .collect();
        // Hits of equal score come in document order, which rebuilding may change.
        hits.sort();
        format!("{q}: {} {} {hits:?}", json["total"], json["facets"])
    })
    .collect()
}

/// A sample workspace with an editor, subscribers (one confirmed, one not) and a digest
/// already sent for April 2024 (to the outbox).
pub fn busy_workspace() -> Workspace {
    let ws = Workspace::with_sample();
    ws.run(&[
        "editors",
        "add",
        "Ivy Editor",
        "--email",
        "ivy@example.org",
        "--role",
        "publisher",
    ])
    .ok();
    ws.run(&[
        "subscribers",
        "add",
        "kids@example.org",
        "--confirmed",
        "--manual",
        "children",
    ])
    .ok();
    ws.run(&["subscribers", "add", "pending@example.org"]).ok();
    let sent = ws.run(&["digest", "--period", "2024-04"]).ok();
    assert!(sent.stdout.contains("1 sent"), "{}", sent.stdout);
    ws
}

#[test]
fn a_backup_taken_while_publishing_and_searching_restores_every_record() {
    let ws = busy_workspace();
    let server = Server::start(ws);
    let ws = &server.ws;
    let snapshot = ws.snapshot(
        "next",
        &[(
            "strategy.md",
            &chapter("Strategy Discussions", &body(" Revised.")),
        )],
    );
    let backup = ws.dir.path().join("backup-busy");
    std::thread::scope(|s| {
        let searching = s.spawn(|| {
            for i in 0..40 {
                let q = ["lado", "neglect", "strategy"][i % 3];
                let answer = server.fetch(&format!("/api/v1/search?q={q}"), &[]);
                assert_eq!(answer.status, 200, "{}", answer.body);
            }
        });
        let publishing = s.spawn(|| {
            ws.run(&[
                "import",
                &snapshot,
                "--manual",
                "m",
                "--release",
                "2024-05",
                "--date",
                "2024-05-01",
            ])
            .ok();
        });
        let run = ws.run(&["backup", &backup.display().to_string()]).ok();
        assert!(run.stdout.starts_with("backed up "), "{}", run.stdout);
        searching.join().unwrap();
        publishing.join().unwrap();
    });
    // Whether or not it caught the release published beside it, the copy is whole.
    let fsck = git(&[
        "--git-dir",
        &backup.join("store.git").display().to_string(),
        "fsck",
        "--full",
        "--strict",
    ]);
    assert!(
        fsck.status.success(),
        "{}",
        String::from_utf8_lossy(&fsck.stderr)
    );
    let original = tags(&ws.data.join("store.git"));
    let copied = tags(&backup.join("store.git"));
    assert!(copied.len() >= 4, "{copied:?}");
    assert!(
        copied.iter().all(|t| original.contains(t)),
        "{copied:?} in {original:?}"
    );

    let restored = ws.dir.path().join("restored-busy");
    let run = run_on(ws, &restored, &["restore", &backup.display().to_string()]).ok();
    assert!(
        run.stdout.contains("search index rebuilt"),
        "{}",
        run.stdout
    );
    assert_eq!(tags(&restored.join("store.git")), copied);
    assert!(
        run_on(ws, &restored, &["search", "lado"])
            .ok()
            .stdout
            .contains("LADO")
    );
}

#[test]
fn a_restored_instance_has_every_release_record_and_delivery() {
    let ws = busy_workspace();
    let backup = ws.dir.path().join("backup");
    ws.run(&["backup", &backup.display().to_string()]).ok();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(backup.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["releases"]["children"], 2);
    assert_eq!(manifest["rows"]["subscribers"], 2);
    assert!(manifest["rows"]["deliveries"].as_i64().unwrap() >= 1);

    let restored = ws.dir.path().join("restored");
    run_on(&ws, &restored, &["restore", &backup.display().to_string()]).ok();
    assert_eq!(
        tags(&restored.join("store.git")),
        tags(&ws.data.join("store.git"))
    );
    let fsck = git(&[
        "--git-dir",
        &restored.join("store.git").display().to_string(),
        "fsck",
        "--full",
    ]);
    assert!(
        fsck.status.success(),
        "{}",
        String::from_utf8_lossy(&fsck.stderr)
    );
    for args in [
        &["subscribers", "list"][..],
        &["editors", "list"],
        &["diff", "--manual", "children", "--format", "json"],
    ] {
        assert_eq!(
            run_on(&ws, &restored, args).ok().stdout,
            ws.run(args).ok().stdout,
            "{args:?}"
        );
    }
    assert_eq!(searches(&ws, &restored), searches(&ws, &ws.data));
    // The period already sent is not sent again from the restored ledger.
    let again = run_on(&ws, &restored, &["digest", "--period", "2024-04"]).ok();
    assert!(
        again.stdout.contains("0 sent, 1 skipped as already sent"),
        "{}",
        again.stdout
    );
}

#[test]
fn backup_and_restore_refuse_what_would_mix_or_damage_data() {
    let ws = busy_workspace();
    let backup = ws.dir.path().join("backup");
    let backup_arg = backup.display().to_string();
    ws.write("full/keep.txt", "an operator's file");
    ws.run(&["backup", &ws.path("full")])
        .refused("is not empty");
    ws.run(&["backup", &backup_arg]).ok();
    let settings = std::fs::read_to_string(backup.join("config.toml")).unwrap();
    assert!(settings.contains("[server]"), "{settings}");

    // Into a data folder that holds anything: refused, and left as it was.
    run_on(&ws, &ws.dir.path().join("full"), &["restore", &backup_arg]).refused("is not empty");
    assert_eq!(
        std::fs::read_dir(ws.dir.path().join("full"))
            .unwrap()
            .count(),
        1
    );
    let out = Command::new(env!("CARGO_BIN_EXE_chapterhouse"))
        .args([
            "--config",
            &ws.config.display().to_string(),
            "restore",
            &backup_arg,
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--data"));
    // Not a backup, or one changed since it was written: refused before anything is made.
    let fresh = ws.dir.path().join("fresh");
    run_on(&ws, &fresh, &["restore", &ws.path("full")]).refused("not a chapterhouse backup");
    std::fs::write(
        backup.join("config.toml"),
        format!("{settings}\n# edited\n"),
    )
    .unwrap();
    run_on(&ws, &fresh, &["restore", &backup_arg]).refused("does not match its manifest");
    assert!(!fresh.exists());
}

#[test]
fn the_smtp_password_is_left_out_of_a_backup() {
    let ws = Workspace::with_sample_and(
        "\n[smtp]\nhost = \"127.0.0.1\"\nport = 1\nsecurity = \"none\"\nusername = \"u\"\npassword = \"hunter2-secret\"\n",
    );
    let backup = ws.dir.path().join("backup");
    ws.run(&["backup", &backup.display().to_string()]).ok();
    for entry in ["config.toml", "manifest.json"] {
        let text = std::fs::read_to_string(backup.join(entry)).unwrap();
        assert!(!text.contains("hunter2"), "{entry}: {text}");
    }
    let settings = std::fs::read_to_string(backup.join("config.toml")).unwrap();
    assert!(
        settings.contains("smtp.password was set and is left out"),
        "{settings}"
    );
}
