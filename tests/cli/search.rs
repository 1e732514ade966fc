//! `search`: relevance over the sample, point-in-time search, the index kept in step with
//! the store, and any query string answered.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::support::{Workspace, body, chapter};

mod words;

fn search(ws: &Workspace, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["search"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    serde_json::from_str(&ws.run(&all).ok().stdout).unwrap()
}

fn ids(results: &serde_json::Value) -> Vec<String> {
    results["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            format!(
                "{}/{}",
                h["manual"].as_str().unwrap(),
                h["id"].as_str().unwrap()
            )
        })
        .collect()
}

#[derive(Deserialize)]
struct RelevanceSet {
    query: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    q: String,
    manual: String,
    expect: String,
    at: Option<toml::value::Datetime>,
    #[allow(dead_code)]
    why: Option<String>,
}

#[test]
fn practitioner_queries_find_the_expected_chapter_near_the_top() {
    let ws = Workspace::with_sample();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/cli/relevance.toml"
    ))
    .unwrap();
    let set: RelevanceSet = toml::from_str(&text).unwrap();
    assert!(set.query.len() >= 150, "at least 150 queries");
    let mut reciprocal_ranks = Vec::new();
    let mut misses = Vec::new();
    for case in &set.query {
        let at = case.at.map(|d| d.to_string());
        let mut args = vec![case.q.as_str(), "--limit", "10"];
        if let Some(at) = &at {
            args.extend_from_slice(&["--at", at]);
        }
        let found = ids(&search(&ws, &args));
        let want = format!("{}/{}", case.manual, case.expect);
        let rank = found.iter().position(|id| *id == want).map(|i| i + 1);
        reciprocal_ranks.push(rank.map_or(0.0, |r| 1.0 / r as f64));
        if rank.is_none_or(|r| r > 3) {
            misses.push(format!(
                "{:?} -> {want} at {rank:?}; got {:?}",
                case.q,
                &found[..found.len().min(3)]
            ));
        }
    }
    let mrr = reciprocal_ranks.iter().sum::<f64>() / reciprocal_ranks.len() as f64;
    eprintln!(
        "relevance: MRR {mrr:.3} over {} queries",
        reciprocal_ranks.len()
    );
    assert!(
        misses.is_empty(),
        "expected chapters outside the top 3 (MRR {mrr:.3}):\n{}",
        misses.join("\n")
    );
    assert!(mrr >= 0.95, "mean reciprocal rank {mrr:.3} < 0.95");
}

#[test]
fn the_json_answer_has_the_contract_shape() {
    let ws = Workspace::with_sample();
    let r = search(&ws, &["bruising", "--limit", "3"]);
    assert_eq!(r["query"], "bruising");
    assert!(r["total"].as_u64().unwrap() >= 1);
    let hit = &r["hits"][0];
    assert_eq!(hit["manual"], "children");
    assert_eq!(hit["id"], "bruising-in-mobile-children");
    assert_eq!(hit["release"], "2024-04");
    assert!(hit["score"].as_f64().unwrap() > 0.0);
    assert!(hit["snippet"].as_str().unwrap().contains("<mark>"), "{hit}");
    assert!(r["hits"].as_array().unwrap().len() <= 3);
    let facets = r["facets"].as_object().unwrap();
    assert!(facets.contains_key("children"), "{facets:?}");
}

#[test]
fn a_manual_filter_keeps_other_manuals_out_but_counts_them() {
    let ws = Workspace::with_sample();
    let r = search(&ws, &["domestic abuse", "--manual", "adults"]);
    assert!(ids(&r).iter().all(|id| id.starts_with("adults/")), "{r}");
    let facets = r["facets"].as_object().unwrap();
    assert!(
        facets["children"].as_u64().unwrap() > 0,
        "counts per manual ignore the filter: {facets:?}"
    );
    assert_eq!(r["total"], facets["adults"]);
}

#[test]
fn quoted_phrases_match_words_together() {
    let ws = Workspace::with_sample();
    let r = search(&ws, &["\"causative nexus\""]);
    assert_eq!(ids(&r)[0], "adults/mental-capacity");
}

#[test]
fn removed_chapters_are_found_as_they_stood_and_not_today() {
    let ws = Workspace::with_sample();
    let before = ids(&search(
        &ws,
        &["Agency Roles and Responsibilities", "--at", "2024-03-20"],
    ));
    assert_eq!(before[0], "children/agency-roles-and-responsibilities");
    let today = ids(&search(&ws, &["Agency Roles and Responsibilities"]));
    assert!(!today.contains(&"children/agency-roles-and-responsibilities".to_owned()));
    let r = search(&ws, &["Section 47", "--at", "2024-03-20"]);
    assert_eq!(r["hits"][0]["release"], "2024-03");
    assert!(
        ids(&search(&ws, &["bruising", "--at", "2024-03-20"]))
            .iter()
            .all(|id| id != "children/bruising-in-mobile-children")
    );
}

