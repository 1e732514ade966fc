//! The JSON API (SPEC §7, read side): the real server on port 0 over a temporary data folder.

use serde_json::Value;

use crate::support::{Server, Workspace};

fn sample_server() -> Server {
    Server::start(Workspace::with_sample())
}

#[test]
fn health_and_the_list_of_manuals() {
    let s = sample_server();
    let (status, health) = s.get("/healthz");
    assert_eq!((status, &health["status"]), (200, &Value::from("ok")));
    assert_eq!(health["manuals"], 2);
    let (status, manuals) = s.get("/api/v1/manuals");
    assert_eq!(status, 200);
    let children = manuals
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "children")
        .unwrap();
    assert_eq!(children["title"], "Safeguarding Children Procedures");
    assert_eq!(children["current"]["name"], "2024-04");
}

#[test]
fn releases_and_their_notices() {
    let s = sample_server();
    let (status, list) = s.get("/api/v1/manuals/children/releases");
    assert_eq!(status, 200);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["2024-03", "2024-04"]);
    let (status, notice) = s.get("/api/v1/manuals/children/releases/2024-04");
    assert_eq!(status, 200);
    assert_eq!(notice["from"]["name"], "2024-03");
    assert_eq!(notice["updated"].as_array().unwrap().len(), 17);
    assert_eq!(notice["new"].as_array().unwrap().len(), 4);
    assert_eq!(notice["removed"].as_array().unwrap().len(), 2);
    let (status, diff) = s.get("/api/v1/manuals/children/diff?from=2024-03&to=2024-04");
    assert_eq!(status, 200);
    assert_eq!(diff["updated"], notice["updated"]);
}

#[test]
fn chapters_now_and_as_they_stood() {
    let s = sample_server();
    let (status, contents) = s.get("/api/v1/manuals/children/chapters");
    assert_eq!(status, 200);
    assert_eq!(contents["release"], "2024-04");
    assert_eq!(contents["chapters"].as_array().unwrap().len(), 37);
    let (status, c) = s.get("/api/v1/manuals/children/chapters/section-47-enquiries");
    assert_eq!(status, 200);
    assert_eq!(c["release"], "2024-04");
    assert!(
        c["markdown"]
            .as_str()
            .unwrap()
            .contains("## 13. National multi-agency practice standards")
    );
    assert!(
        c["html"]
            .as_str()
            .unwrap()
            .contains(">13. National multi-agency practice standards")
    );
    let (_, old) = s.get("/api/v1/manuals/children/chapters/section-47-enquiries?at=2024-03-20");
    assert_eq!(old["release"], "2024-03");
    assert!(!old["markdown"].as_str().unwrap().contains("## 13."));
    let (_, by_name) = s.get("/api/v1/manuals/children/chapters/e-safety?release=2024-03");
    assert_eq!(
        by_name["title"],
        "E-Safety: Children Exposed to Abuse through the Digital Media"
    );
}

#[test]
fn search_answers_with_the_contract_shape() {
    let s = sample_server();
    let (status, r) = s.get("/api/v1/search?q=LADO&limit=2");
    assert_eq!(status, 200);
    assert_eq!(r["hits"][0]["id"], "allegations-against-staff");
    assert_eq!(r["hits"][0]["release"], "2024-04");
    assert!(r["hits"].as_array().unwrap().len() <= 2);
    let (_, r) = s.get("/api/v1/search?q=webcams&at=2024-03-20&manual=children");
    assert_eq!(r["hits"][0]["id"], "e-safety");
    let (status, r) = s.get("/api/v1/search?q=%22unbalanced%20(title:neglect");
    assert_eq!(status, 200, "{r}");
}

#[test]
fn bad_requests_get_json_errors_with_fitting_statuses() {
    let s = sample_server();
    for (path, status, needle) in [
        ("/api/v1/manuals/nope/releases", 404, "unknown manual"),
        (
            "/api/v1/manuals/..%2F..%2Fetc/releases",
            404,
            "unknown manual",
        ),
        (
            "/api/v1/manuals/children/releases/2099-01",
            404,
            "no release",
        ),
        ("/api/v1/manuals/children/chapters/nope", 404, "no chapter"),
        (
            "/api/v1/manuals/children/chapters/section-47-enquiries?at=2020-01-01",
            404,
            "no release of children was in force",
        ),
        (
            "/api/v1/manuals/children/chapters/section-47-enquiries?at=yesterday",
            400,
            "is not a date",
        ),
        ("/api/v1/search?q=", 400, "type a few words"),
        ("/api/v1/search?q=neglect&limit=0", 400, "limit"),
        (
            "/api/v1/search?q=neglect&manual=nope",
            404,
            "unknown manual",
        ),
        ("/api/v1/no/such/page", 404, "/api/v1/manuals"),
    ] {
        let (got, body) = s.get(path);
        assert_eq!(got, status, "{path}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains(needle),
            "{path}: {body}"
        );
    }
}

#[test]
fn a_chapter_at_a_release_has_a_strong_etag_and_caches_forever() {
    let s = sample_server();
    let path = "/api/v1/manuals/children/chapters/section-47-enquiries?release=2024-03";
    let first = s.fetch(path, &[]);
    assert_eq!(first.status, 200);
    assert!(first.header("cache-control").contains("immutable"));
    let etag = first.header("etag").to_owned();
    assert!(etag.starts_with('"') && !etag.starts_with("W/"), "{etag}");
    assert_eq!(s.fetch(path, &[("if-none-match", &etag)]).status, 304);
    let current = s.fetch(
        "/api/v1/manuals/children/chapters/section-47-enquiries",
        &[],
    );
    assert_eq!(current.header("cache-control"), "no-cache");
    assert_ne!(current.header("etag"), etag);
}
