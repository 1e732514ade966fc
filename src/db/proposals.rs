//! The review of releases: a proposed release (its name, date, notes and the draft commit
//! it was proposed at), the approvals it gathers, and every event of it — proposed,
//! approved, withdrawn, published — with who and when, kept as evidence for audits. The
//! rules (who may approve, how many approvals a release needs) are the application's.

use std::collections::BTreeMap;

use super::engine::{Conn, OptionalExtension, SqlResult, args};
use chrono::{DateTime, NaiveDate, Utc};

use super::editors::Editor;
use super::{Db, DbError};

/// What happened to a release under review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReleaseEventKind {
    Proposed,
    Approved,
    Withdrawn,
    Published,
}

impl ReleaseEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseEventKind::Proposed => "proposed",
            ReleaseEventKind::Approved => "approved",
            ReleaseEventKind::Withdrawn => "withdrawn",
            ReleaseEventKind::Published => "published",
        }
    }

    fn parse(text: &str) -> ReleaseEventKind {
        match text {
            "proposed" => ReleaseEventKind::Proposed,
            "approved" => ReleaseEventKind::Approved,
            "withdrawn" => ReleaseEventKind::Withdrawn,
            _ => ReleaseEventKind::Published,
        }
    }
}

/// One event of a release's review.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReleaseEvent {
    pub manual: String,
    pub release: String,
    pub kind: ReleaseEventKind,
    pub editor_id: Option<i64>,
    pub editor_name: String,
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
}

/// A release proposed for publishing, while it is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub id: i64,
    pub manual: String,
    pub name: String,
    /// `None`: dated the day it is published.
    pub date: Option<NaiveDate>,
    /// Chapter id -> editor note.
    pub notes: BTreeMap<String, String>,
    /// The draft commit it was proposed at: what the approvers saw.
    pub base: String,
    pub proposed_by: (i64, String),
    pub proposed_at: DateTime<Utc>,
    /// Who approved it, and when, in order.
    pub approvals: Vec<(i64, String, DateTime<Utc>)>,
}

