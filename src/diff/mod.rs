//! The release diff (SPEC §4): which chapters were updated, added or removed between two
//! versions of a manual, and what changed inside each. Pure: chapters in, changes out.

pub mod chapter;
mod sections;
mod summary;
pub mod words;

pub use sections::{
    Section, SectionChanges, compare_sections, opening, section_key, sections, split,
};

use std::collections::HashMap;

use serde::Serialize;

use crate::content::{Chapter, ChapterId, ChapterKind};

/// Body similarity at or above which a chapter whose id changed counts as renamed.
pub const RENAME_SIMILARITY: f32 = 0.8;
/// Body similarity below which a chapter should be re-read.
pub const REREAD_SIMILARITY: f32 = 0.5;
/// Rename detection needs bodies long enough for similarity to mean something.
const MIN_RENAME_WORDS: usize = 10;

/// What a chapter was called before a rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RenamedFrom {
    pub id: ChapterId,
    pub title: String,
}

/// A chapter present on both sides whose title, url or body changed (or whose id did).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpdatedChapter {
    pub id: ChapterId,
    pub title: String,
    pub kind: ChapterKind,
    /// True when more than half of the body's words changed.
    pub reread: bool,
    pub sections_added: Vec<String>,
    pub sections_removed: Vec<String>,
    pub sections_changed: Vec<String>,
    pub link_changed: bool,
    pub renamed_from: Option<RenamedFrom>,
    /// Word-level similarity of the two bodies, 0..=1.
    pub similarity: f32,
}

/// A chapter only in the later version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewChapter {
    pub id: ChapterId,
    pub title: String,
    pub kind: ChapterKind,
}

/// A chapter only in the earlier version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemovedChapter {
    pub id: ChapterId,
    pub title: String,
    pub kind: ChapterKind,
}

/// Every reportable change between two versions of a manual, each list ordered by title.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReleaseDiff {
    pub updated: Vec<UpdatedChapter>,
    pub added: Vec<NewChapter>,
    pub removed: Vec<RemovedChapter>,
}

impl ReleaseDiff {
    /// True when nothing reportable changed.
    pub fn is_empty(&self) -> bool {
        self.updated.is_empty() && self.added.is_empty() && self.removed.is_empty()
    }
}

/// Compares two versions of a manual. The slices may hold every chapter or only those that
/// might have changed (chapters byte-identical on both sides can be left out of both).
pub fn compare(earlier: &[Chapter], later: &[Chapter]) -> ReleaseDiff {
    let earlier_by_id: HashMap<&ChapterId, &Chapter> = earlier.iter().map(|c| (&c.id, c)).collect();
    let later_ids: HashMap<&ChapterId, ()> = later.iter().map(|c| (&c.id, ())).collect();

    let mut diff = ReleaseDiff::default();
    let mut added = Vec::new();
    let mut pairs = Vec::new();
    for chapter in later {
        match earlier_by_id.get(&chapter.id) {
            Some(before) => pairs.push((*before, chapter, None)),
            None => added.push(chapter),
        }
    }
    let removed: Vec<&Chapter> = earlier
        .iter()
        .filter(|c| !later_ids.contains_key(&c.id))
        .collect();

    let renames = find_renames(&removed, &added);
    for (old, new) in &renames {
        let from = RenamedFrom {
            id: old.id.clone(),
            title: old.title.clone(),
        };
        pairs.push((old, new, Some(from)));
    }
    diff.updated = compare_pairs(pairs);
    let renamed = |c: &Chapter| renames.iter().any(|(o, n)| o.id == c.id || n.id == c.id);
    diff.added = added
        .into_iter()
        .filter(|c| !renamed(c))
        .map(|c| NewChapter {
            id: c.id.clone(),
            title: c.title.clone(),
            kind: c.kind,
        })
        .collect();
    diff.removed = removed
        .into_iter()
        .filter(|c| !renamed(c))
        .map(|c| RemovedChapter {
            id: c.id.clone(),
            title: c.title.clone(),
            kind: c.kind,
        })
        .collect();

    let by_title = |a: &str, b: &str| a.to_lowercase().cmp(&b.to_lowercase()).then(a.cmp(b));
    // Chapters of the same title go by id, whatever order they came in.
    diff.updated
        .sort_by(|a, b| by_title(&a.title, &b.title).then_with(|| a.id.cmp(&b.id)));
    diff.added
        .sort_by(|a, b| by_title(&a.title, &b.title).then_with(|| a.id.cmp(&b.id)));
    diff.removed
        .sort_by(|a, b| by_title(&a.title, &b.title).then_with(|| a.id.cmp(&b.id)));
    diff
}

