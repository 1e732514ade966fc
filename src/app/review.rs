//! The review of a release before it goes live: an editor proposes the draft as a named
//! release with its notes; publishers other than the proposer approve it; once
//! `publishing.approvals_required` approvals are in, a publisher publishes exactly what
//! was proposed. Any change to the draft after a proposal withdraws it, so everyone
//! approves what is published. Every step is recorded (who, when) in the database.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::{AppError, Chapterhouse};
use crate::content::{ChapterId, ManualId, ReleaseName};
use crate::db::{DbError, Editor, NewProposal, Proposal, ProposalError, ReleaseEvent, Role};
use crate::notice::Notice;
use crate::store::{Release, Revision};

/// A release as an editor plans it: its name, date (none: the day it is published) and
/// the notes per chapter.
#[derive(Debug, Clone)]
pub struct ReleasePlan {
    pub name: ReleaseName,
    pub date: Option<NaiveDate>,
    pub notes: BTreeMap<ChapterId, String>,
}

/// Why a step of the review was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// The editor's role or part in the proposal does not allow it.
    #[error("{0}")]
    Forbidden(String),
    /// The state of the review does not allow it (nothing proposed, too few approvals).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<DbError> for ReviewError {
    fn from(e: DbError) -> ReviewError {
        ReviewError::App(e.into())
    }
}

impl From<ProposalError> for ReviewError {
    fn from(e: ProposalError) -> ReviewError {
        match e {
            ProposalError::Db(e) => e.into(),
            other => ReviewError::Conflict(other.to_string()),
        }
    }
}

/// Where a manual's next release stands.
#[derive(Debug)]
pub struct Review {
    /// What the draft would publish, against the latest release.
    pub notice: Notice,
    /// The draft's commit.
    pub head: Revision,
    pub proposal: Option<Proposal>,
    pub approvals_required: u32,
    /// The manual's review events, newest first.
    pub events: Vec<ReleaseEvent>,
}

impl Review {
    /// True when the open proposal has the approvals it needs.
    pub fn approved(&self) -> bool {
        self.proposal
            .as_ref()
            .is_some_and(|p| p.approvals.len() >= self.approvals_required as usize)
    }
}

/// Review events shown with a manual's review.
const EVENTS_SHOWN: usize = 200;

impl Chapterhouse {
    /// The draft's notice and the state of its review.
    pub fn review(&self, manual: &ManualId) -> Result<Review, AppError> {
        let head = self.draft_head(manual)?;
        let notice = self.draft_notice(manual)?;
        let db = self.db()?;
        Ok(Review {
            notice,
            head,
            proposal: db.open_proposal(manual.as_str())?,
            approvals_required: self.config.publishing.approvals_required,
            events: db.release_events(manual.as_str(), EVENTS_SHOWN)?,
        })
    }

    /// Proposes the draft as release `plan`: checked as publishing would check it, then
    /// recorded with the draft's commit. Returns the proposal and the publishers to ask.
    pub fn propose_release(
        &self,
        manual: &ManualId,
        plan: &ReleasePlan,
        by: &Editor,
    ) -> Result<(Proposal, Vec<Editor>), ReviewError> {
        let _turn = self.write_turn()?;
        let head = self.draft_head(manual)?;
        self.check_release_plan(manual, &head, &plan.name, plan.date, &plan.notes)?;
        let db = self.db()?;
        let notes: BTreeMap<String, String> = plan
            .notes
            .iter()
            .map(|(id, note)| (id.to_string(), note.clone()))
            .collect();
        db.propose(
            &NewProposal {
                manual: manual.as_str(),
                name: plan.name.as_str(),
                date: plan.date,
                notes: &notes,
                base: head.as_str(),
            },
            by,
        )?;
        let proposal = db
            .open_proposal(manual.as_str())?
            .ok_or_else(|| ReviewError::Conflict("the proposal was withdrawn at once".into()))?;
        let reviewers = db
            .editors()
            .map_err(|e| ReviewError::Conflict(e.to_string()))?
            .into_iter()
            .filter(|e| e.role == Role::Publisher && e.id != by.id)
            .collect();
        Ok((proposal, reviewers))
    }

    /// Approves the manual's open proposal.
    pub fn approve_release(&self, manual: &ManualId, by: &Editor) -> Result<(), ReviewError> {
        let _turn = self.write_turn()?;
        let proposal = self.current_proposal(manual)?;
        if by.role < Role::Publisher {
            return Err(ReviewError::Forbidden(format!(
                "approving a release needs the publisher role; {} is an editor",
                by.name
            )));
        }
        if proposal.proposed_by.0 == by.id {
            return Err(ReviewError::Forbidden(
                "nobody approves their own proposal: another publisher must approve it".into(),
            ));
        }
        self.db()?.approve(&proposal, by)?;
        Ok(())
    }

    /// Withdraws the manual's open proposal: only the proposer may.
    pub fn withdraw_release(&self, manual: &ManualId, by: &Editor) -> Result<(), ReviewError> {
        let _turn = self.write_turn()?;
        let proposal = self.current_proposal(manual)?;
        if proposal.proposed_by.0 != by.id {
            return Err(ReviewError::Forbidden(format!(
                "only {}, who proposed it, can withdraw this proposal",
                proposal.proposed_by.1
            )));
        }
        self.db()?
            .withdraw(&proposal, Some(by), "withdrawn by the proposer")?;
        Ok(())
    }

