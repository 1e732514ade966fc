//! Properties of the release diff (SPEC §4) over generated manuals: what is never
//! reported (a release against itself, whitespace, reordering, renumbering) and how the
//! two directions of a diff mirror each other.

use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::sample::select;

use super::*;
use crate::props::{config, soup};

mod manuals;

use manuals::{Model, chapters, layout, manual, number, plain_chapter, two_releases};

/// (earlier id, later id) of every chapter reported as renamed under a new id.
fn id_renames(d: &ReleaseDiff) -> BTreeSet<(String, String)> {
    d.updated
        .iter()
        .filter_map(|u| Some((u.renamed_from.as_ref()?.id.to_string(), u.id.to_string())))
        .filter(|(from, to)| from != to)
        .collect()
}

fn ids<'a>(list: impl IntoIterator<Item = &'a ChapterId>) -> BTreeSet<String> {
    list.into_iter().map(ToString::to_string).collect()
}

/// Every run of whitespace replaced by another, and some at both ends.
fn respace(text: &str, gaps: &[&str]) -> String {
    let mut gaps = gaps.iter().cycle();
    let mut out = gaps.next().unwrap().to_string();
    for w in text.split_whitespace() {
        out.push_str(w);
        out.push_str(gaps.next().unwrap());
    }
    out
}

const GAPS: &[&str] = &[" ", "  ", "\n", "\n\n", " \n", "\t", "\r\n", "   \n\n\n"];

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn a_release_compared_with_itself_is_empty(m in manual()) {
        let c = chapters(&m);
        let d = compare(&c, &c);
        prop_assert!(d.is_empty(), "{:?}", d);
    }

    #[test]
    fn the_order_of_chapters_changes_nothing((a, b) in two_releases(), seed in any::<u64>()) {
        let (a, b) = (chapters(&a), chapters(&b));
        let shuffle = |v: &[Chapter], salt: u64| {
            let mut v = v.to_vec();
            let mut rng = fastrand::Rng::with_seed(seed ^ salt);
            rng.shuffle(&mut v);
            v
        };
        prop_assert_eq!(compare(&shuffle(&a, 1), &shuffle(&b, 2)), compare(&a, &b));
    }

    #[test]
    fn the_two_directions_of_a_diff_mirror_each_other((a, b) in two_releases()) {
        let (a, b) = (chapters(&a), chapters(&b));
        let (forth, back) = (compare(&a, &b), compare(&b, &a));
        let (a_ids, b_ids) = (ids(a.iter().map(|c| &c.id)), ids(b.iter().map(|c| &c.id)));
        let renames = id_renames(&forth);
        // Ids only in the later release are new or the new ids of renamed chapters ...
        let mut later_only = ids(forth.added.iter().map(|c| &c.id));
        later_only.extend(renames.iter().map(|(_, to)| to.clone()));
        prop_assert_eq!(&later_only, &b_ids.difference(&a_ids).cloned().collect());
        let mut earlier_only = ids(forth.removed.iter().map(|c| &c.id));
        earlier_only.extend(renames.iter().map(|(from, _)| from.clone()));
        prop_assert_eq!(&earlier_only, &a_ids.difference(&b_ids).cloned().collect());
        prop_assert_eq!(forth.added.len() + renames.len(), later_only.len(), "no id twice");
        // ... and the way back renames the same chapters, the other way round, so what is
        // new one way is removed the other.
        let mirrored: BTreeSet<_> = renames.iter().map(|(f, t)| (t.clone(), f.clone())).collect();
        prop_assert_eq!(id_renames(&back), mirrored);
        prop_assert_eq!(ids(forth.added.iter().map(|c| &c.id)), ids(back.removed.iter().map(|c| &c.id)));
        prop_assert_eq!(ids(forth.removed.iter().map(|c| &c.id)), ids(back.added.iter().map(|c| &c.id)));
        // A chapter kept under its id is updated one way exactly when it is the other.
        let kept = |d: &ReleaseDiff| ids(d.updated.iter().filter(|u| {
            u.renamed_from.as_ref().is_none_or(|f| f.id == u.id)
        }).map(|u| &u.id));
        prop_assert_eq!(kept(&forth), kept(&back));
    }

    #[test]
    fn whitespace_and_moved_files_are_never_reported(
        m in manual(),
        layouts in prop::collection::vec(layout(), 6),
        gaps in prop::collection::vec(select(GAPS), 1..8),
    ) {
        let before = chapters(&m);
        let relaid: Vec<Chapter> = m.iter().zip(&layouts).map(|(m, layout)| {
            let mut c = Model { layout: layout.clone(), ..m.clone() }.chapter();
            c.title = respace(&c.title, &[" ", "  "]);
            c.path = format!("moved/{}", c.path);
            c
        }).collect();
        prop_assert!(compare(&before, &relaid).is_empty());
        let respaced: Vec<Chapter> = before.iter().map(|c| Chapter {
            body: respace(&c.body, &gaps),
            ..c.clone()
        }).collect();
        prop_assert!(compare(&before, &respaced).is_empty());
    }

    #[test]
    fn whitespace_in_any_text_is_never_reported(
        body in soup(60),
        gaps in prop::collection::vec(select(GAPS), 1..8),
    ) {
        let c = Chapter { body, ..plain_chapter() };
        let respaced = Chapter { body: respace(&c.body, &gaps), ..c.clone() };
        prop_assert!(compare(&[c], &[respaced]).is_empty());
    }

    #[test]
    fn renumbering_sections_alone_changes_no_section(
        m in manual(),
        numbers in prop::collection::vec(number(), 30),
    ) {
        let mut numbers = numbers.into_iter().cycle();
        let renumbered: Vec<Model> = m.iter().map(|m| {
            let mut m = m.clone();
            m.body.sections.iter_mut().for_each(|s| s.number = numbers.next().unwrap());
            m
        }).collect();
        let d = compare(&chapters(&m), &chapters(&renumbered));
        prop_assert!(d.added.is_empty() && d.removed.is_empty(), "{:?}", d);
        for u in &d.updated {
            prop_assert!(u.sections_added.is_empty(), "{:?}", u);
            prop_assert!(u.sections_removed.is_empty(), "{:?}", u);
            prop_assert!(u.sections_changed.is_empty(), "{:?}", u);
            prop_assert!(u.renamed_from.is_none() && !u.link_changed, "{:?}", u);
        }
    }
}
