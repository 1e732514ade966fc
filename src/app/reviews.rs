//! Review tracking (SPEC §6 `reviews`): each chapter of a manual's draft with its owner,
//! its review date and what that date makes it today — overdue, due within 30 days,
//! later, or no date — and the national guidance it relies on.
//!
//! The draft is what counts: a review recorded by changing `review_due`, `owner` or
//! `sources` takes effect as soon as it is saved, before any release.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::{AppError, Chapterhouse};
use crate::content::{ChapterId, ManualId};
use crate::db::SourceCheck;
use crate::store::{PendingRevision, Release, Revision};

/// Days ahead within which a review is "due".
pub const DUE_WITHIN_DAYS: i64 = 30;

/// Where a chapter stands against its review date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReviewState {
    Overdue,
    Due,
    Later,
    None,
}

impl ReviewState {
    /// What `review_due` makes a chapter on `today`.
    pub fn of(review_due: Option<NaiveDate>, today: NaiveDate) -> ReviewState {
        match review_due {
            None => ReviewState::None,
            Some(due) if due < today => ReviewState::Overdue,
            Some(due) if (due - today).num_days() <= DUE_WITHIN_DAYS => ReviewState::Due,
            Some(_) => ReviewState::Later,
        }
    }

    /// How a person would say it.
    pub fn label(self) -> &'static str {
        match self {
            ReviewState::Overdue => "overdue",
            ReviewState::Due => "due within 30 days",
            ReviewState::Later => "later",
            ReviewState::None => "no review date",
        }
    }
}

/// One source of a chapter and what its provider last said of it.
#[derive(Debug, Clone, Serialize)]
pub struct SourceReview {
    pub url: String,
    /// `changed`, `unchanged`, `unchecked` or `unreachable` (SPEC §6).
    pub state: &'static str,
    /// The provider's last major change, when known.
    pub updated_at: Option<String>,
    pub notes: Vec<String>,
    /// Who last marked it reviewed for this chapter with no change needed, and when.
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<String>,
    /// When the provider was last asked, and why that answer was unusable if it was (a
    /// changed source stays changed through such answers, and says so here).
    pub checked_at: Option<String>,
    pub error: Option<String>,
}

/// A source's state for a chapter: changed when the provider's last usable answer puts
/// its last major change after both the chapter's last revision and the last time an
/// editor marked the source reviewed (an unusable answer since never clears that);
/// otherwise unreachable when the last attempt gave nothing usable, unchanged when it
/// did, and unchecked when it was never asked.
pub fn source_state(check: Option<&SourceCheck>, baseline: Option<DateTime<Utc>>) -> &'static str {
    let Some(check) = check else {
        return "unchecked";
    };
    let updated = check
        .updated_at
        .as_deref()
        .and_then(|u| DateTime::parse_from_rfc3339(u).ok());
    match (updated, baseline) {
        (Some(updated), Some(baseline)) if updated.to_utc() > baseline => "changed",
        _ if check.error.is_some() => "unreachable",
        _ => "unchanged",
    }
}

/// One chapter's review.
#[derive(Debug, Clone, Serialize)]
pub struct ChapterReview {
    pub id: String,
    pub title: String,
    pub owner: Option<String>,
    pub review_due: Option<NaiveDate>,
    pub state: ReviewState,
    pub sources: Vec<SourceReview>,
}

/// Every chapter of a manual's draft, for review.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewReport {
    pub manual: String,
    /// The manual's title.
    pub title: String,
    pub today: NaiveDate,
    /// Overdue first, then due, later and undated; by date, then title, within each.
    pub chapters: Vec<ChapterReview>,
}

/// What an import did.
#[derive(Debug, Clone)]
pub enum Imported {
    /// Published the release.
    Released(Release),
    /// Nothing a notice reports changed, but these chapters' reviews did: the snapshot was
    /// saved to the draft, with no release (it travels with the next one).
    Reviewed {
        revision: Revision,
        chapters: Vec<ChapterId>,
    },
}

impl Imported {
    /// The release published, if one was.
    pub fn release(&self) -> Option<&Release> {
        match self {
            Imported::Released(release) => Some(release),
            Imported::Reviewed { .. } => None,
        }
    }
}