/// Who proposed, approved and published one release (for the releases API and page).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReleaseRecord {
    pub proposed_by: Option<String>,
    pub approved_by: Vec<String>,
    pub published_by: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProposalError {
    #[error("release {name} of {manual} is proposed already; withdraw it first")]
    AlreadyOpen { manual: String, name: String },
    #[error("this proposal is no longer open")]
    NotOpen,
    #[error("{0} has approved this proposal already")]
    AlreadyApproved(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A release to propose.
#[derive(Debug, Clone)]
pub struct NewProposal<'a> {
    pub manual: &'a str,
    pub name: &'a str,
    pub date: Option<NaiveDate>,
    pub notes: &'a BTreeMap<String, String>,
    pub base: &'a str,
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339()
}

fn parse_stamp(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn event(
    tx: &Conn<'_>,
    (manual, release, proposal): (&str, &str, Option<i64>),
    kind: ReleaseEventKind,
    by: Option<&Editor>,
    at: DateTime<Utc>,
    reason: Option<&str>,
) -> SqlResult<usize> {
    tx.execute(
        "INSERT INTO release_events (manual, release, proposal_id, kind, editor_id, editor_name, at, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        args![
            manual,
            release,
            proposal,
            kind.as_str(),
            by.map(|e| e.id),
            by.map_or("chapterhouse", |e| e.name.as_str()),
            stamp(at),
            reason
        ],
    )
}

impl Db {
    /// The manual's open proposal, with its approvals.
    pub fn open_proposal(&self, manual: &str) -> Result<Option<Proposal>, DbError> {
        let conn = self.conn()?;
        let row = conn
            .query_row(
                "SELECT p.id, p.name, p.date, p.notes, p.base, p.proposed_by, e.name, p.proposed_at
                 FROM proposals p JOIN editors e ON e.id = p.proposed_by
                 WHERE p.manual = $1 AND p.state = 'open'",
                args![manual],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, Option<String>>(2)?,
                        row.get::<_, String>(3)?,
                        row.get::<_, String>(4)?,
                        (row.get::<_, i64>(5)?, row.get::<_, String>(6)?),
                        row.get::<_, String>(7)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let Some((id, name, date, notes, base, proposed_by, proposed_at)) = row else {
            return Ok(None);
        };
        let approvals = conn
            .query_map(
                "SELECT editor_id, editor_name, at FROM release_events
                 WHERE proposal_id = $1 AND kind = 'approved' ORDER BY id",
                args![id],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        parse_stamp(&row.get::<_, String>(2)?),
                    ))
                },
            )
            .map_err(|e| self.err(e))?;
        Ok(Some(Proposal {
            id,
            manual: manual.to_owned(),
            name,
            date: date.and_then(|d| d.parse().ok()),
            notes: serde_json::from_str(&notes).unwrap_or_default(),
            base,
            proposed_by,
            proposed_at: parse_stamp(&proposed_at),
            approvals,
        }))
    }

    /// Records a proposal; refused while another of the manual's is open.
    pub fn propose(&self, new: &NewProposal<'_>, by: &Editor) -> Result<i64, ProposalError> {
        let now = self.clock.now();
        let notes = serde_json::to_string(new.notes).expect("notes serialise");
        let id = self.write(|tx| {
            let open: Option<String> = tx
                .query_row(
                    "SELECT name FROM proposals WHERE manual = $1 AND state = 'open'",
                    args![new.manual],
                    |row| row.get(0),
                )
                .optional()?;
            if let Some(name) = open {
                return Ok(Err(name));
            }
            let id: i64 = tx.query_row(
                "INSERT INTO proposals (manual, name, date, notes, base, proposed_by, proposed_at, state)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'open') RETURNING id",
                args![new.manual, new.name, new.date.map(|d| d.to_string()), &notes, new.base, by.id, stamp(now)],
                |r| r.get(0),
            )?;
            event(tx, (new.manual, new.name, Some(id)), ReleaseEventKind::Proposed, Some(by), now, None)?;
            Ok(Ok(id))
        })?;
        id.map_err(|name| ProposalError::AlreadyOpen {
            manual: new.manual.to_owned(),
            name,
        })
    }

    /// Records an approval of an open proposal.
    pub fn approve(&self, proposal: &Proposal, by: &Editor) -> Result<(), ProposalError> {
        let now = self.clock.now();
        self.write(|tx| {
            if !is_open(tx, proposal.id)? {
                return Ok(Err(ProposalError::NotOpen));
            }
            let already = tx
                .query_row(
                    "SELECT 1 FROM release_events WHERE proposal_id = $1 AND editor_id = $2 AND kind = 'approved'",
                    args![proposal.id, by.id],
                    |_| Ok(()),
                )
                .optional()?;
            if already.is_some() {
                return Ok(Err(ProposalError::AlreadyApproved(by.name.clone())));
            }
            let key = (proposal.manual.as_str(), proposal.name.as_str(), Some(proposal.id));
            event(tx, key, ReleaseEventKind::Approved, Some(by), now, None)?;
            Ok(Ok(()))
        })?
    }

    /// Withdraws a proposal, by an editor or (`None`) by chapterhouse itself; false when
    /// it was no longer open.
    pub fn withdraw(
        &self,
        proposal: &Proposal,
        by: Option<&Editor>,
        reason: &str,
    ) -> Result<bool, DbError> {
        self.close(
            proposal,
            "withdrawn",
            ReleaseEventKind::Withdrawn,
            by,
            Some(reason),
        )
    }

    /// Records that a release was published, closing its proposal when there was one.
    pub fn record_published(
        &self,
        manual: &str,
        release: &str,
        proposal: Option<&Proposal>,
        by: &Editor,
    ) -> Result<(), DbError> {
        match proposal {
            Some(p) => {
                self.close(p, "published", ReleaseEventKind::Published, Some(by), None)?;
            }
            None => {
                let now = self.clock.now();
                self.write(|tx| {
                    event(
                        tx,
                        (manual, release, None),
                        ReleaseEventKind::Published,
                        Some(by),
                        now,
                        None,
                    )
                })?;
            }
        }
        Ok(())
    }

    fn close(
        &self,
        proposal: &Proposal,
        state: &str,
        kind: ReleaseEventKind,
        by: Option<&Editor>,
        reason: Option<&str>,
    ) -> Result<bool, DbError> {
        let now = self.clock.now();
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE proposals SET state = $2 WHERE id = $1 AND state = 'open'",
                args![proposal.id, state],
            )?;
            if changed == 0 {
                return Ok(false);
            }
            let key = (
                proposal.manual.as_str(),
                proposal.name.as_str(),
                Some(proposal.id),
            );
            event(tx, key, kind, by, now, reason)?;
            Ok(true)
        })
    }

    /// Every review event of a manual's releases, newest first (at most `limit`).
    pub fn release_events(&self, manual: &str, limit: usize) -> Result<Vec<ReleaseEvent>, DbError> {
        let conn = self.conn()?;
        conn.query_map(
            "SELECT release, kind, editor_id, editor_name, at, reason FROM release_events
                 WHERE manual = $1 ORDER BY id DESC LIMIT $2",
            args![manual, limit as i64],
            |row| {
                Ok(ReleaseEvent {
                    manual: manual.to_owned(),
                    release: row.get(0)?,
                    kind: ReleaseEventKind::parse(&row.get::<_, String>(1)?),
                    editor_id: row.get(2)?,
                    editor_name: row.get(3)?,
                    at: parse_stamp(&row.get::<_, String>(4)?),
                    reason: row.get(5)?,
                })
            },
        )
        .map_err(|e| self.err(e))
    }

    /// Who proposed, approved and published each release that was published through the
    /// review, by release name. Approvals of withdrawn proposals do not count.
    pub fn release_records(
        &self,
        manual: &str,
    ) -> Result<BTreeMap<String, ReleaseRecord>, DbError> {
        let conn = self.conn()?;
        let rows = conn
            .query_map(
                "SELECT ev.release, ev.kind, ev.editor_name FROM release_events ev
                 LEFT JOIN proposals p ON p.id = ev.proposal_id
                 WHERE ev.manual = $1 AND ev.kind != 'withdrawn'
                   AND (ev.proposal_id IS NULL OR p.state = 'published')
                 ORDER BY ev.id",
                args![manual],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                    ))
                },
            )
            .map_err(|e| self.err(e))?;
        let mut records: BTreeMap<String, ReleaseRecord> = BTreeMap::new();
        for (release, kind, name) in rows {
            let record = records.entry(release).or_default();
            match ReleaseEventKind::parse(&kind) {
                ReleaseEventKind::Proposed => record.proposed_by = Some(name),
                ReleaseEventKind::Approved => record.approved_by.push(name),
                ReleaseEventKind::Published => record.published_by = Some(name),
                ReleaseEventKind::Withdrawn => {}
            }
        }
        Ok(records)
    }
}

fn is_open(tx: &Conn<'_>, id: i64) -> SqlResult<bool> {
    tx.query_row(
        "SELECT 1 FROM proposals WHERE id = $1 AND state = 'open'",
        args![id],
        |_| Ok(()),
    )
    .optional()
    .map(|found| found.is_some())
}