#[test]
fn before_the_first_release_nothing_is_in_force() {
    let ws = Workspace::with_sample();
    let r = search(&ws, &["neglect", "--at", "2020-01-01"]);
    assert_eq!(r["total"], 0);
}

#[test]
fn a_scheduled_release_is_searchable_from_its_date_only() {
    let ws = Workspace::new();
    let s1 = ws.snapshot(
        "s1",
        &[("one.md", &chapter("One", &body(" Zebras today.")))],
    );
    ws.import(&s1, "r1", "2024-01-01").ok();
    let s2 = ws.snapshot(
        "s2",
        &[("one.md", &chapter("One", &body(" Giraffes tomorrow.")))],
    );
    ws.import(&s2, "r2", "2999-01-01").ok();
    assert_eq!(
        search(&ws, &["giraffes"])["total"],
        0,
        "scheduled, not yet in force"
    );
    assert_eq!(search(&ws, &["zebras"])["total"], 1);
    assert_eq!(search(&ws, &["giraffes", "--at", "2999-01-01"])["total"], 1);
    assert_eq!(search(&ws, &["zebras", "--at", "2999-01-01"])["total"], 0);
}

#[test]
fn an_index_behind_the_store_catches_up_by_itself() {
    let ws = Workspace::new();
    let s1 = ws.snapshot("s1", &[("one.md", &chapter("One", &body(" Zebras.")))]);
    ws.import(&s1, "r1", "2024-01-01").ok();
    let index = ws.data.join("index");
    let saved = ws.dir.path().join("saved-index");
    copy_dir(&index, &saved);
    let s2 = ws.snapshot(
        "s2",
        &[
            ("one.md", &chapter("One", &body(" Giraffes."))),
            ("two.md", &chapter("Two", "Okapis.\n")),
        ],
    );
    ws.import(&s2, "r2", "2024-02-01").ok();
    // Restore the older index, as a crash or an old backup would leave it.
    std::fs::remove_dir_all(&index).unwrap();
    copy_dir(&saved, &index);
    assert_eq!(search(&ws, &["okapis"])["total"], 1);
    assert_eq!(search(&ws, &["zebras"])["total"], 0);
    assert_eq!(search(&ws, &["zebras", "--at", "2024-01-15"])["total"], 1);
    // A lost index is rebuilt from git alone.
    std::fs::remove_dir_all(&index).unwrap();
    assert_eq!(search(&ws, &["giraffes"])["total"], 1);
}

#[test]
fn reindex_rebuilds_from_the_store() {
    let ws = Workspace::with_sample();
    let before = search(&ws, &["forced marriage"]);
    let out = ws.run(&["reindex"]).ok().stdout;
    assert!(out.starts_with("rebuilt the search index"), "{out}");
    let after = search(&ws, &["forced marriage"]);
    // Scores may move a little (a fresh index has no deleted documents in its statistics);
    // what is found does not.
    assert_eq!(ids(&before)[0], ids(&after)[0]);
    assert_eq!(before["total"], after["total"]);
}

#[test]
fn hostile_and_odd_queries_are_answered_as_plain_words() {
    let ws = Workspace::with_sample();
    let long = "neglect ".repeat(1300);
    for q in [
        "\"unbalanced quote neglect",
        "((neglect",
        "neglect) OR AND NOT",
        "title:neglect",
        "body:[a TO z]",
        "neglect~2^3*",
        "neglect\u{1b}[31m\u{7}\u{8}",
        "<script>alert('x')</script> neglect",
        long.as_str(),
    ] {
        let r = search(&ws, &[q]);
        assert!(r["total"].as_u64().unwrap() >= 1, "{q:?} found nothing");
        for hit in r["hits"].as_array().unwrap() {
            assert!(
                !hit["snippet"].as_str().unwrap().contains("<script"),
                "{hit}"
            );
        }
    }
}

#[test]
fn an_empty_query_gets_a_helpful_answer() {
    let ws = Workspace::with_sample();
    ws.run(&["search", ""]).refused("type a few words");
    ws.run(&["search", "  \"\" ?! "])
        .refused("type a few words");
}

