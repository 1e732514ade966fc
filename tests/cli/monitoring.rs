//! What an operator watches (SPEC §6, §7): `/readyz`, `chapterhouse check` and `/metrics`.

use std::process::Command;

use crate::backup::{busy_workspace, git};
use crate::support::{Server, Workspace};

#[test]
fn readyz_reports_each_engine_and_fails_when_the_database_is_broken() {
    let server = Server::start(Workspace::with_sample());
    let ready = server.fetch("/readyz", &[]);
    assert_eq!(ready.status, 200, "{}", ready.body);
    let json = ready.json();
    assert_eq!(json["status"], "ready");
    for engine in ["store", "index", "database", "mail"] {
        assert_eq!(json[engine]["ok"], true, "{engine}: {json}");
    }
    assert!(
        json["mail"]["detail"].as_str().unwrap().contains("outbox"),
        "{json}"
    );
    assert_eq!(ready.header("cache-control"), "no-store");

    std::fs::write(server.ws.data.join("chapterhouse.db"), vec![b'x'; 8192]).unwrap();
    let broken = server.fetch("/readyz", &[]);
    assert_eq!(broken.status, 503, "{}", broken.body);
    let json = broken.json();
    assert_eq!(json["status"], "not ready");
    assert_eq!(json["database"]["ok"], false, "{json}");
    assert_eq!(json["store"]["ok"], true, "{json}");
    assert_eq!(
        server.fetch("/healthz", &[]).status,
        200,
        "alive all the same"
    );
}

#[test]
fn check_finds_what_is_wrong_says_how_to_fix_it_and_exits_non_zero() {
    let ws = busy_workspace();
    let clean = ws.run(&["check"]).ok();
    assert_eq!(clean.stdout, "store: ok\nindex: ok\ndatabase: ok\n");

    // A tag that is not a release, made with plain git.
    let store = ws.data.join("store.git").display().to_string();
    let tag = git(&["--git-dir", &store, "tag", "children/2099-01", "main"]);
    assert!(
        tag.status.success(),
        "{}",
        String::from_utf8_lossy(&tag.stderr)
    );
    // An index that lost its files.
    std::fs::remove_dir_all(ws.data.join("index")).unwrap();
    // A digest period marked finished with a delivery left pending (as a hand-edited or
    // half-restored database might hold).
    let db = rusqlite::Connection::open(ws.data.join("chapterhouse.db")).unwrap();
    let changed = db
        .execute(
            "UPDATE deliveries SET state = 'pending' WHERE period = '2024-04'",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(db);

    let found = ws.run(&["check"]);
    assert!(!found.success, "{found:?}");
    assert!(
        found.stderr.contains("3 problems found"),
        "{}",
        found.stderr
    );
    let out = &found.stdout;
    assert!(
        out.contains("store: tag children/2099-01 is not annotated"),
        "{out}"
    );
    assert!(out.contains("index: 4 releases of the store are not in the search index\n  fix: chapterhouse reindex"), "{out}");
    assert!(out.contains("database: digest period 2024-04 is marked finished but 1 deliveries are not done\n  fix: chapterhouse digest --period 2024-04"), "{out}");
    let json: serde_json::Value =
        serde_json::from_str(&ws.run(&["check", "--format", "json"]).stdout).unwrap();
    assert_eq!(json["ok"], false);
    assert_eq!(json["problems"].as_array().unwrap().len(), 3);

    // Each fix, then all is well again.
    git(&["--git-dir", &store, "tag", "-d", "children/2099-01"]);
    ws.run(&["reindex"]).ok();
    ws.run(&["digest", "--period", "2024-04"]).ok();
    assert_eq!(
        ws.run(&["check"]).ok().stdout,
        "store: ok\nindex: ok\ndatabase: ok\n"
    );
    ws.run(&["check", "--format", "yaml"])
        .refused("unknown format");
}

/// `promtool check metrics` on a scrape: its complaints, or `None` when promtool is not
/// installed (which fails under CI, where `.ci/run` installs it).
fn promtool(text: &str) -> Option<String> {
    use std::io::Write;
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(_) if std::env::var_os("CI").is_none() => {
            eprintln!("SKIPPED: promtool is not installed (Debian: apt-get install prometheus)");
            return None;
        }
        Err(e) => panic!("promtool is needed under CI: {e}"),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "promtool refused the metrics: {said}");
    Some(said)
}

