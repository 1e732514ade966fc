//! Automatic summaries: one or two sentences saying what the structure of a change shows.

use super::UpdatedChapter;
use crate::content::ChapterKind;

impl UpdatedChapter {
    /// The sentence a newsletter prints when the editor wrote no note, e.g.
    /// "A new section, '13. National ...', has been added."
    pub fn summary(&self) -> String {
        let mut sentences = Vec::new();
        if self.reread {
            sentences
                .push("This chapter has been revised throughout and should be re-read.".to_owned());
        } else {
            if self.link_changed {
                sentences.push("This link has been updated.".to_owned());
            }
            sentences.extend(sections_sentence(
                &self.sections_added,
                "A new section",
                "New sections",
                "added",
            ));
            sentences.extend(sections_sentence(
                &self.sections_removed,
                "Section",
                "Sections",
                "removed",
            ));
            sentences.extend(sections_sentence(
                &self.sections_changed,
                "Section",
                "Sections",
                "updated",
            ));
        }
        if let Some(from) = &self.renamed_from
            && from.title != self.title
        {
            sentences.push(format!("Previously titled '{}'.", from.title));
        }
        if sentences.is_empty() {
            sentences.push(match self.kind {
                ChapterKind::Link => "This link has been updated.".to_owned(),
                ChapterKind::Chapter => "This chapter has been updated.".to_owned(),
            });
        }
        sentences.join(" ")
    }
}

/// "A new section, 'X', has been added." / "New sections, 'X' and 'Y', have been added."
/// "Section 'X' has been removed." / "Sections 'X', 'Y' and 'Z' have been updated."
fn sections_sentence(headings: &[String], one: &str, many: &str, verb: &str) -> Option<String> {
    let quoted: Vec<String> = headings.iter().map(|h| format!("'{h}'")).collect();
    let list = match quoted.as_slice() {
        [] => return None,
        [only] => only.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    let comma = one.starts_with("A new");
    Some(match (quoted.len(), comma) {
        (1, true) => format!("{one}, {list}, has been {verb}."),
        (1, false) => format!("{one} {list} has been {verb}."),
        (_, true) => format!("{many}, {list}, have been {verb}."),
        (_, false) => format!("{many} {list} have been {verb}."),
    })
}
