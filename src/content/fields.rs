//! The front matter's keys (SPEC §2) and the rules for the values that need more than
//! their TOML type: addresses, the owner, the sources, dates.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Deserialize;

/// Every key a chapter's front matter may have, in the order SPEC §2 lists them.
pub const KNOWN_KEYS: &[&str] = &[
    "title",
    "id",
    "kind",
    "url",
    "section",
    "tags",
    "review_due",
    "owner",
    "sources",
];

pub(super) const MAX_URL_CHARS: usize = 2000;
const MAX_OWNER_CHARS: usize = 254;
/// Sources are national guidance a chapter relies on; each is checked with its provider,
/// so a chapter may name a bounded number of them.
pub const MAX_SOURCES: usize = 50;

#[derive(Deserialize)]
pub(super) struct FrontMatter {
    pub title: Option<String>,
    pub id: Option<String>,
    pub kind: Option<String>,
    pub url: Option<String>,
    pub section: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub review_due: Option<toml::value::Datetime>,
    pub owner: Option<String>,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(flatten)]
    pub other: BTreeMap<String, toml::Value>,
}

/// Maps each top-level key of the front matter to its 0-based line (for error messages);
/// a `[table]` header counts as its key.
pub(super) fn find_key_line(front: &str) -> BTreeMap<&str, usize> {
    let mut keys = BTreeMap::new();
    for (n, line) in front.lines().enumerate() {
        let line = line.trim();
        let key = if let Some(table) = line.strip_prefix('[') {
            let name = table.trim_start_matches('[').split([']', '.']).next();
            name.unwrap_or("")
        } else if let Some((key, _)) = line.split_once('=') {
            key.split('.').next().unwrap_or("")
        } else {
            continue;
        };
        keys.entry(key.trim().trim_matches('"')).or_insert(n + 1);
    }
    keys
}

/// Checks a `link` chapter's address: http(s), with a host, one plain line.
pub(super) fn check_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("`url` must start with https:// or http://, not {url:?}"))?;
    check_address("url", url, rest)
}

/// Checks the owner: one email address, as the reminders are sent to it.
pub(super) fn check_owner(owner: &str) -> Result<(), String> {
    let bad = || format!("`owner` must be an email address like lead@example.org, not {owner:?}");
    if owner.is_empty()
        || owner.chars().count() > MAX_OWNER_CHARS
        || owner.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(
                    c,
                    '<' | '>' | '"' | ',' | ';' | '\\' | '(' | ')' | '[' | ']'
                )
        })
    {
        return Err(bad());
    }
    let Some((user, domain)) = owner.split_once('@') else {
        return Err(bad());
    };
    let labels_ok = domain.split('.').count() >= 2 && domain.split('.').all(|l| !l.is_empty());
    if user.is_empty() || domain.contains('@') || !labels_ok {
        return Err(bad());
    }
    Ok(())
}

/// Checks the sources: https addresses of the guidance the chapter relies on.
pub(super) fn check_sources(sources: &[String]) -> Result<(), String> {
    if sources.len() > MAX_SOURCES {
        return Err(format!(
            "`sources` lists {} addresses; a chapter may name at most {MAX_SOURCES}",
            sources.len()
        ));
    }
    for source in sources {
        let rest = source.strip_prefix("https://").ok_or_else(|| {
            format!("each of `sources` must be an https:// address, not {source:?}")
        })?;
        check_address("sources", source, rest)?;
    }
    Ok(())
}

/// The rules every address shares: a host, a bounded length, nothing that could break out
/// of an HTML attribute or a mail header.
fn check_address(key: &str, url: &str, after_scheme: &str) -> Result<(), String> {
    let host = after_scheme.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() {
        return Err(format!("`{key}` {url:?} has no host"));
    }
    if url.chars().count() > MAX_URL_CHARS {
        return Err(format!("`{key}` is longer than {MAX_URL_CHARS} characters"));
    }
    if url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>'))
    {
        return Err(format!(
            "`{key}` may not contain spaces, quotes, angle brackets or control characters"
        ));
    }
    Ok(())
}

/// A TOML value that is a plain date (no time, no offset).
pub(super) fn toml_date(dt: &toml::value::Datetime) -> Option<NaiveDate> {
    match (dt.date, dt.time, dt.offset) {
        (Some(d), None, None) => {
            NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into())
        }
        _ => None,
    }
}
