//! The content format (SPEC §2): manuals, chapters and their validation. Pure: values in,
//! values out; reading a snapshot folder from disk lives in [`source`].

mod chapter;
mod fields;
mod ids;
mod limits;
mod manual;
pub mod markdown;
#[cfg(test)]
mod props;
mod raw_html;
pub mod source;

pub use chapter::{Chapter, ChapterKind, MAX_CHAPTER_BYTES, front_matter};
pub use fields::{KNOWN_KEYS, MAX_SOURCES};
pub use ids::{ChapterId, InvalidId, ManualId, ReleaseName};
pub use limits::{MAX_ATTRIBUTES, MAX_ELEMENTS, MAX_ESCAPES, MAX_NESTING, MAX_TEXT_RUNS};
pub use manual::{CheckedSnapshot, MANUAL_FILE, ManualInfo, Snapshot, SourceFile};

use std::fmt;

use chrono::NaiveDate;

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

/// A date that is not `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a date: write it as YYYY-MM-DD")]
pub struct InvalidDate(pub String);

/// Parses a `YYYY-MM-DD` date, as every date in chapterhouse is written.
pub fn parse_date(s: &str) -> Result<NaiveDate, InvalidDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|_| s.len() == 10)
        .ok_or_else(|| InvalidDate(s.chars().take(40).collect()))
}