#[test]
fn metrics_count_routes_by_pattern_and_pass_promtool() {
    // A digest already sent for April 2024, so the ledger has a period to report.
    let ws = Workspace::with_sample();
    ws.run(&["subscribers", "add", "kids@example.org", "--confirmed"])
        .ok();
    ws.run(&["digest", "--period", "2024-04"]).ok();
    let server = Server::start(ws);
    for path in [
        "/",
        "/",
        "/manuals/children/chapters/section-47-enquiries",
        "/manuals/children/chapters/no-such-chapter",
        "/search?q=lado",
        "/api/v1/search?q=neglect",
        "/api/v1/search?q=neglect",
        "/no/such/page",
    ] {
        server.fetch(path, &[]);
    }
    let scraped = server.fetch("/metrics", &[]);
    assert_eq!(scraped.status, 200);
    assert!(
        scraped
            .header("content-type")
            .starts_with("text/plain; version=0.0.4")
    );
    let text = &scraped.body;
    for needle in [
        r#"chapterhouse_http_requests_total{route="/manuals/{manual}/chapters/{id}",method="GET",status="200"} 1"#,
        r#"chapterhouse_http_requests_total{route="/manuals/{manual}/chapters/{id}",method="GET",status="404"} 1"#,
        r#"chapterhouse_http_request_duration_seconds_bucket{route="/api/v1/search",le="#,
        r#"chapterhouse_searches_total{answer="searched"}"#,
        r#"chapterhouse_page_cache_total{result="miss"}"#,
        r#"chapterhouse_page_cache_total{result="hit"}"#,
        r#"chapterhouse_http_requests_total{route="/",method="GET",status="200"} 2"#,
        r#"chapterhouse_http_requests_total{route="unmatched",method="GET",status="404"} 1"#,
        r#"chapterhouse_releases{manual="children"} 2"#,
        r#"chapterhouse_latest_release_age_seconds{manual="adults"}"#,
        "chapterhouse_index_documents ",
        r#"chapterhouse_deliveries{period="2024-04",state="sent"} 1"#,
        r#"chapterhouse_deliveries{period="2024-04",state="failed"} 0"#,
        "# HELP chapterhouse_http_requests_total ",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    assert!(
        !text.contains("section-47-enquiries"),
        "raw paths are never labels"
    );
    assert!(!text.contains("no/such/page"), "raw paths are never labels");
    promtool(text);
}

#[test]
fn metrics_can_be_turned_off_or_served_on_their_own_address() {
    let off = Server::start(Workspace::with_sample_and("\n[metrics]\nenabled = false\n"));
    assert_eq!(off.fetch("/metrics", &[]).status, 404);

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let apart = Server::start(Workspace::with_sample_and(&format!(
        "\n[metrics]\nlisten = \"127.0.0.1:{port}\"\n"
    )));
    assert_eq!(
        apart.fetch("/metrics", &[]).status,
        404,
        "not beside the site"
    );
    apart.fetch("/", &[]);
    let mut scraped = None;
    for _ in 0..50 {
        if let Ok(r) = apart
            .client
            .get(format!("http://127.0.0.1:{port}/metrics"))
            .send()
        {
            scraped = Some(r.text().unwrap());
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let scraped = scraped.expect("the metrics address answers");
    assert!(
        scraped
            .contains(r#"chapterhouse_http_requests_total{route="/",method="GET",status="200"} 1"#),
        "{scraped}"
    );
}
