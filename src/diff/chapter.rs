//! What changed in one chapter between two versions, section by section and word by word,
//! for a reader to see (the release diff decides *whether* it changed; this shows *how*).

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use similar::{ChangeTag, TextDiff};

use super::{section_key, split, words};

/// Whether a section is in both versions, and whether its words changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionStatus {
    Unchanged,
    Changed,
    Added,
    Removed,
}

impl SectionStatus {
    pub fn label(self) -> &'static str {
        match self {
            SectionStatus::Unchanged => "unchanged",
            SectionStatus::Changed => "changed",
            SectionStatus::Added => "new section",
            SectionStatus::Removed => "removed section",
        }
    }
}

/// A run of text: in both versions, only in the new one, or only in the old one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Same(String),
    Added(String),
    Removed(String),
}

/// One section of a chapter diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionDiff {
    pub heading: String,
    pub status: SectionStatus,
    pub parts: Vec<Part>,
}

/// The heading given to text before a chapter's first section.
pub const OPENING: &str = "Opening text";

/// Word diffs taking longer than this, for one chapter's page, fall back to coarser ones
/// (at worst "all removed, all added").
const DIFF_TIMEOUT: Duration = Duration::from_millis(250);

/// Compares two chapter bodies section by section. Sections are matched by heading (the
/// number set aside, as the release diff does); a section only in the old body is shown
/// where it stood, after the sections that preceded it.
pub fn section_diffs(old: &str, new: &str) -> Vec<SectionDiff> {
    let split = |body: &str| -> Vec<(String, String)> {
        let mut out = Vec::new();
        let (opening, sections) = split(body);
        let opening = opening.trim();
        if !opening.is_empty() {
            out.push((OPENING.to_owned(), opening.to_owned()));
        }
        out.extend(
            sections
                .into_iter()
                .map(|s| (s.heading, s.text.trim().to_owned())),
        );
        out
    };
    let old_sections = split(old);
    let new_sections = split(new);
    let old_keys: Vec<String> = old_sections.iter().map(|(h, _)| section_key(h)).collect();
    let new_keys: Vec<String> = new_sections.iter().map(|(h, _)| section_key(h)).collect();
    let in_new: HashSet<&str> = new_keys.iter().map(String::as_str).collect();
    // The old sections of each key not yet matched, first first.
    let mut unmatched: HashMap<&str, VecDeque<usize>> = HashMap::new();
    for (i, key) in old_keys.iter().enumerate() {
        unmatched.entry(key).or_default().push_back(i);
    }
    // One time limit for all the word diffs of the page.
    let deadline = Instant::now() + DIFF_TIMEOUT;
    let mut used = vec![false; old_sections.len()];
    let mut out = Vec::new();
    let mut old_cursor = 0;
    for ((heading, text), key) in new_sections.iter().zip(&new_keys) {
        let found = unmatched
            .get_mut(key.as_str())
            .and_then(VecDeque::pop_front);
        if let Some(i) = found {
            // Sections of the old body that went before this one and are gone.
            for j in old_cursor..i {
                if !used[j] && !in_new.contains(old_keys[j].as_str()) {
                    used[j] = true;
                    out.push(removed(&old_sections[j]));
                }
            }
            old_cursor = old_cursor.max(i + 1);
            used[i] = true;
            let (old_heading, old_text) = &old_sections[i];
            let same = words::same_words(old_text, text) && words::same_words(old_heading, heading);
            out.push(SectionDiff {
                heading: heading.clone(),
                status: if same {
                    SectionStatus::Unchanged
                } else {
                    SectionStatus::Changed
                },
                parts: if same {
                    vec![Part::Same(text.clone())]
                } else {
                    word_diff_until(old_text, text, deadline)
                },
            });
        } else {
            out.push(SectionDiff {
                heading: heading.clone(),
                status: SectionStatus::Added,
                parts: vec![Part::Added(text.clone())],
            });
        }
    }
    for (j, section) in old_sections.iter().enumerate() {
        if !used[j] {
            out.push(removed(section));
        }
    }
    out
}

fn removed((heading, text): &(String, String)) -> SectionDiff {
    SectionDiff {
        heading: heading.clone(),
        status: SectionStatus::Removed,
        parts: vec![Part::Removed(text.clone())],
    }
}

/// Text cut into words, runs of whitespace and single punctuation marks, so that "MASH."
/// and "MASH" share their word.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let class = |c: char| {
        if c.is_alphanumeric() {
            0
        } else if c.is_whitespace() {
            1
        } else {
            2
        }
    };
    let mut previous: Option<u8> = None;
    for (i, c) in text.char_indices() {
        let k = class(c);
        if let Some(p) = previous
            && (p != k || k == 2)
        {
            out.push(&text[start..i]);
            start = i;
        }
        previous = Some(k);
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// Word by word: runs of unchanged, added and removed text, whitespace kept.
pub fn word_diff(old: &str, new: &str) -> Vec<Part> {
    word_diff_until(old, new, Instant::now() + DIFF_TIMEOUT)
}

/// A word diff that settles for a coarser one once `deadline` has passed.
fn word_diff_until(old: &str, new: &str, deadline: Instant) -> Vec<Part> {
    let (old_tokens, new_tokens) = (tokens(old), tokens(new));
    let diff = TextDiff::configure()
        .deadline(deadline)
        .diff_slices(&old_tokens, &new_tokens);
    let mut parts: Vec<Part> = Vec::new();
    for change in diff.iter_all_changes() {
        let value = change.value();
        match (change.tag(), parts.last_mut()) {
            (ChangeTag::Equal, Some(Part::Same(s)))
            | (ChangeTag::Insert, Some(Part::Added(s)))
            | (ChangeTag::Delete, Some(Part::Removed(s))) => s.push_str(value),
            (ChangeTag::Equal, _) => parts.push(Part::Same(value.to_owned())),
            (ChangeTag::Insert, _) => parts.push(Part::Added(value.to_owned())),
            (ChangeTag::Delete, _) => parts.push(Part::Removed(value.to_owned())),
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_added_and_removed_are_marked() {
        let parts = word_diff("the child is seen", "the child is seen alone");
        assert_eq!(
            parts,
            [
                Part::Same("the child is seen".into()),
                Part::Added(" alone".into())
            ]
        );
    }

    #[test]
    fn sections_are_matched_by_heading_and_classified() {
        let old = "Intro.\n\n## 1. Scope\n\nAll staff.\n\n## 2. Referral\n\nCall MASH.\n\n## 3. Gone\n\nOld text.\n";
        let new = "Intro.\n\n## 1. Scope\n\nAll   staff.\n\n## 2. Referral\n\nCall the MASH today.\n\n## 4. New\n\nNew text.\n";
        let diffs = section_diffs(old, new);
        let summary: Vec<(&str, SectionStatus)> = diffs
            .iter()
            .map(|d| (d.heading.as_str(), d.status))
            .collect();
        assert_eq!(
            summary,
            [
                (OPENING, SectionStatus::Unchanged),
                ("1. Scope", SectionStatus::Unchanged),
                ("2. Referral", SectionStatus::Changed),
                ("4. New", SectionStatus::Added),
                ("3. Gone", SectionStatus::Removed),
            ]
        );
        assert_eq!(
            diffs[2].parts,
            [
                Part::Same("Call ".into()),
                Part::Added("the ".into()),
                Part::Same("MASH".into()),
                Part::Added(" today".into()),
                Part::Same(".".into()),
            ]
        );
    }
}