#[test]
fn unknown_manuals_bad_dates_and_limits_are_refused() {
    let ws = Workspace::with_sample();
    ws.run(&["search", "neglect", "--manual", "nope"])
        .refused("unknown manual \"nope\"");
    ws.run(&["search", "neglect", "--manual", "../x"])
        .refused("manual id");
    for bad in ["2024-13-01", "yesterday", "2024-1-1", "2024-02-30"] {
        ws.run(&["search", "neglect", "--at", bad])
            .refused("is not a date");
    }
    ws.run(&["search", "neglect", "--limit", "0"])
        .refused("--limit");
    ws.run(&["search", "neglect", "--limit", "many"])
        .refused("--limit");
    ws.run(&["search", "neglect", "--format", "xml"])
        .refused("unknown format");
}

#[test]
fn the_text_answer_reads_well() {
    let ws = Workspace::with_sample();
    let out = ws.run(&["search", "LADO", "--limit", "2"]).ok().stdout;
    assert!(
        out.starts_with("4 chapters in force today match \"LADO\".\n")
            || out.contains("in force today match \"LADO\""),
        "{out}"
    );
    assert!(out.contains("1. Allegations Against People who Work with Children\n   children/allegations-against-staff (release 2024-04)\n"), "{out}");
    assert!(
        out.contains("*Local* *Authority* *Designated* *Officer*"),
        "{out}"
    );
}

#[test]
fn the_shipped_glossary_covers_the_fields_acronyms() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/glossary.toml");
    let g = chapterhouse::search::Glossary::load(std::path::Path::new(path), false).unwrap();
    assert!(g.len() >= 60, "{} entries", g.len());
    let text = std::fs::read_to_string(path).unwrap().to_lowercase();
    for acronym in [
        "fgm", "lado", "mash", "sudi", "dnacpr", "mca", "dols", "lps", "imca", "sar", "cspr",
        "cse", "cce", "s47", "s42", "eha", "icpc", "rcpc", "cin", "marac", "dash", "idva",
        "prevent", "camhs", "send",
    ] {
        assert!(
            text.contains(&format!("\"{acronym}\"")),
            "{acronym} missing"
        );
    }
    let _: BTreeMap<String, toml::Value> =
        toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
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

#[test]
fn an_acronym_finds_a_chapter_that_only_writes_it_out_in_its_text_and_back() {
    let ws = Workspace::new();
    let s1 = ws.snapshot(
        "s1",
        &[
            ("risk.md", &chapter("Working Together on High Risk Cases", "Refer the case to the Multi-Agency Risk Assessment Conference without delay.\n")),
            ("short.md", &chapter("Quick Guide", "Book a place at the next MARAC.\n")),
            ("other.md", &chapter("Other", "Nothing relevant here.\n")),
        ],
    );
    ws.import(&s1, "r1", "2024-01-01").ok();
    let found = ids(&search(&ws, &["MARAC"]));
    assert!(found.contains(&"m/risk".to_owned()), "{found:?}");
    let found = ids(&search(&ws, &["multi-agency risk assessment conference"]));
    assert_eq!(
        found[..2]
            .iter()
            .map(String::as_str)
            .collect::<std::collections::BTreeSet<_>>(),
        ["m/risk", "m/short"].into()
    );
}

#[test]
fn searches_beyond_the_turns_wait_and_are_all_answered() {
    let server = crate::support::Server::start(Workspace::with_sample_and(
        "\n[search]\nat_once = 1\ncached_results = 0\n",
    ));
    let queries = [
        "neglect",
        "LADO",
        "bruising",
        "mental capacity",
        "s47",
        "FGM",
    ];
    let answers: Vec<(u16, serde_json::Value)> = std::thread::scope(|scope| {
        let asked: Vec<_> = (0..24)
            .map(|i| {
                let server = &server;
                let q = queries[i % queries.len()];
                scope
                    .spawn(move || server.get(&format!("/api/v1/search?q={}", q.replace(' ', "+"))))
            })
            .collect();
        asked.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (i, (status, json)) in answers.iter().enumerate() {
        assert_eq!(*status, 200, "{json}");
        let alone = server.get(&format!(
            "/api/v1/search?q={}",
            queries[i % queries.len()].replace(' ', "+")
        ));
        // The same chapters as asked alone (scores may move a little while the seeded
        // index merges its segments in the background).
        let ids = |answer: &serde_json::Value| {
            let mut ids: Vec<String> = answer["hits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| format!("{}/{}", h["manual"], h["id"]))
                .collect();
            ids.sort();
            ids
        };
        assert!(!ids(json).is_empty(), "{json}");
        assert_eq!(ids(json), ids(&alone.1), "the same answer as asked alone");
        assert_eq!(json["total"], alone.1["total"]);
    }
}
