//! A running server keeps up with releases made by other processes, within seconds and
//! without a restart: an import run beside it, and a release tagged with plain git (as an
//! import killed after writing its tag leaves things).

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{Server, Workspace, body, chapter};

/// Generous, for a loaded machine; the server looks every second.
const DEADLINE: Duration = Duration::from_secs(10);

/// A server over manual `m` with one release, whose chapter `one` does not mention quokkas.
fn server_with_one_release() -> Server {
    let ws = Workspace::new();
    let s1 = ws.snapshot("s1", &[("one.md", &chapter("One", &body("")))]);
    ws.import(&s1, "r1", "2024-01-01").ok();
    let server = Server::start(ws);
    assert!(found(&server, "quokkas").is_empty());
    server
}

/// The ids of the chapters a search finds.
fn found(server: &Server, q: &str) -> Vec<String> {
    let (status, r) = server.get(&format!("/api/v1/search?q={q}"));
    assert_eq!(status, 200, "{r}");
    r["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Waits for a search for `q` to find chapter `one`.
#[track_caller]
fn wait_until_found(server: &Server, q: &str) {
    let until = Instant::now() + DEADLINE;
    while found(server, q) != ["one"] {
        assert!(
            Instant::now() < until,
            "{q:?} not found within {DEADLINE:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_release_imported_by_another_process_is_found_by_the_running_server() {
    let server = server_with_one_release();
    let s2 = server.ws.snapshot(
        "s2",
        &[("one.md", &chapter("One", &body(" Quokkas are consulted.")))],
    );
    server.ws.import(&s2, "r2", "2024-02-01").ok();
    wait_until_found(&server, "quokkas");
}

#[test]
fn a_release_tagged_with_plain_git_is_found_and_shown_by_the_running_server() {
    let server = server_with_one_release();
    let clone = server.ws.dir.path().join("clone");
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args([
                "-c",
                "user.name=Pat Editor",
                "-c",
                "user.email=pat@example.org",
            ])
            .args(args)
            .output()
            .expect("git is installed");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let store = server.ws.data.join("store.git");
    git(&[
        "clone",
        "-q",
        store.to_str().unwrap(),
        clone.to_str().unwrap(),
    ]);
    std::fs::write(
        clone.join("m/one.md"),
        chapter("One", &body(" Quokkas are consulted.")),
    )
    .unwrap();
    let c = clone.to_str().unwrap();
    git(&["-C", c, "commit", "-q", "-am", "Quokkas"]);
    git(&[
        "-C",
        c,
        "tag",
        "-a",
        "m/r2",
        "-m",
        "Release r2 of m\n\ndate = 2024-02-01\n",
    ]);
    git(&[
        "-C",
        c,
        "push",
        "-q",
        "origin",
        "HEAD:main",
        "refs/tags/m/r2",
    ]);

    wait_until_found(&server, "quokkas");
    let page = server.fetch("/manuals/m/chapters/one", &[]);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Quokkas are consulted"), "{}", page.body);
}
