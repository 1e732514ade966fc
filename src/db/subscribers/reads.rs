//! Read acknowledgements: which releases each subscriber was sent, and the changes they
//! confirmed they have read, by the signed "I have read this change" link of their email.
//! A link is signed for one subscriber, chapter and release and records once; both kinds
//! of row go with the subscriber.

use std::collections::{BTreeMap, HashMap};

use crate::db::engine::{Conn, OptionalExtension, SqlResult, args};

use super::super::Db;
use super::{Subscriber, SubscriberError};

/// A release as a message carried it: its manual and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SentRelease {
    pub manual: String,
    pub release: String,
}

/// One change a subscriber can confirm reading: a chapter of a release's notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change<'a> {
    pub manual: &'a str,
    pub release: &'a str,
    pub chapter: &'a str,
}

/// What a read link found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// The link is good and nothing is recorded yet (or, after [`Db::acknowledge`], this
    /// press recorded it).
    Open(Subscriber),
    /// The link is good and the reading was recorded before, at this time.
    Recorded(Subscriber, String),
    /// The link was never made by us, or its subscription has ended.
    Unknown,
}

/// How many subscribers were sent a release, and how many confirmed reading each of its
/// chapters (chapters nobody confirmed are absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadCounts {
    pub sent: i64,
    pub confirmed: BTreeMap<String, i64>,
}

/// The evidence of one release: who was sent it and when, and who confirmed reading which
/// chapter and when (by email address, in address order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadEvidence {
    pub sent: Vec<(String, String)>,
    /// (email, chapter, read at)
    pub read: Vec<(String, String, String)>,
}

impl Db {
    /// What a read link (its token and change) points at; records nothing.
    pub fn reading(&self, token: &str, change: &Change<'_>) -> Result<Reading, SubscriberError> {
        let Some(subscriber) = self.reader_of(token, change)? else {
            return Ok(Reading::Unknown);
        };
        let conn = self.conn()?;
        Ok(
            match read_at(&conn, subscriber.id, change).map_err(|e| self.err(e))? {
                Some(at) => Reading::Recorded(subscriber, at),
                None => Reading::Open(subscriber),
            },
        )
    }

    /// Records that the link's subscriber has read the change, once: a second press
    /// answers [`Reading::Recorded`] with the first one's time.
    pub fn acknowledge(
        &self,
        token: &str,
        change: &Change<'_>,
    ) -> Result<Reading, SubscriberError> {
        let Some(subscriber) = self.reader_of(token, change)? else {
            return Ok(Reading::Unknown);
        };
        let now = self.now();
        let before = self.write(|tx| {
            let before = read_at(tx, subscriber.id, change)?;
            if before.is_none() {
                tx.execute(
                    "INSERT INTO acknowledgements (subscriber_id, manual, release_name, chapter, read_at)
                     VALUES ($1, $2, $3, $4, $5)",
                    args![subscriber.id, change.manual, change.release, change.chapter, now],
                )?;
            }
            Ok(before)
        })?;
        Ok(match before {
            Some(at) => Reading::Recorded(subscriber, at),
            None => Reading::Open(subscriber),
        })
    }

    /// The subscriber a read token was signed for, when it was signed for this change.
    fn reader_of(
        &self,
        token: &str,
        change: &Change<'_>,
    ) -> Result<Option<Subscriber>, SubscriberError> {
        self.subscriber_signing(token, |key, subscriber, given| {
            key.signs_read(subscriber, change, given)
        })
    }

    /// For each release of a manual that was sent to anyone: how many subscribers were
    /// sent it, and how many confirmed reading at least one of its changes.
    pub fn manual_read_counts(
        &self,
        manual: &str,
    ) -> Result<BTreeMap<String, (i64, i64)>, SubscriberError> {
        let conn = self.conn()?;
        let sent: Vec<(String, i64)> = conn
            .query_map(
                "SELECT release_name, COUNT(*) FROM sent_releases WHERE manual = $1 GROUP BY release_name",
                args![manual],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| self.err(e))?;
        let readers: HashMap<String, i64> = conn
            .query_map(
                "SELECT release_name, COUNT(DISTINCT subscriber_id) FROM acknowledgements
                 WHERE manual = $1 GROUP BY release_name",
                args![manual],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| self.err(e))?
            .into_iter()
            .collect();
        Ok(sent
            .into_iter()
            .map(|(release, n)| {
                let read = readers.get(&release).copied().unwrap_or(0);
                (release, (n, read))
            })
            .collect())
    }

    /// How many subscribers were sent a release, and confirmed reading each chapter.
    pub fn read_counts(&self, manual: &str, release: &str) -> Result<ReadCounts, SubscriberError> {
        let conn = self.conn()?;
        let sent = conn
            .query_row(
                "SELECT COUNT(*) FROM sent_releases WHERE manual = $1 AND release_name = $2",
                args![manual, release],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        let confirmed = conn
            .query_map(
                "SELECT chapter, COUNT(*) FROM acknowledgements WHERE manual = $1 AND release_name = $2
                 GROUP BY chapter",
                args![manual, release],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| self.err(e))?
            .into_iter()
            .collect();
        Ok(ReadCounts { sent, confirmed })
    }

    /// Who was sent a release and who confirmed reading what, for an audit.
    pub fn read_evidence(
        &self,
        manual: &str,
        release: &str,
    ) -> Result<ReadEvidence, SubscriberError> {
        let conn = self.conn()?;
        let sent = conn
            .query_map(
                "SELECT s.email, r.sent_at FROM sent_releases r JOIN subscribers s ON s.id = r.subscriber_id
                 WHERE r.manual = $1 AND r.release_name = $2 ORDER BY s.email",
                args![manual, release],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| self.err(e))?;
        let read = conn
            .query_map(
                "SELECT s.email, a.chapter, a.read_at FROM acknowledgements a JOIN subscribers s ON s.id = a.subscriber_id
                 WHERE a.manual = $1 AND a.release_name = $2 ORDER BY s.email, a.chapter",
                args![manual, release],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(|e| self.err(e))?;
        Ok(ReadEvidence { sent, read })
    }
}

/// When a subscriber confirmed reading a change, if they did.
fn read_at(conn: &Conn<'_>, subscriber: i64, change: &Change<'_>) -> SqlResult<Option<String>> {
    conn.query_row(
        "SELECT read_at FROM acknowledgements
         WHERE subscriber_id = $1 AND manual = $2 AND release_name = $3 AND chapter = $4",
        args![subscriber, change.manual, change.release, change.chapter],
        |r| r.get(0),
    )
    .optional()
}

/// Records, within the ledger's transaction, the releases a message that was sent carried
/// (the first sending of a release to a subscriber is the one kept).
pub(super) fn record_sent(
    conn: &Conn<'_>,
    subscriber: i64,
    period: &str,
    carried: &[SentRelease],
    now: &str,
) -> SqlResult<()> {
    for r in carried {
        conn.execute(
            "INSERT INTO sent_releases (subscriber_id, manual, release_name, period, sent_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            args![
                subscriber,
                r.manual.as_str(),
                r.release.as_str(),
                period,
                now
            ],
        )?;
    }
    Ok(())
}
