//! Reviews recorded in the editors' workspace: a chapter's review date, owner and sources
//! saved from its form count at once and make no release.

use super::{GUIDANCE, chapters, on_second_of_march, snapshot};
use crate::support::Workspace;

#[test]
fn a_review_recorded_in_the_workspace_counts_at_once_and_makes_no_release() {
    use crate::support::Server;
    use crate::workspace::{Desk, add_editor, input, textarea};
    let ws = on_second_of_march();
    let s1 = snapshot(&ws, "s1", &chapters("2026-02-01", "lead@example.org"));
    ws.import(&s1, "r1", "2026-01-10").ok();
    let (_, link) = add_editor(&ws, "Sam", "editor");
    let server = Server::start(ws);
    let desk = Desk::sign_in(&server, &link);
    let form = "/edit/manuals/m/chapters/a";
    let page = desk.get(form).body;
    assert_eq!(input(&page, "owner"), "lead@example.org");
    assert_eq!(textarea(&page, "sources"), GUIDANCE);
    let send = |extra: &[(&str, &str)]| {
        let page = desk.get(form).body;
        let (csrf, base, title, body) = (
            input(&page, "csrf"),
            input(&page, "base"),
            input(&page, "title"),
            textarea(&page, "body"),
        );
        let mut fields = vec![
            ("csrf", csrf.as_str()),
            ("base", base.as_str()),
            ("title", title.as_str()),
            ("body", body.as_str()),
            ("action", "save"),
        ];
        fields.extend_from_slice(extra);
        desk.post(form, &fields)
    };
    let report = |ws: &Workspace| -> serde_json::Value {
        let out = ws
            .run(&["reviews", "--manual", "m", "--format", "json"])
            .ok()
            .stdout;
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        report["chapters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "a")
            .unwrap()
            .clone()
    };

    // Reviewed: a new date and owner, one more source; saved to the draft, no release.
    let saved = send(&[
        ("review_due", "2027-03-01"),
        ("owner", "new.lead@example.org"),
        (
            "sources",
            &format!("{GUIDANCE}\r\nhttps://www.legislation.gov.uk/ukpga/1989/41"),
        ),
    ]);
    assert_eq!(saved.status, 303, "{}", saved.body);
    let alpha = report(&server.ws);
    assert_eq!(alpha["owner"], "new.lead@example.org");
    assert_eq!(alpha["review_due"], "2027-03-01");
    assert_eq!(alpha["state"], "later");
    assert_eq!(alpha["sources"].as_array().unwrap().len(), 2);
    let (_, releases) = server.get("/api/v1/manuals/m/releases");
    assert_eq!(releases.as_array().unwrap().len(), 1, "{releases}");

    // A form without the owner and sources fields (SPEC §7a's) leaves them as they are.
    let plain = send(&[("review_due", "2027-04-01")]);
    assert_eq!(plain.status, 303, "{}", plain.body);
    let alpha = report(&server.ws);
    assert_eq!(alpha["owner"], "new.lead@example.org");
    assert_eq!(alpha["sources"].as_array().unwrap().len(), 2);

    // A bad owner or source is refused beside its field, and nothing changes.
    for (field, value) in [
        ("owner", "not an address"),
        ("sources", "http://insecure.example.org/x"),
    ] {
        let refused = send(&[("review_due", "2027-04-01"), (field, value)]);
        assert_eq!(refused.status, 422, "{field}: {}", refused.body);
        assert!(
            refused.body.contains(&format!("id=\"e-{field}\"")),
            "{}",
            refused.body
        );
    }
    assert_eq!(report(&server.ws)["owner"], "new.lead@example.org");
}
