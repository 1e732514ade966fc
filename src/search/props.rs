//! Properties of search queries: whatever a practitioner types gives hits or "the query
//! is empty", never an engine error or a panic, and snippets carry no markup but `<mark>`.

use chrono::Datelike;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;

use super::schema::{OPEN_END, day, document};
use super::*;
use crate::content::Chapter;
use crate::props::{config, soup, unicode};

/// Pieces of queries: the field's words and acronyms, misspellings, engine syntax.
const PIECES: &[&str] = &[
    "strategy",
    "discussion",
    "neglect",
    "bruising",
    "s47",
    "section 47",
    "MASH",
    "LADO",
    "DNACPR",
    "child in need",
    "stratgey",
    "negelct",
    "discusion",
    "safeguardign",
    "the",
    "what",
    "is",
    "it",
    "a",
    "\"",
    "\"\"",
    "'",
    "AND",
    "OR",
    "NOT",
    "+",
    "-",
    "*",
    "?",
    "~2",
    "^3",
    "title:",
    "body:neglect",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    "\\",
    "/",
    "_",
    "&",
    "<mark>",
    "<script>",
    "é",
    "straße",
    "İstanbul",
    "ǅemal",
    "中文",
    "🙂",
    "\u{0}",
    "\t",
    "\u{200b}",
    "\u{301}",
    " ",
    " ",
    " ",
];

fn query() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        6 => proptest::sample::select(PIECES).prop_map(str::to_owned),
        1 => "[a-z]{5,12}",
        1 => "[a-zA-Zà-ÿ]{20,80}",
        1 => any::<char>().prop_map(String::from),
    ];
    prop_oneof![
        4 => prop::collection::vec(piece, 0..12).prop_map(|p| p.join(" ")),
        1 => unicode(60),
        1 => soup(20),
        1 => "[a-z ]{400,700}",
    ]
}

const CHAPTERS: &[&str] = &[
    "+++\ntitle = \"Strategy Discussions\"\ntags = [\"s47\"]\n+++\nA strategy discussion is \
     held when there is reasonable cause to suspect significant harm.\n\n## 1. Section 47 \
     enquiries\n\nThe police and children's social care share what they know.\n",
    "+++\ntitle = \"Neglect\"\n+++\nNeglect is the persistent failure to meet a child's basic \
     needs.\n\n## 2. Bruising in babies\n\nAny bruising in a child who is not mobile must be \
     referred to the MASH.\n",
    "+++\ntitle = \"Allegations against staff\"\nid = \"lado\"\n+++\nTell the LADO within one \
     working day. <script>alert(1)</script> & \"quotes\" <b>bold</b>\n",
];

/// An index of a few chapters of one manual, in force from 2024-01-01.
fn small_index(dir: &Path) -> SearchIndex {
    let glossary = Glossary::parse(include_str!("../../config/glossary.toml")).unwrap();
    let index = SearchIndex::open(dir, glossary, 0).unwrap();
    let manual: ManualId = "children".parse().unwrap();
    let from = day(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap());
    let mut writer = index.writer(Writing::Many).unwrap();
    for (i, text) in CHAPTERS.iter().enumerate() {
        let chapter = Chapter::parse(&format!("c{i}.md"), text).unwrap();
        writer
            .add_document(document(
                &index.fields,
                &manual,
                &chapter,
                "blob",
                from,
                OPEN_END,
            ))
            .unwrap();
    }
    writer.commit().unwrap();
    index.reader.reload().unwrap();
    index
}

/// A snippet is escaped text with `<mark>` around the matches, and nothing else.
fn only_marks(snippet: &str) -> bool {
    !snippet
        .replace("<mark>", "")
        .replace("</mark>", "")
        .contains(['<', '>'])
}

#[test]
fn any_query_finds_hits_or_is_empty_never_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let index = small_index(dir.path());
    let manual = prop_oneof![Just(None), Just(Some("children")), Just(Some("adults")),];
    let request = (query(), manual, 0usize..200, 1990i32..2100).prop_map(|(q, m, limit, year)| {
        SearchRequest {
            query: q,
            manual: m.map(|m| m.parse().unwrap()),
            at: NaiveDate::from_ymd_opt(year, 6, 1).unwrap(),
            limit,
        }
    });
    TestRunner::new(config(256))
        .run(&request, |request| {
            let typed = UserQuery::parse(&request.query);
            match index.search(&request) {
                Ok(results) => {
                    prop_assert!(!typed.is_empty());
                    prop_assert_eq!(&results.query, &typed.text);
                    prop_assert!(results.hits.len() <= request.limit.clamp(1, MAX_LIMIT));
                    prop_assert!(results.total >= results.hits.len());
                    if request
                        .manual
                        .as_ref()
                        .is_some_and(|m| m.as_str() == "adults")
                        || request.at.year() < 2024
                    {
                        prop_assert!(results.hits.is_empty(), "{:?}", results.hits);
                    }
                    for hit in &results.hits {
                        prop_assert_eq!(&hit.manual, "children");
                        prop_assert!(only_marks(&hit.snippet), "{}", hit.snippet);
                    }
                }
                Err(SearchError::EmptyQuery) => prop_assert!(typed.is_empty()),
                Err(e) => prop_assert!(false, "{:?}: {}", request.query, e),
            }
            Ok(())
        })
        .unwrap();
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_text_is_a_query_of_words_and_phrases(text in prop_oneof![query(), unicode(800)]) {
        let q = UserQuery::parse(&text);
        prop_assert!(q.text.chars().count() <= MAX_QUERY_CHARS);
        prop_assert!(!q.text.chars().any(char::is_control), "{:?}", q.text);
        prop_assert_eq!(q.text.split_whitespace().collect::<Vec<_>>().join(" "), q.text.clone());
        prop_assert!(q.words.len() <= 32 && q.phrases.len() <= 32);
        for w in &q.words {
            prop_assert!(!w.is_empty() && !w.contains(char::is_whitespace), "{:?}", w);
            prop_assert!(!w.contains('"'));
        }
        for p in &q.phrases {
            prop_assert!(!p.is_empty() && p.trim() == p && !p.contains('"'), "{:?}", p);
        }
    }
}

#[test]
fn the_sample_index_answers_its_own_words() {
    let dir = tempfile::tempdir().unwrap();
    let index = small_index(dir.path());
    let request = SearchRequest {
        query: "bruising".into(),
        manual: None,
        at: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        limit: 10,
    };
    let results = index.search(&request).unwrap();
    assert_eq!(results.hits.len(), 1);
    assert!(
        results.hits[0].snippet.contains("<mark>"),
        "{}",
        results.hits[0].snippet
    );
}
