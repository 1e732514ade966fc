//! What national guidance's publishers last said of each source a chapter relies on, and
//! the sources editors marked "reviewed: no change needed" for a chapter. An answer that
//! could not be used is recorded as the last attempt's error and changes nothing else, so
//! it never raises or clears a flag by itself.

use std::collections::HashMap;

use super::engine::args;
use super::{Db, DbError};

/// What one request to a source's provider gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceAnswer {
    /// Not modified since the last answer (`304`).
    NotModified,
    /// The page's last major change and its latest change notes.
    Page {
        updated_at: String,
        notes: Vec<String>,
        last_modified: Option<String>,
    },
    /// No usable answer: the reason.
    Failed(String),
}

/// A source's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceCheck {
    pub url: String,
    /// The last attempt.
    pub checked_at: String,
    /// Why the last attempt gave nothing usable; `None` when it did.
    pub error: Option<String>,
    /// From the last usable answer: the provider's last major change, and its notes.
    pub updated_at: Option<String>,
    pub notes: Vec<String>,
    /// The provider's `Last-Modified`, sent back as `If-Modified-Since`.
    pub last_modified: Option<String>,
}

/// Who marked a source reviewed, and when (RFC 3339).
pub type Marked = (String, String);

impl Db {
    /// Records what a request for `url` gave.
    pub fn record_source_check(&self, url: &str, answer: &SourceAnswer) -> Result<(), DbError> {
        let now = self.now();
        let conn = self.conn()?;
        let done = match answer {
            SourceAnswer::Failed(reason) => conn.execute(
                "INSERT INTO source_checks (url, checked_at, error) VALUES ($1, $2, $3)
                 ON CONFLICT (url) DO UPDATE SET checked_at = excluded.checked_at, error = excluded.error",
                args![url, now, reason],
            ),
            SourceAnswer::NotModified => conn.execute(
                "INSERT INTO source_checks (url, checked_at, seen_at) VALUES ($1, $2, $2)
                 ON CONFLICT (url) DO UPDATE SET checked_at = excluded.checked_at,
                    seen_at = excluded.seen_at, error = NULL",
                args![url, now],
            ),
            SourceAnswer::Page {
                updated_at,
                notes,
                last_modified,
            } => {
                let notes = serde_json::to_string(notes).expect("strings serialise");
                conn.execute(
                    "INSERT INTO source_checks (url, checked_at, seen_at, updated_at, notes, last_modified)
                     VALUES ($1, $2, $2, $3, $4, $5)
                     ON CONFLICT (url) DO UPDATE SET checked_at = excluded.checked_at,
                        seen_at = excluded.seen_at, error = NULL, updated_at = excluded.updated_at,
                        notes = excluded.notes, last_modified = excluded.last_modified",
                    args![url, now, updated_at, notes, last_modified],
                )
            }
        };
        done.map(drop).map_err(|e| self.err(e))
    }

    /// Every source's record, by address.
    pub fn source_checks(&self) -> Result<HashMap<String, SourceCheck>, DbError> {
        let rows = self
            .conn()?
            .query_map(
                "SELECT url, checked_at, error, updated_at, notes, last_modified FROM source_checks",
                args![],
                |r| {
                    let notes: String = r.get(4)?;
                    Ok(SourceCheck {
                        url: r.get(0)?,
                        checked_at: r.get(1)?,
                        error: r.get(2)?,
                        updated_at: r.get(3)?,
                        notes: serde_json::from_str(&notes).unwrap_or_default(),
                        last_modified: r.get(5)?,
                    })
                },
            )
            .map_err(|e| self.err(e))?;
        Ok(rows.into_iter().map(|c| (c.url.clone(), c)).collect())
    }

    /// Records that `by` reviewed the source `url` of a chapter and found no change needed.
    pub fn mark_source_reviewed(
        &self,
        manual: &str,
        chapter: &str,
        url: &str,
        by: &str,
    ) -> Result<(), DbError> {
        self.conn()?
            .execute(
                "INSERT INTO source_reviews (manual, chapter, url, reviewed_by, reviewed_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (manual, chapter, url) DO UPDATE SET
                    reviewed_by = excluded.reviewed_by, reviewed_at = excluded.reviewed_at",
                args![manual, chapter, url, by, self.now()],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// A manual's sources marked reviewed: `(chapter, url)` → (who, when).
    pub fn source_reviews(
        &self,
        manual: &str,
    ) -> Result<HashMap<(String, String), Marked>, DbError> {
        let rows: Vec<(String, String, String, String)> = self
            .conn()?
            .query_map(
                "SELECT chapter, url, reviewed_by, reviewed_at FROM source_reviews WHERE manual = $1",
                args![manual],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .map_err(|e| self.err(e))?;
        Ok(rows
            .into_iter()
            .map(|(chapter, url, by, at)| ((chapter, url), (by, at)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::db::Engine;
    use crate::db::testing::{on_each_engine, scratch};

    on_each_engine!(a_failed_answer_keeps_what_the_last_good_one_said);

    fn a_failed_answer_keeps_what_the_last_good_one_said(engine: Engine) {
        let (_dir, db) = scratch(engine, Clock::system(chrono_tz::Europe::London));
        let url = "https://www.gov.uk/guidance/x";
        let page = SourceAnswer::Page {
            updated_at: "2026-02-15T10:00:00Z".into(),
            notes: vec!["Chapter 3 revised.".into()],
            last_modified: Some("Sun, 15 Feb 2026 10:00:00 GMT".into()),
        };
        db.record_source_check(url, &page).unwrap();
        db.record_source_check(url, &SourceAnswer::Failed("HTTP 500".into()))
            .unwrap();
        let check = db.source_checks().unwrap()[url].clone();
        assert_eq!(check.error.as_deref(), Some("HTTP 500"));
        assert_eq!(check.updated_at.as_deref(), Some("2026-02-15T10:00:00Z"));
        assert_eq!(check.notes, ["Chapter 3 revised."]);
        db.record_source_check(url, &SourceAnswer::NotModified)
            .unwrap();
        let check = db.source_checks().unwrap()[url].clone();
        assert_eq!((check.error, check.notes.len()), (None, 1));

        db.mark_source_reviewed("m", "a", url, "Sam <sam@example.org>")
            .unwrap();
        db.mark_source_reviewed("m", "a", url, "Kim <kim@example.org>")
            .unwrap();
        let reviews = db.source_reviews("m").unwrap();
        assert_eq!(reviews.len(), 1);
        assert_eq!(
            reviews[&("a".into(), url.into())].0,
            "Kim <kim@example.org>"
        );
    }
}
