//! Who has read what: the change a subscriber's "I have read this change" link names, and,
//! for editors, per release and chapter, how many subscribers were sent it and how many
//! confirmed reading it, with the evidence as CSV for an audit.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::{AppError, Chapterhouse};
use crate::content::ManualId;
use crate::notice::{Entry, Notice};

/// The change a read link names, as its page shows it.
#[derive(Debug, Clone)]
pub struct ChangeToRead {
    /// "Safeguarding Children Procedures — updated in April 2024"
    pub heading: String,
    pub chapter_title: String,
    /// "updated", "new" or "removed".
    pub change: String,
    pub href: String,
    pub diff_href: Option<String>,
}

/// One release's sending and reading, for the editors' list.
#[derive(Debug, Clone)]
pub struct ReleaseReads {
    pub name: String,
    pub date: NaiveDate,
    pub sent: i64,
    /// Subscribers who confirmed reading at least one of its changes.
    pub readers: i64,
}

/// One chapter of a release's notice and how many confirmed reading its change.
#[derive(Debug, Clone)]
pub struct ChapterReads {
    pub id: String,
    pub title: String,
    /// The chapter as the release has it.
    pub href: String,
    pub change: &'static str,
    pub confirmed: i64,
}

/// A release's notice with its sending and reading, chapter by chapter.
#[derive(Debug, Clone)]
pub struct NoticeReads {
    pub heading: String,
    pub sent: i64,
    /// A notice too long to list in emails (see [`Notice::is_long`]) carried no read links.
    pub long: bool,
    pub chapters: Vec<ChapterReads>,
}

/// The header of [`Chapterhouse::read_evidence_csv`].
const CSV_HEADER: [&str; 6] = ["email", "chapter", "title", "change", "sent_at", "read_at"];

impl Chapterhouse {
    /// The change a read link names: a chapter of a release's notice.
    pub fn change_to_read(
        &self,
        manual: &str,
        release: &str,
        chapter: &str,
    ) -> Result<ChangeToRead, AppError> {
        let (manual, notice) = self.notice_of(manual, release)?;
        let unknown = || AppError::UnknownChapter {
            manual: manual.clone(),
            id: chapter.chars().take(80).collect(),
            release: notice.to.name.clone(),
        };
        if notice.is_long() {
            return Err(unknown());
        }
        listed(&notice, self)
            .into_iter()
            .find(|(_, e)| e.id.as_str() == chapter)
            .map(|(change, e)| ChangeToRead {
                heading: notice.heading(),
                chapter_title: e.title,
                change: short(change),
                href: e.href,
                diff_href: e.diff_href,
            })
            .ok_or_else(unknown)
    }

    /// Every release of a manual, latest first, with how many subscribers were sent it and
    /// how many confirmed reading any of its changes.
    pub fn release_reads(&self, manual: &ManualId) -> Result<Vec<ReleaseReads>, AppError> {
        let counts = self.db()?.manual_read_counts(manual.as_str())?;
        let mut out: Vec<ReleaseReads> = self
            .releases(manual)?
            .into_iter()
            .map(|r| {
                let (sent, readers) = counts.get(r.name.as_str()).copied().unwrap_or((0, 0));
                ReleaseReads {
                    name: r.name.to_string(),
                    date: r.date,
                    sent,
                    readers,
                }
            })
            .collect();
        out.reverse();
        Ok(out)
    }

    /// One release's notice, chapter by chapter, with how many confirmed reading each.
    pub fn notice_reads(&self, manual: &str, release: &str) -> Result<NoticeReads, AppError> {
        let (manual, notice) = self.notice_of(manual, release)?;
        let counts = self
            .db()?
            .read_counts(manual.as_str(), notice.to.name.as_str())?;
        let chapters = if notice.is_long() {
            Vec::new()
        } else {
            listed(&notice, self)
                .into_iter()
                .map(|(change, e)| ChapterReads {
                    confirmed: counts.confirmed.get(e.id.as_str()).copied().unwrap_or(0),
                    id: e.id.to_string(),
                    title: e.title,
                    href: e.href,
                    change,
                })
                .collect()
        };
        Ok(NoticeReads {
            heading: notice.heading(),
            sent: counts.sent,
            long: notice.is_long(),
            chapters,
        })
    }