impl Chapterhouse {
    /// The chapters whose `review_due`, `owner` or `sources` differ in `pending` from the
    /// manual's draft as it is: `None` when none does (nothing to save).
    pub(super) fn reviews_recorded(
        &self,
        manual: &ManualId,
        pending: &PendingRevision,
    ) -> Result<Option<Vec<ChapterId>>, AppError> {
        let head = self.draft_head(manual)?;
        if !self.manual_changed(manual, &head, &pending.revision)? {
            return Ok(None);
        }
        let before = self.contents_at_revision(manual, &head)?;
        let after = self.contents_at_revision(manual, &pending.revision)?;
        let changed: Vec<ChapterId> = after
            .entries
            .iter()
            .filter(|e| {
                before.entry(e.id.as_str()).is_some_and(|b| {
                    (b.review_due, &b.owner, &b.sources) != (e.review_due, &e.owner, &e.sources)
                })
            })
            .map(|e| e.id.clone())
            .collect();
        Ok((!changed.is_empty()).then_some(changed))
    }

    /// When each chapter was last revised: the publication of the latest release whose
    /// notice reports it new or updated.
    fn last_revised(
        &self,
        manual: &ManualId,
    ) -> Result<HashMap<ChapterId, DateTime<Utc>>, AppError> {
        let latest = match self.latest_release(manual) {
            Ok(latest) => latest,
            Err(AppError::NoReleases(_)) => return Ok(HashMap::new()),
            Err(e) => return Err(e),
        };
        let published: HashMap<_, _> = self
            .releases(manual)?
            .into_iter()
            .map(|r| (r.name, r.published_at))
            .collect();
        Ok(self
            .last_changed(manual, &latest)?
            .into_iter()
            .filter_map(|(id, name)| {
                let at = DateTime::from_timestamp(*published.get(&name)?, 0)?;
                Some((id, at))
            })
            .collect())
    }

    /// Every distinct source the chapters of every manual's draft list.
    pub fn draft_sources(&self) -> Result<std::collections::BTreeSet<String>, AppError> {
        let mut sources = std::collections::BTreeSet::new();
        for manual in self.store.manuals()? {
            let head = self.draft_head(&manual)?;
            for entry in &self.contents_at_revision(&manual, &head)?.entries {
                sources.extend(entry.sources.iter().cloned());
            }
        }
        Ok(sources)
    }

    /// Records that `by` reviewed source `url` of chapter `chapter` and found no change
    /// needed. Refused unless the draft's chapter lists that source.
    pub fn mark_source_reviewed(
        &self,
        manual: &ManualId,
        chapter: &str,
        url: &str,
        by: &str,
    ) -> Result<(), AppError> {
        let by = by.trim();
        if by.is_empty() || by.chars().count() > 200 || by.chars().any(char::is_control) {
            return Err(AppError::Refused(
                "say who reviewed the source: a name or an address on one line".into(),
            ));
        }
        let head = self.draft_head(manual)?;
        let contents = self.contents_at_revision(manual, &head)?;
        let listed = contents
            .entry(chapter)
            .is_some_and(|e| e.sources.iter().any(|s| s == url));
        if !listed {
            return Err(AppError::Refused(format!(
                "chapter {chapter} of {manual} does not list the source {url}"
            )));
        }
        Ok(self
            .db()?
            .mark_source_reviewed(manual.as_str(), chapter, url, by)?)
    }

    /// The sources of a draft chapter whose guidance changed since the chapter was last
    /// revised or the source reviewed (none for a chapter the draft lacks).
    pub fn changed_sources(
        &self,
        manual: &ManualId,
        chapter: &str,
    ) -> Result<Vec<SourceReview>, AppError> {
        Ok(self
            .reviews(manual)?
            .chapters
            .into_iter()
            .find(|c| c.id == chapter)
            .map(|c| c.sources)
            .unwrap_or_default()
            .into_iter()
            .filter(|s| s.state == "changed")
            .collect())
    }

