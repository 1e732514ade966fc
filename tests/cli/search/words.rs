//! `search`: the words practitioners type that the manuals write otherwise: American
//! spellings, words run together or apart, question words, dotted acronyms, everyday
//! phrasings, misspellings; and an index written under older analyzers rebuilt.

use super::{ids, search};
use crate::support::{Workspace, chapter};

#[test]
fn american_spellings_find_british_words_and_back() {
    let ws = Workspace::new();
    let s1 = ws.snapshot(
        "s1",
        &[
            (
                "uk.md",
                &chapter(
                    "Behaviour Programme",
                    "The paediatric centre's organisation.\n",
                ),
            ),
            (
                "us.md",
                &chapter("Bruises", "Do not age a bruise by its color.\n"),
            ),
            ("other.md", &chapter("Other", "Nothing relevant here.\n")),
        ],
    );
    ws.import(&s1, "r1", "2024-01-01").ok();
    for q in ["behavior program", "pediatric center", "organization"] {
        assert_eq!(ids(&search(&ws, &[q]))[..1], ["m/uk"], "{q}");
    }
    assert_eq!(ids(&search(&ws, &["colour"])), ["m/us"]);
}

#[test]
fn words_run_together_or_spelt_apart_find_the_chapter() {
    let ws = Workspace::new();
    let s1 = ws.snapshot(
        "s1",
        &[
            (
                "joint.md",
                &chapter(
                    "Joint Working",
                    "Multi-agency meetings about self-neglect.\n",
                ),
            ),
            (
                "well.md",
                &chapter("Staff Support", "Supervision supports wellbeing.\n"),
            ),
            (
                "other.md",
                &chapter("Other", "Agency meetings about many things.\n"),
            ),
        ],
    );
    ws.import(&s1, "r1", "2024-01-01").ok();
    for q in ["multiagency meetings", "selfneglect"] {
        assert_eq!(ids(&search(&ws, &[q]))[0], "m/joint", "{q}");
    }
    assert_eq!(ids(&search(&ws, &["well being"]))[0], "m/well");
    assert_eq!(search(&ws, &["multiagency meetings"])["fuzzy"], false);
}

#[test]
fn question_words_dotted_acronyms_and_everyday_phrasings_find_what_is_sought() {
    let ws = Workspace::new();
    let s1 = ws.snapshot(
        "s1",
        &[
            (
                "dnacpr.md",
                &chapter(
                    "Do Not Attempt Resuscitation",
                    "Who should decide, and when.\n",
                ),
            ),
            (
                "referral.md",
                &chapter("Referrals", "Make a referral to children's social care.\n"),
            ),
            ("s47.md", &chapter("Enquiries", "Section 47 enquiries.\n")),
            (
                "ulcers.md",
                &chapter("Pressure Ulcers", "Categories of pressure ulcer.\n"),
            ),
        ],
    );
    ws.import(&s1, "r1", "2024-01-01").ok();
    let cases = [
        ("how do I make a referral to social services", "m/referral"),
        ("what should I do", "m/dnacpr"),
        ("s.47", "m/s47"),
        ("bed sores", "m/ulcers"),
    ];
    for (q, want) in cases {
        assert_eq!(ids(&search(&ws, &[q]))[0], want, "{q}");
    }
}

#[test]
fn misspelt_words_among_words_spelt_right_are_searched_as_meant() {
    let ws = Workspace::new();
    let s1 = ws.snapshot(
        "s1",
        &[
            (
                "cuckooing.md",
                &chapter("Cuckooing", "When a home is taken over.\n"),
            ),
            ("a.md", &chapter("Indicators", "Signs to look for.\n")),
            ("b.md", &chapter("Neglect", "Signs of neglect.\n")),
            ("c.md", &chapter("Bruising", "Signs of injury.\n")),
        ],
    );
    ws.import(&s1, "r1", "2024-01-01").ok();
    // "signs" alone finds enough chapters; "cukooing" is still read as "cuckooing".
    let r = search(&ws, &["signs of cukooing"]);
    assert_eq!(ids(&r)[0], "m/cuckooing", "{r}");
    assert_eq!(r["fuzzy"], true, "{r}");
}

#[test]
fn an_index_of_an_older_version_is_rebuilt() {
    let ws = Workspace::new();
    let s1 = ws.snapshot(
        "s1",
        &[("one.md", &chapter("One", "Sexualised behaviour.\n"))],
    );
    ws.import(&s1, "r1", "2024-01-01").ok();
    // What an index written before the analyzers changed says about itself.
    let meta = ws.data.join("index/meta.json");
    let text = std::fs::read_to_string(&meta).unwrap();
    assert!(text.contains("\\\"version\\\":2"), "{text}");
    std::fs::write(
        &meta,
        text.replace("\\\"version\\\":2", "\\\"version\\\":1"),
    )
    .unwrap();
    let r = search(&ws, &["sexualized behavior"]);
    assert_eq!(r["total"], 1, "reindexed once, not twice: {r}");
    let text = std::fs::read_to_string(&meta).unwrap();
    assert!(text.contains("\\\"version\\\":2"), "{text}");
}
