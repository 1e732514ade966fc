//! A chapter body cut into its level-2 sections, and the comparison of two such cuts.

use std::collections::HashMap;

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

/// A level-2 section: its heading as written (without `## `) and the text beneath it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section<'a> {
    pub heading: String,
    pub text: &'a str,
}

/// Cuts a Markdown body at its level-2 headings. Text before the first heading is not part
/// of any section. Headings inside code blocks are not headings.
pub fn sections(body: &str) -> Vec<Section<'_>> {
    split(body).1
}

/// The text before a body's first level-2 heading ([`opening`]) and its sections
/// ([`sections`]), from one reading of the body.
pub fn split(body: &str) -> (&str, Vec<Section<'_>>) {
    let mut starts = Vec::new(); // (heading start, content start, heading text)
    let mut current: Option<(usize, String)> = None;
    for (event, range) in Parser::new(body).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H2,
                ..
            }) => current = Some((range.start, heading_text(&body[range.clone()]))),
            Event::End(TagEnd::Heading(HeadingLevel::H2)) => {
                if let Some((start, text)) = current.take() {
                    starts.push((start, range.end, text));
                }
            }
            _ => {}
        }
    }
    let opening = &body[..starts.first().map_or(body.len(), |first| first.0)];
    let mut out = Vec::with_capacity(starts.len());
    for (i, (_, content_start, heading)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(body.len(), |next| next.0);
        out.push(Section {
            heading: heading.clone(),
            text: &body[*content_start..end],
        });
    }
    (opening, out)
}

/// The text before a body's first level-2 heading (all of it when there is none).
pub fn opening(body: &str) -> &str {
    for (event, range) in Parser::new(body).into_offset_iter() {
        if let Event::Start(Tag::Heading {
            level: HeadingLevel::H2,
            ..
        }) = event
        {
            return &body[..range.start];
        }
    }
    body
}

/// The heading's text from its source: ATX (`## Title ##`) or setext (`Title\n---`).
fn heading_text(source: &str) -> String {
    let first_line = source.lines().next().unwrap_or("").trim();
    let text = if first_line.starts_with("##") {
        first_line.trim_start_matches('#').trim_end_matches('#')
    } else {
        first_line
    };
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The key sections are matched by: the heading without its leading number ("4.", "4.3",
/// "13."), case and spacing folded, so renumbering alone is no change.
pub fn section_key(heading: &str) -> String {
    let rest = heading.trim_start();
    let unnumbered = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    // Only a number followed by a space (or nothing) counts as a number: "2024 review" keeps
    // its year only when it is not a section number, which we cannot tell; the common
    // "3. Title" / "4.3 Title" forms are what matters.
    let unnumbered = if unnumbered.len() != rest.len()
        && (unnumbered.is_empty() || unnumbered.starts_with(char::is_whitespace))
    {
        unnumbered
    } else {
        rest
    };
    unnumbered
        .split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Which sections were added, removed or changed between two versions of a body.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SectionChanges {
    /// Headings as written in the later version.
    pub added: Vec<String>,
    /// Headings as written in the earlier version.
    pub removed: Vec<String>,
    /// Headings as written in the later version.
    pub changed: Vec<String>,
}

/// Matches sections by key (repeated keys pair up in order) and compares their words.
pub fn compare_sections(old: &[Section<'_>], new: &[Section<'_>]) -> SectionChanges {
    let keyed = |list: &[Section<'_>]| {
        let mut seen: HashMap<String, usize> = HashMap::new();
        list.iter()
            .map(|s| {
                let key = section_key(&s.heading);
                let n = seen.entry(key.clone()).or_default();
                *n += 1;
                (key, *n)
            })
            .collect::<Vec<_>>()
    };
    let old_keys = keyed(old);
    let new_keys = keyed(new);
    let old_index: HashMap<&(String, usize), usize> =
        old_keys.iter().enumerate().map(|(i, k)| (k, i)).collect();

    let mut changes = SectionChanges::default();
    let mut matched = vec![false; old.len()];
    for (section, key) in new.iter().zip(&new_keys) {
        match old_index.get(key) {
            Some(&i) => {
                matched[i] = true;
                if !super::words::same_words(old[i].text, section.text) {
                    changes.changed.push(section.heading.clone());
                }
            }
            None => changes.added.push(section.heading.clone()),
        }
    }
    for (section, was_matched) in old.iter().zip(matched) {
        if !was_matched {
            changes.removed.push(section.heading.clone());
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_cut_at_level_two_headings_only() {
        let body = "Intro.\n\n## 1. Introduction\n\nSome text.\n\n### 1.1 Detail\n\nMore.\n\n\
                    ```\n## not a heading\n```\n\nSetext\n------\n\nLast.\n";
        let s = sections(body);
        let headings: Vec<_> = s.iter().map(|s| s.heading.as_str()).collect();
        assert_eq!(headings, ["1. Introduction", "Setext"]);
        assert!(s[0].text.contains("Detail"));
        assert_eq!(s[1].text.trim(), "Last.");
        let (before, cut) = split(body);
        assert_eq!(before, opening(body));
        assert_eq!(cut, s);
        assert_eq!(split("No sections.\n").0, "No sections.\n");
    }

    #[test]
    fn numbers_are_set_aside_when_matching() {
        assert_eq!(section_key("13. National  Standards"), "national standards");
        assert_eq!(
            section_key("4.3 The causative nexus"),
            "the causative nexus"
        );
        assert_eq!(section_key("Introduction"), "introduction");
        assert_eq!(section_key("2024"), "");
        assert_eq!(section_key("3Rs"), "3rs");
    }

    #[test]
    fn renumbering_alone_is_no_change_but_new_text_is() {
        let old = sections("## 4.3 Recording\n\nKeep records.\n\n## 5. Best interests\n\nA b.\n");
        let new = sections(
            "## 4.3 The causative nexus\n\nBecause of.\n\n## 4.4 Recording\n\nKeep\nrecords.\n\n\
             ## 5. Best interests\n\nA c.\n",
        );
        let c = compare_sections(&old, &new);
        assert_eq!(c.added, ["4.3 The causative nexus"]);
        assert!(c.removed.is_empty());
        assert_eq!(c.changed, ["5. Best interests"]);
    }

    #[test]
    fn removed_sections_are_named_as_they_were() {
        let c = compare_sections(&sections("## 2. Old\n\nx\n"), &sections("## 2. New\n\nx\n"));
        assert_eq!(c.added, ["2. New"]);
        assert_eq!(c.removed, ["2. Old"]);
    }
}