    /// The review report of a manual's draft, as of today.
    pub fn reviews(&self, manual: &ManualId) -> Result<ReviewReport, AppError> {
        let head = self.draft_head(manual)?;
        let contents = self.contents_at_revision(manual, &head)?;
        let today = self.today();
        let db = self.db()?;
        let checks = db.source_checks()?;
        let reviewed = db.source_reviews(manual.as_str())?;
        let revised = self.last_revised(manual)?;
        let mut chapters: Vec<ChapterReview> = contents
            .entries
            .iter()
            .map(|e| ChapterReview {
                id: e.id.to_string(),
                title: e.title.clone(),
                owner: e.owner.clone(),
                review_due: e.review_due,
                state: ReviewState::of(e.review_due, today),
                sources: e
                    .sources
                    .iter()
                    .map(|url| {
                        let marked = reviewed.get(&(e.id.to_string(), url.clone()));
                        let marked_at = marked
                            .and_then(|(_, at)| DateTime::parse_from_rfc3339(at).ok())
                            .map(|at| at.to_utc());
                        let baseline = revised.get(&e.id).copied().max(marked_at);
                        let check = checks.get(url);
                        SourceReview {
                            url: url.clone(),
                            state: source_state(check, baseline),
                            updated_at: check.and_then(|c| c.updated_at.clone()),
                            notes: check.map(|c| c.notes.clone()).unwrap_or_default(),
                            reviewed_by: marked.map(|(by, _)| by.clone()),
                            reviewed_at: marked.map(|(_, at)| at.clone()),
                            checked_at: check.map(|c| c.checked_at.clone()),
                            error: check.and_then(|c| c.error.clone()),
                        }
                    })
                    .collect(),
            })
            .collect();
        chapters.sort_by(|a, b| {
            (a.state, a.review_due, &a.title, &a.id).cmp(&(b.state, b.review_due, &b.title, &b.id))
        });
        Ok(ReviewReport {
            manual: manual.to_string(),
            title: contents.info.title.clone(),
            today,
            chapters,
        })
    }
}

impl ReviewReport {
    /// The report as `reviews --format text` prints it: one group per state, each chapter
    /// with its date, owner and sources.
    pub fn to_text(&self) -> String {
        let mut out = format!("reviews of {} on {}\n", self.manual, self.today);
        for state in [
            ReviewState::Overdue,
            ReviewState::Due,
            ReviewState::Later,
            ReviewState::None,
        ] {
            let group: Vec<&ChapterReview> =
                self.chapters.iter().filter(|c| c.state == state).collect();
            out.push_str(&format!("\n{} ({}):\n", state.label(), group.len()));
            for chapter in group {
                let due = chapter
                    .review_due
                    .map_or_else(|| "no date".to_owned(), |d| d.to_string());
                let owner = chapter.owner.as_deref().unwrap_or("no owner");
                out.push_str(&format!(
                    "  {due}  {}  {}  ({owner})\n",
                    chapter.id, chapter.title
                ));
                for source in &chapter.sources {
                    out.push_str(&format!("      source {} ({})\n", source.url, source.state));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_review_date_is_overdue_due_or_later_by_today() {
        let today: NaiveDate = "2026-03-02".parse().unwrap();
        let day = |s: &str| Some(s.parse::<NaiveDate>().unwrap());
        assert_eq!(
            ReviewState::of(day("2026-03-01"), today),
            ReviewState::Overdue
        );
        assert_eq!(ReviewState::of(day("2026-03-02"), today), ReviewState::Due);
        assert_eq!(ReviewState::of(day("2026-04-01"), today), ReviewState::Due);
        assert_eq!(
            ReviewState::of(day("2026-04-02"), today),
            ReviewState::Later
        );
        assert_eq!(ReviewState::of(None, today), ReviewState::None);
    }

    #[test]
    fn a_source_is_changed_only_by_a_usable_answer_after_the_chapter_and_its_review() {
        let at = |s: &str| Some(s.parse::<DateTime<Utc>>().unwrap());
        let check = |updated: Option<&str>, error: Option<&str>| SourceCheck {
            url: "u".into(),
            checked_at: "2026-03-01T00:00:00Z".into(),
            error: error.map(Into::into),
            updated_at: updated.map(Into::into),
            notes: vec![],
            last_modified: None,
        };
        let feb = check(Some("2026-02-15T10:00:00+00:00"), None);
        assert_eq!(source_state(None, at("2026-01-10T00:00:00Z")), "unchecked");
        assert_eq!(
            source_state(Some(&feb), at("2026-01-10T00:00:00Z")),
            "changed"
        );
        assert_eq!(
            source_state(Some(&feb), at("2026-02-20T00:00:00Z")),
            "unchanged"
        );
        assert_eq!(
            source_state(Some(&feb), None),
            "unchanged",
            "never released"
        );
        let failing = check(Some("2026-02-15T10:00:00+00:00"), Some("HTTP 500"));
        assert_eq!(
            source_state(Some(&failing), at("2026-01-10T00:00:00Z")),
            "changed",
            "kept"
        );
        assert_eq!(
            source_state(Some(&failing), at("2026-02-20T00:00:00Z")),
            "unreachable"
        );
        assert_eq!(
            source_state(Some(&check(None, Some("timeout"))), None),
            "unreachable"
        );
    }
}
