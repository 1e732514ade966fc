//! The pass over the index against plain tantivy: the same best hits as scoring every
//! match of the whole query, and counts that stop at the cap.

use std::path::Path;

use tantivy::DocAddress;
use tantivy::collector::TopDocs;
use tantivy::query::Query;

use super::query::{QueryBuilder, UserQuery};
use super::{COUNTED_MATCHES, SearchIndex, SearchRequest, collect, schema};
use crate::app::{Chapterhouse, Import};
use crate::clock::Clock;

fn open(dir: &Path) -> Chapterhouse {
    let mut config = crate::config::Config::default();
    config.data.dir = dir.join("data");
    let clock = Clock::starting_at(
        "2026-06-01T09:00:00Z".parse().unwrap(),
        chrono_tz::Europe::London,
    );
    Chapterhouse::open_with_clock(config, clock).unwrap()
}

/// The best `limit` hits in force on `at`, by scoring every match of the whole query.
fn plain_best(
    index: &SearchIndex,
    query: &dyn Query,
    at: chrono::NaiveDate,
    limit: usize,
) -> Vec<(f32, DocAddress)> {
    let searcher = index.reader.searcher();
    let all = searcher
        .search(query, &TopDocs::with_limit(100_000).order_by_score())
        .unwrap();
    let day = schema::day(at);
    all.into_iter()
        .filter(|(_, address)| {
            let reader = searcher.segment_reader(address.segment_ord);
            let view = index.filters.view(reader, day).unwrap();
            view.in_force.contains(address.doc_id)
        })
        .take(limit)
        .collect()
}

#[test]
fn the_best_hits_are_those_of_scoring_every_match_of_the_whole_query() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path());
    crate::sample::seed(&app).unwrap();
    let index = app.search_index().unwrap();
    let searcher = index.reader.searcher();
    let builder = QueryBuilder {
        index: &index.index,
        fields: &index.fields,
        glossary: &index.glossary,
        searcher: &searcher,
    };
    let today = app.today();
    let past = crate::content::parse_date("2024-03-10").unwrap();
    let queries = [
        "LADO",
        "child protection",
        "\"section 47\" enquiry",
        "munchausen by proxy",
        "what is a strategy discussion",
        "bruising in babies who are not mobile",
        "FGM mandatory reporting",
        "mental capacity best interests",
    ];
    for text in queries {
        let user = UserQuery::parse(text);
        for loose in [false, true] {
            let query = builder.text_query(&user, &[], loose);
            for at in [today, past] {
                let pass =
                    collect::run(&searcher, &index.filters, &query, schema::day(at), None, 10)
                        .unwrap();
                let plain = plain_best(&index, &query.whole(), at, 10);
                let docs = |hits: &[(f32, DocAddress)]| -> Vec<DocAddress> {
                    hits.iter().map(|(_, a)| *a).collect()
                };
                assert_eq!(docs(&pass.hits), docs(&plain), "{text} at {at}");
                for ((a, _), (b, _)) in pass.hits.iter().zip(&plain) {
                    assert!((a - b).abs() <= 1e-4 * b.abs().max(1.0), "{text}: {a} {b}");
                }
            }
        }
    }
}

#[test]
fn matches_are_counted_up_to_the_cap_and_more_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path());
    let snapshot = dir.path().join("snapshot");
    std::fs::create_dir_all(&snapshot).unwrap();
    std::fs::write(snapshot.join("manual.toml"), "title = \"Adults\"\n").unwrap();
    for n in 0..COUNTED_MATCHES + 5 {
        let extra = if n % 200 == 0 { " Quokkas." } else { "" };
        std::fs::write(
            snapshot.join(format!("c{n}.md")),
            format!("+++\ntitle = \"Chapter {n}\"\n+++\nWombats and carers.{extra}\n"),
        )
        .unwrap();
    }
    app.import(&Import {
        snapshot_dir: snapshot,
        manual: "adults".parse().unwrap(),
        release: "2026-05".parse().unwrap(),
        date: Some(crate::content::parse_date("2026-05-01").unwrap()),
        notes: Default::default(),
        author: "Eve Editor <eve@example.org>".parse().unwrap(),
    })
    .unwrap();
    let search = |query: &str| {
        app.search(&SearchRequest {
            query: query.into(),
            manual: None,
            at: app.today(),
            limit: 10,
        })
        .unwrap()
    };
    let many = search("wombats");
    assert_eq!(many.total, COUNTED_MATCHES);
    assert!(many.more);
    assert_eq!(many.hits.len(), 10);
    assert!(many.facets["adults"] <= COUNTED_MATCHES as u64);
    let few = search("quokkas");
    assert_eq!((few.total, few.more), (6, false));
    assert_eq!(few.facets["adults"], 6);
}
