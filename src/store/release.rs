//! Releases as annotated tags `<manual>/<release>`: what a tag message holds and how it reads.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::Revision;
use crate::content::{ChapterId, ManualId, ReleaseName};

/// A published release of one manual.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Release {
    pub manual: ManualId,
    pub name: ReleaseName,
    /// The date the release comes into force; later than today means scheduled.
    pub date: NaiveDate,
    /// The store revision (commit) the release fixes.
    pub revision: Revision,
    /// Editor notes by chapter id (shared: a release is copied often, its notes never).
    #[schema(value_type = BTreeMap<String, String>)]
    pub notes: std::sync::Arc<BTreeMap<ChapterId, String>>,
    /// Who published it, as `Name <email>`.
    pub publisher: String,
    /// When it was published (seconds since the epoch).
    pub published_at: i64,
}

impl Release {
    /// The tag name in the store.
    pub fn tag_name(manual: &ManualId, name: &ReleaseName) -> String {
        format!("{manual}/{name}")
    }

    /// True when the release is in force on `day` (its date is that day or earlier).
    pub fn in_force_on(&self, day: NaiveDate) -> bool {
        self.date <= day
    }

    /// The release of a manual in force on `day`, from its releases oldest first: the
    /// latest one dated that day or earlier. `None` before the manual's first release.
    pub fn in_force(releases: &[Release], day: NaiveDate) -> Option<&Release> {
        releases.iter().rev().find(|r| r.in_force_on(day))
    }

    /// The releases that have come into force by `day` (oldest first): all but the
    /// scheduled ones.
    pub fn published_by(releases: &[Release], day: NaiveDate) -> &[Release] {
        let scheduled = releases
            .iter()
            .rev()
            .take_while(|r| !r.in_force_on(day))
            .count();
        &releases[..releases.len() - scheduled]
    }

    /// What a reader is shown by default: the release in force on `day`, or the latest
    /// (scheduled) one while none is in force yet.
    pub fn shown_on(releases: &[Release], day: NaiveDate) -> Option<&Release> {
        Release::in_force(releases, day).or_else(|| releases.last())
    }

    /// The release before `release` in a manual's releases, oldest first.
    pub fn previous<'r>(releases: &'r [Release], release: &Release) -> Option<&'r Release> {
        let i = releases.iter().position(|r| r.name == release.name)?;
        i.checked_sub(1).map(|i| &releases[i])
    }
}

/// What a tag message carries beyond its first line, as TOML.
#[derive(Serialize, Deserialize)]
struct TagBody {
    date: toml::value::Datetime,
    #[serde(default)]
    notes: BTreeMap<ChapterId, String>,
}

/// Writes a tag message: a human first line, then `date` and `[notes]` as TOML, so that
/// `git show children/2024-04` reads naturally and the fields parse back exactly.
pub(super) fn tag_message(
    manual: &ManualId,
    name: &ReleaseName,
    date: NaiveDate,
    notes: &BTreeMap<ChapterId, String>,
) -> String {
    let date: toml::value::Datetime = date.to_string().parse().expect("a date is a TOML date");
    let body = toml::to_string(&TagBody {
        date,
        notes: notes.clone(),
    })
    .expect("tag body serialises");
    format!("Release {name} of {manual}\n\n{body}")
}

/// Reads the date and notes back from a tag message.
pub(super) fn parse_tag_message(
    message: &str,
) -> Result<(NaiveDate, BTreeMap<ChapterId, String>), String> {
    let body = message.split_once("\n\n").map_or("", |(_, rest)| rest);
    let parsed: TagBody = toml::from_str(body).map_err(|e| e.message().to_owned())?;
    let date = match (parsed.date.date, parsed.date.time) {
        (Some(d), None) => NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into()),
        _ => None,
    }
    .ok_or("the release date is not a plain date")?;
    Ok((date, parsed.notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_messages_round_trip() {
        let manual: ManualId = "children".parse().unwrap();
        let name: ReleaseName = "2024-04".parse().unwrap();
        let date = NaiveDate::from_ymd_opt(2024, 4, 2).unwrap();
        let mut notes = BTreeMap::new();
        notes.insert("a".parse().unwrap(), "Quote \" and\nnewline".to_owned());
        let message = tag_message(&manual, &name, date, &notes);
        assert!(
            message.starts_with("Release 2024-04 of children\n\ndate = 2024-04-02\n"),
            "{message}"
        );
        assert_eq!(parse_tag_message(&message).unwrap(), (date, notes));
    }

    #[test]
    fn a_tag_without_a_date_is_not_a_release() {
        assert!(parse_tag_message("just a message").is_err());
    }
}
