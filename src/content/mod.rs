//! The content format (SPEC §2): manuals, chapters and their validation. Pure: values in,
//! values out; reading a snapshot folder from disk lives in [`source`].

mod chapter;
mod ids;
mod manual;
pub mod markdown;
pub mod source;

pub use chapter::{Chapter, ChapterKind, MAX_CHAPTER_BYTES};
pub use ids::{ChapterId, InvalidId, ManualId, ReleaseName};
pub use manual::{MANUAL_FILE, ManualInfo, Snapshot, SourceFile};

use std::fmt;

/// Content that breaks the format's rules: which file, which line, which rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ContentError {
    pub file: String,
    pub line: Option<usize>,
    pub rule: String,
}

impl ContentError {
    pub(crate) fn at(file: &str, line: usize, rule: String) -> Self {
        ContentError {
            file: file.to_owned(),
            line: Some(line),
            rule,
        }
    }

    pub(crate) fn file(file: &str, rule: String) -> Self {
        ContentError {
            file: file.to_owned(),
            line: None,
            rule,
        }
    }
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.rule),
            None => write!(f, "{}: {}", self.file, self.rule),
        }
    }
}