    /// Publishes the manual's next release. With a proposal open: the proposal, once it
    /// has its approvals. With none: `direct`, when no approvals are required.
    pub fn publish_reviewed(
        &self,
        manual: &ManualId,
        direct: Option<&ReleasePlan>,
        by: &Editor,
    ) -> Result<Release, ReviewError> {
        if by.role < Role::Publisher {
            return Err(ReviewError::Forbidden(format!(
                "publishing a release needs the publisher role; {} is an editor",
                by.name
            )));
        }
        let required = self.config.publishing.approvals_required as usize;
        let _turn = self.write_turn()?;
        let db = self.db()?;
        let proposal = db.open_proposal(manual.as_str())?;
        let (plan, expect) = match (&proposal, direct) {
            (Some(p), _) => {
                if p.approvals.len() < required {
                    return Err(ReviewError::Conflict(format!(
                        "release {} has {} of the {required} approvals it needs",
                        p.name,
                        p.approvals.len()
                    )));
                }
                (plan_of(p)?, Some(base_of(p)?))
            }
            (None, Some(plan)) if required == 0 => (plan.clone(), None),
            (None, _) => {
                return Err(ReviewError::Conflict(format!(
                    "a release is proposed and approved ({required} approval{}) before it is published: propose it first",
                    if required == 1 { "" } else { "s" }
                )));
            }
        };
        let release = self.publish_head(
            manual,
            &plan.name,
            plan.date,
            plan.notes,
            &by.author(),
            expect.as_ref(),
        )?;
        db.record_published(
            manual.as_str(),
            release.name.as_str(),
            proposal.as_ref(),
            by,
        )?;
        Ok(release)
    }

    /// Publishes the draft at once, without review (the JSON API: scripts holding a
    /// publisher's token). Recorded as published by the publisher alone; a proposal open
    /// for the manual is withdrawn, since what it proposed is no longer the draft's next
    /// release.
    pub fn publish_direct(
        &self,
        manual: &ManualId,
        plan: &ReleasePlan,
        by: &Editor,
    ) -> Result<Release, AppError> {
        let _turn = self.write_turn()?;
        let release = self.publish_head(
            manual,
            &plan.name,
            plan.date,
            plan.notes.clone(),
            &by.author(),
            None,
        )?;
        let db = self.db()?;
        db.record_published(manual.as_str(), release.name.as_str(), None, by)?;
        if let Some(open) = db.open_proposal(manual.as_str())? {
            let reason = format!(
                "release {} was published directly by {}",
                release.name, by.name
            );
            db.withdraw(&open, Some(by), &reason)?;
        }
        Ok(release)
    }

    /// The open proposal, still standing on the draft's head; one the draft has moved on
    /// from (a change by another process) is withdrawn here.
    fn current_proposal(&self, manual: &ManualId) -> Result<Proposal, ReviewError> {
        let db = self.db()?;
        let proposal = db
            .open_proposal(manual.as_str())?
            .ok_or_else(|| ReviewError::Conflict(format!("no release of {manual} is proposed")))?;
        if self.manual_changed(manual, &base_of(&proposal)?, &self.draft_head(manual)?)? {
            db.withdraw(&proposal, None, "the draft changed after it was proposed")?;
            return Err(AppError::DraftMoved {
                manual: manual.clone(),
            }
            .into());
        }
        Ok(proposal)
    }

    /// A change to the draft withdraws the manual's open proposal (in the writer's turn).
    /// The change stands even if the record cannot be written; it is logged.
    pub(super) fn withdraw_after_change(&self, manual: &ManualId, change: &str) {
        let withdrawn = self.db().map_err(ReviewError::from).and_then(|db| {
            match db.open_proposal(manual.as_str())? {
                Some(p) => Ok(db.withdraw(&p, None, change)?),
                None => Ok(false),
            }
        });
        match withdrawn {
            Ok(true) => tracing::info!(%manual, change, "proposed release withdrawn by a change"),
            Ok(false) => {}
            Err(e) => tracing::error!(%manual, error = %e, "a proposal could not be withdrawn"),
        }
    }
}

/// The draft commit a proposal was made at.
fn base_of(proposal: &Proposal) -> Result<Revision, AppError> {
    Revision::parse(&proposal.base)
        .map_err(|e| AppError::Config(format!("a recorded proposal is unreadable: {e}")))
}

/// The plan a proposal recorded.
fn plan_of(proposal: &Proposal) -> Result<ReleasePlan, AppError> {
    let invalid =
        |what: String| AppError::Config(format!("a recorded proposal is unreadable: {what}"));
    let mut notes = BTreeMap::new();
    for (id, note) in &proposal.notes {
        let id: ChapterId = id
            .parse()
            .map_err(|e: crate::content::InvalidId| invalid(e.to_string()))?;
        notes.insert(id, note.clone());
    }
    Ok(ReleasePlan {
        name: proposal
            .name
            .parse()
            .map_err(|e: crate::content::InvalidId| invalid(e.to_string()))?,
        date: proposal.date,
        notes,
    })
}
