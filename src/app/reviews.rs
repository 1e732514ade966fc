//! Review tracking (SPEC §6 `reviews`): each chapter of a manual's draft with its owner,
//! its review date and what that date makes it today — overdue, due within 30 days,
//! later, or no date — and the national guidance it relies on.
//!
//! The draft is what counts: a review recorded by changing `review_due`, `owner` or
//! `sources` takes effect as soon as it is saved, before any release.

use chrono::NaiveDate;
use serde::Serialize;

use super::{AppError, Chapterhouse};
use crate::content::{ChapterId, ManualId};
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

    /// The review report of a manual's draft, as of today.
    pub fn reviews(&self, manual: &ManualId) -> Result<ReviewReport, AppError> {
        let head = self.draft_head(manual)?;
        let contents = self.contents_at_revision(manual, &head)?;
        let today = self.today();
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
                    .map(|url| SourceReview {
                        url: url.clone(),
                        state: "unchecked",
                        updated_at: None,
                        notes: Vec::new(),
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
}