/// Compares each pair, on every core when there are enough: each comparison stands alone.
fn compare_pairs(pairs: Vec<(&Chapter, &Chapter, Option<RenamedFrom>)>) -> Vec<UpdatedChapter> {
    crate::parallel::in_chunks(pairs, 32, |chunk| {
        chunk
            .into_iter()
            .filter_map(|(old, new, from)| compare_chapter(old, new, from))
            .collect::<Vec<_>>()
    })
    .concat()
}

/// Compares two versions of one chapter; `None` when nothing reportable changed.
pub fn compare_chapter(
    old: &Chapter,
    new: &Chapter,
    renamed: Option<RenamedFrom>,
) -> Option<UpdatedChapter> {
    let fold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let title_changed = fold(&old.title) != fold(&new.title);
    let link_changed = old.url != new.url;
    let body_changed = !words::same_words(&old.body, &new.body);
    if !body_changed && !title_changed && !link_changed && renamed.is_none() {
        return None;
    }
    let similarity = if body_changed {
        words::similarity(&old.body, &new.body)
    } else {
        1.0
    };
    let section_changes = if body_changed {
        compare_sections(&sections(&old.body), &sections(&new.body))
    } else {
        SectionChanges::default()
    };
    let renamed_from = renamed.or_else(|| {
        title_changed.then(|| RenamedFrom {
            id: old.id.clone(),
            title: old.title.clone(),
        })
    });
    Some(UpdatedChapter {
        id: new.id.clone(),
        title: new.title.clone(),
        kind: new.kind,
        reread: body_changed && similarity < REREAD_SIMILARITY,
        sections_added: section_changes.added,
        sections_removed: section_changes.removed,
        sections_changed: section_changes.changed,
        link_changed,
        renamed_from,
        similarity,
    })
}

/// Pairs removed and new chapters of the same kind whose bodies are at least 80% the same
/// (by an optimal word diff), most similar pairs first, each chapter in at most one pair.
fn find_renames<'a>(
    removed: &[&'a Chapter],
    added: &[&'a Chapter],
) -> Vec<(&'a Chapter, &'a Chapter)> {
    if removed.is_empty() || added.is_empty() {
        return Vec::new();
    }
    let removed_counts: Vec<words::WordCounts> = removed
        .iter()
        .map(|c| words::WordCounts::new(&c.body))
        .collect();
    let added_counts: Vec<words::WordCounts> = added
        .iter()
        .map(|c| words::WordCounts::new(&c.body))
        .collect();
    let mut candidates = Vec::new();
    for (i, old) in removed.iter().enumerate() {
        for (j, new) in added.iter().enumerate() {
            let (oc, nc) = (&removed_counts[i], &added_counts[j]);
            if old.kind != new.kind
                || oc.total().min(nc.total()) < MIN_RENAME_WORDS
                || words::length_bound(oc, nc) < RENAME_SIMILARITY
            {
                continue;
            }
            if words::similarity_bound(oc, nc) < RENAME_SIMILARITY {
                continue;
            }
            let s = words::exact_similarity(&old.body, &new.body);
            if s >= RENAME_SIMILARITY {
                candidates.push((s, i, j));
            }
        }
    }
    // Equally similar pairs go by their ids, whichever release comes first: neither the
    // order chapters come in nor the direction of the diff decides which pair is a rename.
    let ids = |i: usize, j: usize| {
        let (old, new) = (&removed[i].id, &added[j].id);
        if old < new { (old, new) } else { (new, old) }
    };
    candidates.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| ids(a.1, a.2).cmp(&ids(b.1, b.2)))
    });
    let mut used_old = vec![false; removed.len()];
    let mut used_new = vec![false; added.len()];
    let mut pairs = Vec::new();
    for (_, i, j) in candidates {
        if !used_old[i] && !used_new[j] {
            used_old[i] = true;
            used_new[j] = true;
            pairs.push((removed[i], added[j]));
        }
    }
    pairs
}

#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;
