//! A writer, two read replicas and PostgreSQL on one machine, with a bare repository on
//! local disk as the git remote (SPEC §10 `store.push_to`, `store.follow`,
//! `server.primary_url`): a release published on the writer reaches both replicas' pages,
//! search, notice and feed; a replica rebuilds itself from the remote; a remote that
//! cannot be reached is reported, never fatal.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{Server, Workspace, body, chapter, postgres};

/// Generous, for a loaded machine; on an idle one a release arrives well within 2 s.
const DEADLINE: Duration = Duration::from_secs(15);

/// A bare repository in `ws` to be the remote.
fn bare_remote(ws: &Workspace) -> String {
    let path = ws.dir.path().join("remote.git");
    let out = Command::new("git")
        .args(["init", "--bare", "--quiet"])
        .arg(&path)
        .output()
        .expect("git is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    path.display().to_string()
}

fn append(ws: &Workspace, text: &str) {
    let mut config = std::fs::read_to_string(&ws.config).unwrap();
    config.push_str(text);
    std::fs::write(&ws.config, config).unwrap();
}

/// A replica of `remote` sending editors to `primary`, on the database at `url`.
fn replica(remote: &str, primary: &str, url: &str) -> Server {
    let ws = Workspace::new();
    append(
        &ws,
        &format!(
            "\n[store]\nfollow = {remote:?}\nfollow_interval = 1\n\n[server]\nprimary_url = {primary:?}\n\n[database]\nurl = {url:?}\n\n[digest]\nenabled = false\n"
        ),
    );
    Server::start(ws)
}

/// Waits until `check` holds on `server`, or fails after [`DEADLINE`]; how long it took.
#[track_caller]
fn wait_for(server: &Server, what: &str, check: impl Fn(&Server) -> bool) -> Duration {
    let started = Instant::now();
    while !check(server) {
        assert!(
            started.elapsed() < DEADLINE,
            "{what}: not within {DEADLINE:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    started.elapsed()
}

fn shows_release_two(server: &Server) -> bool {
    let page = server.fetch("/manuals/m/chapters/one", &[]);
    let (_, search) = server.get("/api/v1/search?q=quokkas");
    let notice = server.fetch("/manuals/m/releases/r2", &[]);
    let feed = server.fetch("/manuals/m/feed.atom", &[]);
    page.body.contains("Quokkas are consulted")
        && search["hits"].as_array().is_some_and(|h| h.len() == 1)
        && notice.status == 200
        && feed.body.contains("r2")
}

fn replication(server: &Server) -> serde_json::Value {
    let ready = server.fetch("/readyz", &[]);
    assert_eq!(ready.status, 200, "{}", ready.body);
    ready.json()["replication"].clone()
}

#[test]
fn a_release_on_the_writer_reaches_both_replicas_and_editors_are_sent_to_the_writer() {
    let url = postgres::database_url();
    let ws = Workspace::new();
    let remote = bare_remote(&ws);
    append(
        &ws,
        &format!(
            "\n[store]\npush_to = [{remote:?}]\n\n[database]\nurl = {url:?}\n\n[digest]\nenabled = false\n"
        ),
    );
    let s1 = ws.snapshot("s1", &[("one.md", &chapter("One", &body("")))]);
    ws.import(&s1, "r1", "2024-01-01").ok();
    let writer = Server::start(ws);
    let ready = replication(&writer);
    assert_eq!(ready["role"], "writer", "{ready}");
    let replicas = [
        replica(&remote, &writer.base, &url),
        replica(&remote, &writer.base, &url),
    ];
    for r in &replicas {
        assert_eq!(r.fetch("/manuals/m/chapters/one", &[]).status, 200);
        assert!(!shows_release_two(r));
        let ready = replication(r);
        assert_eq!(
            (&ready["role"], &ready["ok"]),
            (&"replica".into(), &true.into()),
            "{ready}"
        );
    }

    let s2 = writer.ws.snapshot(
        "s2",
        &[("one.md", &chapter("One", &body(" Quokkas are consulted.")))],
    );
    writer.ws.import(&s2, "r2", "2024-02-01").ok();
    for r in &replicas {
        let took = wait_for(r, "release r2 on a replica", shows_release_two);
        eprintln!("release r2 served by a replica after {took:?}");
    }

    // Editors' pages and the editing API answer 307 to the same place on the writer.
    let r = &replicas[0];
    for (method, path) in [
        (reqwest::Method::GET, "/edit?x=1"),
        (reqwest::Method::GET, "/signin"),
        (reqwest::Method::POST, "/signin"),
        (reqwest::Method::PUT, "/api/v1/manuals/m/chapters/one"),
        (reqwest::Method::POST, "/api/v1/manuals/m/releases"),
        (reqwest::Method::GET, "/api/v1/manuals/m/draft"),
    ] {
        let answer = r
            .client
            .request(method.clone(), format!("{}{path}", r.base))
            .send()
            .unwrap();
        assert_eq!(answer.status(), 307, "{method} {path}");
        assert_eq!(
            answer.headers()["location"].to_str().unwrap(),
            format!("{}{path}", writer.base)
        );
    }
    // Readers' requests, subscriptions among them, are served by the replica itself.
    assert_eq!(r.fetch("/api/v1/manuals", &[]).status, 200);
    assert_eq!(r.fetch("/subscribe", &[]).status, 200);
}

#[test]
fn a_replica_rebuilds_from_the_remote_and_outlives_an_unreachable_one() {
    let url = postgres::database_url();
    let ws = Workspace::new();
    let remote = bare_remote(&ws);
    append(&ws, &format!("\n[store]\npush_to = [{remote:?}]\n"));
    let s1 = ws.snapshot("s1", &[("one.md", &chapter("One", &body("")))]);
    ws.import(&s1, "r1", "2024-01-01").ok();
    let s2 = ws.snapshot(
        "s2",
        &[("one.md", &chapter("One", &body(" Quokkas are consulted.")))],
    );
    ws.import(&s2, "r2", "2024-02-01").ok();

    // A replica from an empty data folder has every release at once.
    let fresh = replica(&remote, "https://edit.example.org", &url);
    assert!(shows_release_two(&fresh));

    // The remote goes away: the replica says so and goes on serving what it has.
    let moved = format!("{remote}.away");
    std::fs::rename(&remote, &moved).unwrap();
    wait_for(&fresh, "a failing fetch reported", |s| {
        replication(s)["ok"] == false
    });
    let ready = replication(&fresh);
    assert!(
        ready["detail"].as_str().unwrap().contains("failing since"),
        "{ready}"
    );
    assert!(shows_release_two(&fresh));
    std::fs::rename(&moved, &remote).unwrap();
    wait_for(&fresh, "fetching again", |s| replication(s)["ok"] == true);

    // The writer's push fails while the remote is away, and is retried until it lands.
    let writer = Server::start(ws);
    std::fs::rename(&remote, &moved).unwrap();
    let s3 = writer.ws.snapshot(
        "s3",
        &[(
            "one.md",
            &chapter("One", &body(" Quokkas are consulted. Wombats too.")),
        )],
    );
    writer.ws.import(&s3, "r3", "2024-03-01").ok();
    wait_for(&writer, "a failing push reported", |s| {
        replication(s)["ok"] == false
    });
    std::fs::rename(&moved, &remote).unwrap();
    wait_for(&writer, "the push retried", |s| {
        replication(s)["ok"] == true
    });
    wait_for(&fresh, "release r3 on the replica", |s| {
        s.fetch("/manuals/m/releases/r3", &[]).status == 200
    });
}