    /// The evidence of a release as CSV: a row for each subscriber sent it and each
    /// chapter of its notice, with when it was sent and when they confirmed reading it
    /// (empty when they have not). A notice too long to list has one row per subscriber.
    pub fn read_evidence_csv(&self, manual: &str, release: &str) -> Result<Vec<u8>, AppError> {
        let (manual, notice) = self.notice_of(manual, release)?;
        let evidence = self
            .db()?
            .read_evidence(manual.as_str(), notice.to.name.as_str())?;
        let chapters = if notice.is_long() {
            vec![("", String::new(), String::new())]
        } else {
            changes(&notice, self)
        };
        let read: BTreeMap<(&str, &str), &str> = evidence
            .read
            .iter()
            .map(|(email, chapter, at)| ((email.as_str(), chapter.as_str()), at.as_str()))
            .collect();
        let mut out = csv::Writer::from_writer(Vec::new());
        let failed = |e: csv::Error| AppError::Refused(format!("writing the CSV: {e}"));
        out.write_record(CSV_HEADER).map_err(failed)?;
        let mut sent_to = BTreeSet::new();
        for (email, sent_at) in &evidence.sent {
            sent_to.insert(email.as_str());
            for (change, id, title) in &chapters {
                let read_at = read.get(&(email.as_str(), id.as_str())).copied();
                out.write_record([
                    cell(email),
                    cell(id),
                    cell(title),
                    short(change),
                    cell(sent_at),
                    cell(read_at.unwrap_or_default()),
                ])
                .map_err(failed)?;
            }
        }
        // Readings by subscribers with no record of the sending (sent before such records
        // were kept) are evidence too.
        let titles: BTreeMap<&str, (&str, &str)> = chapters
            .iter()
            .map(|(change, id, title)| (id.as_str(), (*change, title.as_str())))
            .collect();
        for (email, id, read_at) in &evidence.read {
            if !sent_to.contains(email.as_str()) {
                let (change, title) = titles.get(id.as_str()).copied().unwrap_or_default();
                out.write_record([
                    cell(email),
                    cell(id),
                    cell(title),
                    short(change),
                    String::new(),
                    cell(read_at),
                ])
                .map_err(failed)?;
            }
        }
        out.into_inner()
            .map_err(|e| AppError::Refused(format!("writing the CSV: {e}")))
    }

    /// A manual and the notice of one of its releases, both named by a reader.
    fn notice_of(
        &self,
        manual: &str,
        release: &str,
    ) -> Result<(ManualId, std::sync::Arc<Notice>), AppError> {
        let manual: ManualId = manual
            .parse()
            .map_err(|_| AppError::UnknownManual(manual.chars().take(80).collect()))?;
        let release = self.resolve_release(&manual, None, Some(release))?;
        let notice = self.release_notice(&manual, &release)?;
        Ok((manual, notice))
    }
}

/// The chapters a notice reports, in its order, each with its group's label.
fn listed(notice: &Notice, app: &Chapterhouse) -> Vec<(&'static str, Entry)> {
    notice
        .entries(&app.links())
        .into_iter()
        .flat_map(|(change, entries)| entries.into_iter().map(move |e| (change, e)))
        .collect()
}

/// The chapters a notice reports, in its order: (change, id, title).
fn changes(notice: &Notice, app: &Chapterhouse) -> Vec<(&'static str, String, String)> {
    listed(notice, app)
        .into_iter()
        .map(|(change, e)| (change, e.id.to_string(), e.title))
        .collect()
}

/// "updated", "new" or "removed", from a notice's group label ("Updated chapters").
fn short(change: &str) -> String {
    change.split(' ').next().unwrap_or_default().to_lowercase()
}

/// A CSV cell that a spreadsheet will not read as a formula: text starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return is written after a `'`.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_that_a_spreadsheet_would_run_are_quoted() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("-2"), "'-2");
        assert_eq!(cell("Section 47 Enquiries"), "Section 47 Enquiries");
        assert_eq!(cell(""), "");
    }
}
