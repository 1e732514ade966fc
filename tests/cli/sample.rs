//! The bundled sample: seeded on first use, and its April 2024 notice in every format.

use crate::support::Workspace;

#[test]
fn the_first_run_imports_the_sample_releases_once() {
    let ws = Workspace::with_sample();
    ws.run(&["diff", "--manual", "children"]).ok();
    let refs = ws.refs();
    let tags: Vec<&str> = refs
        .iter()
        .filter_map(|(name, _)| name.strip_prefix("refs/tags/"))
        .collect();
    assert_eq!(
        tags,
        [
            "adults/2023-09",
            "adults/2024-03",
            "children/2024-03",
            "children/2024-04"
        ]
    );
    ws.run(&["diff", "--manual", "adults"]).ok();
    assert_eq!(ws.refs(), refs, "a second run must not import again");
}

#[test]
fn an_operators_data_folder_gets_no_sample() {
    let ws = Workspace::new();
    ws.run(&["diff", "--manual", "children"])
        .refused("unknown manual \"children\"");
    let refs = ws.refs();
    assert_eq!(
        refs,
        [("HEAD".to_owned(), "refs/heads/main".to_owned())],
        "an empty store"
    );
}

fn children_notice(format: &str) -> String {
    let ws = Workspace::with_sample();
    ws.run(&["diff", "--manual", "children", "--format", format])
        .ok()
        .stdout
}

#[test]
fn the_april_2024_notice_lists_exactly_the_expected_chapters() {
    let json: serde_json::Value = serde_json::from_str(&children_notice("json")).unwrap();
    let titles = |group: &str| -> Vec<String> {
        let mut t: Vec<String> = json[group]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["title"].as_str().unwrap().to_owned())
            .collect();
        t.sort();
        t
    };
    let mut updated = vec![
        "Recognising Abuse and Neglect",
        "Early Help Assessment",
        "Child Protection Enquiries - Section 47 Children Act 1989",
        "Children of Parents who Misuse Substances",
        "Disabled Children",
        "Female Genital Mutilation and Other Harmful Practices",
        "Forced Marriage",
        "Harmful Sexual Behaviour",
        "So Called 'Honour' Based Abuse",
        "Online Safety",
        "Pre-Birth and Post Birth Planning",
        "Sexual Abuse",
        "Child Abuse linked to Faith or Belief",
        "Organisational Responsibilities – National Guidance",
        "Child Safeguarding Practice Reviews – National Guidance",
        "Child Death Overview Panel",
        "Child Death Reviews – National Guidance",
    ];
    updated.sort();
    assert_eq!(titles("updated"), updated);
    let mut new = vec![
        "Bruising, Marks, or Injury of Concern in Mobile Children",
        "Safeguarding Partnership Arrangements",
        "Multi-Agency Safeguarding Arrangements – National Guidance",
        "Safeguarding Partnership Principles – National Framework",
    ];
    new.sort();
    assert_eq!(titles("new"), new);
    assert_eq!(
        titles("removed"),
        [
            "Agency Roles and Responsibilities",
            "E-Safety: Children Exposed to Abuse through the Digital Media"
        ]
    );

    let updated_by_id = |id: &str| {
        json["updated"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()
            .clone()
    };
    let s47 = updated_by_id("section-47-enquiries");
    assert_eq!(
        s47["sections_added"],
        serde_json::json!(["13. National multi-agency practice standards for child protection"])
    );
    assert_eq!(
        s47["summary"],
        "A new section, '13. National multi-agency practice standards for child protection', has been added."
    );
    for reread in [
        "parents-who-misuse-substances",
        "pre-birth-and-post-birth-planning",
    ] {
        assert_eq!(updated_by_id(reread)["reread"], true, "{reread}");
    }
    assert_eq!(updated_by_id("early-help-assessment")["reread"], false);
    assert_eq!(
        updated_by_id("child-death-overview-panel")["link_changed"],
        true
    );
    assert_eq!(
        updated_by_id("honour-based-abuse")["renamed_from"]["title"],
        "Honour Based Abuse"
    );
    assert_eq!(
        json["from"],
        serde_json::json!({"name": "2024-03", "date": "2024-03-04"})
    );
    assert_eq!(
        json["to"],
        serde_json::json!({"name": "2024-04", "date": "2024-04-02"})
    );
}

#[test]
fn the_adults_march_2024_notice_reports_the_causative_nexus() {
    let ws = Workspace::with_sample();
    let out = ws
        .run(&["diff", "--manual", "adults", "--format", "json"])
        .ok()
        .stdout;
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let ids = |group: &str| -> Vec<&str> {
        let mut ids: Vec<&str> = json[group]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(
        ids("updated"),
        [
            "adults-affected-by-child-sexual-exploitation",
            "cuckooing",
            "domestic-abuse",
            "mental-capacity"
        ]
    );
    assert_eq!(
        ids("new"),
        [
            "provider-resources",
            "quick-reads-and-audios",
            "safeguarding-adults-review-reports"
        ]
    );
    assert!(ids("removed").is_empty());
    let mca = json["updated"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "mental-capacity")
        .unwrap();
    assert_eq!(
        mca["sections_added"],
        serde_json::json!(["4.3 The causative nexus"])
    );
    assert_eq!(
        mca["sections_changed"],
        serde_json::json!([]),
        "renumbering 4.3 -> 4.4 is no change"
    );
}

#[test]
fn the_april_2024_notice_as_text() {
    insta::assert_snapshot!(children_notice("text"));
}

#[test]
fn the_april_2024_notice_as_markdown() {
    insta::assert_snapshot!(children_notice("markdown"));
}

#[test]
fn the_april_2024_notice_as_html() {
    insta::assert_snapshot!(children_notice("html"));
}

#[test]
fn the_april_2024_notice_as_json() {
    insta::assert_snapshot!(children_notice("json"));
}

#[test]
fn the_april_2024_notice_as_atom() {
    insta::assert_snapshot!(children_notice("atom"));
}

#[test]
fn an_import_into_a_new_data_folder_never_brings_the_sample() {
    let ws = Workspace::with_sample();
    let s1 = ws.snapshot(
        "s1",
        &[("one.md", &crate::support::chapter("One", "Text.\n"))],
    );
    ws.import(&s1, "r1", "2024-01-01").ok();
    ws.run(&["diff", "--manual", "m"]).ok();
    let tags: Vec<String> = ws
        .refs()
        .into_iter()
        .map(|(name, _)| name)
        .filter(|n| n.starts_with("refs/tags/"))
        .collect();
    assert_eq!(tags, ["refs/tags/m/r1"]);
}
