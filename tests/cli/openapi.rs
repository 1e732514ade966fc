//! The OpenAPI description (SPEC §7): complete, valid by `openapi-spec-validator`, and true
//! of the running server by `schemathesis` (both from PyPI, installed by `.ci/run`).

use std::process::Command;

use crate::support::{Server, Workspace};

/// Runs a Python tool in `dir` (where it may keep its caches); `None` when it is not
/// installed (which fails under CI).
fn tool(dir: &std::path::Path, program: &str, args: &[&str]) -> Option<std::process::Output> {
    match Command::new(program).current_dir(dir).args(args).output() {
        Ok(out) => Some(out),
        Err(_) if std::env::var_os("CI").is_none() => {
            eprintln!(
                "SKIPPED: {program} is not installed (pip install openapi-spec-validator schemathesis)"
            );
            None
        }
        Err(e) => panic!("{program} is needed under CI: {e}"),
    }
}

#[test]
fn the_description_covers_every_json_endpoint_and_is_valid_openapi_3_1() {
    let server = Server::start(Workspace::with_sample());
    let (status, doc) = server.get("/api/v1/openapi.json");
    assert_eq!(status, 200);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/manuals", "get"),
        ("/api/v1/manuals/{manual}/chapters", "get"),
        ("/api/v1/manuals/{manual}/chapters/{id}", "get"),
        ("/api/v1/manuals/{manual}/chapters/{id}", "put"),
        ("/api/v1/manuals/{manual}/chapters/{id}", "delete"),
        ("/api/v1/manuals/{manual}/releases", "get"),
        ("/api/v1/manuals/{manual}/releases", "post"),
        ("/api/v1/manuals/{manual}/releases/{release}", "get"),
        ("/api/v1/manuals/{manual}/diff", "get"),
        ("/api/v1/manuals/{manual}/draft", "get"),
        ("/api/v1/search", "get"),
        ("/api/v1/subscriptions", "post"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path}"
        );
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for schema in [
        "ErrorJson",
        "Notice",
        "SearchResults",
        "ChapterJson",
        "SubscriptionRequest",
    ] {
        assert!(schemas.contains_key(schema), "{schema}");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let put = &paths["/api/v1/manuals/{manual}/chapters/{id}"]["put"];
    assert!(put["security"].to_string().contains("bearer"), "{put}");

    let file = server.ws.dir.path().join("openapi.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    if let Some(out) = tool(
        server.ws.dir.path(),
        "openapi-spec-validator",
        &[&file.display().to_string()],
    ) {
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn generated_requests_to_the_read_endpoints_get_no_server_error_and_answers_that_fit() {
    let server = Server::start(Workspace::with_sample());
    let schema = format!("{}/api/v1/openapi.json", server.base);
    let Some(out) = tool(
        server.ws.dir.path(),
        "schemathesis",
        &[
            "run",
            &schema,
            "--url",
            &server.base,
            "--include-tag",
            "read",
            "--checks",
            "not_a_server_error,response_schema_conformance,content_type_conformance",
            "--max-examples",
            "40",
            "--seed",
            "47",
            "--workers",
            "1",
            "--no-color",
        ],
    ) else {
        return;
    };
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "schemathesis found problems:\n{said}");
    // Every read operation was exercised, none with a problem.
    assert!(said.contains("Tested: 7"), "{said}");
    assert!(said.contains("No issues found"), "{said}");
}
