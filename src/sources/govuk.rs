//! The GOV.UK Content API: `GET <api>/<path>` answers a page's JSON, whose
//! `public_updated_at` is its last major change and `details.change_history` its change
//! notes (`public_timestamp`, `note`).

use serde::Deserialize;

use super::NOTES_KEPT;
use super::fetch::fetch;
use crate::db::SourceAnswer;

/// Longest answer read.
const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// The Content API address of a gov.uk page, or `None` for any other address.
pub fn api_address(api: &str, source: &str) -> Option<String> {
    let rest = source.strip_prefix("https://www.gov.uk/")?;
    let path = rest
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .trim_end_matches('/');
    if path.is_empty() || path.starts_with("api/") {
        return None;
    }
    Some(format!("{api}/{path}"))
}

#[derive(Deserialize)]
struct Page {
    public_updated_at: String,
    #[serde(default)]
    details: Details,
}

#[derive(Deserialize, Default)]
struct Details {
    #[serde(default)]
    change_history: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    public_timestamp: String,
    note: String,
}

/// Reads a Content API answer: its last major change and latest notes.
pub fn read_page(body: &[u8]) -> Result<(String, Vec<String>), String> {
    let page: Page =
        serde_json::from_slice(body).map_err(|e| format!("not the Content API's JSON: {e}"))?;
    let updated = chrono::DateTime::parse_from_rfc3339(&page.public_updated_at).map_err(|_| {
        format!(
            "public_updated_at {:?} is not a time",
            page.public_updated_at.chars().take(40).collect::<String>()
        )
    })?;
    let mut changes: Vec<(chrono::DateTime<chrono::FixedOffset>, String)> = page
        .details
        .change_history
        .into_iter()
        .filter_map(|c| {
            let at = chrono::DateTime::parse_from_rfc3339(&c.public_timestamp).ok()?;
            let note: String = c.note.split_whitespace().collect::<Vec<_>>().join(" ");
            (!note.is_empty()).then_some((at, note.chars().take(500).collect()))
        })
        .collect();
    changes.sort_by_key(|c| std::cmp::Reverse(c.0));
    let notes = changes
        .into_iter()
        .take(NOTES_KEPT)
        .map(|(at, note)| format!("{}: {note}", at.date_naive()))
        .collect();
    Ok((updated.to_utc().to_rfc3339(), notes))
}

/// Asks the API for one page.
pub async fn ask(client: &reqwest::Client, api: &str, last_modified: Option<&str>) -> SourceAnswer {
    let fetched = match fetch(
        client,
        api,
        "application/json",
        last_modified,
        MAX_ANSWER_BYTES,
        |_| false,
    )
    .await
    {
        Ok(f) => f,
        Err(answer) => return answer,
    };
    match read_page(&fetched.body) {
        Ok((updated_at, notes)) => SourceAnswer::Page {
            updated_at,
            notes,
            last_modified: fetched.last_modified,
        },
        Err(reason) => SourceAnswer::Failed(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_gov_uk_pages_have_an_api_address() {
        let api = "https://www.gov.uk/api/content";
        assert_eq!(
            api_address(
                api,
                "https://www.gov.uk/government/publications/working-together?x=1#y"
            )
            .as_deref(),
            Some("https://www.gov.uk/api/content/government/publications/working-together")
        );
        for other in [
            "https://www.legislation.gov.uk/ukpga/1989/41",
            "http://www.gov.uk/guidance/x",
            "https://www.gov.uk/",
            "https://www.gov.uk/api/content/x",
            "https://www.gov.uk.example.org/x",
        ] {
            assert_eq!(api_address(api, other), None, "{other}");
        }
    }

    #[test]
    fn a_page_gives_its_last_change_and_newest_notes_and_odd_json_is_refused() {
        let body = br#"{"public_updated_at": "2026-02-15T10:00:00.000+00:00",
            "details": {"change_history": [
                {"public_timestamp": "2024-12-01T09:00:00Z", "note": "First published."},
                {"public_timestamp": "2026-02-15T10:00:00Z", "note": "Chapter 3   revised."},
                {"public_timestamp": "2025-06-01T09:00:00Z", "note": "Annex updated."},
                {"public_timestamp": "2025-01-01T09:00:00Z", "note": "Typo."}]}}"#;
        let (updated, notes) = read_page(body).unwrap();
        assert_eq!(updated, "2026-02-15T10:00:00+00:00");
        assert_eq!(
            notes,
            [
                "2026-02-15: Chapter 3 revised.",
                "2025-06-01: Annex updated.",
                "2025-01-01: Typo."
            ]
        );
        assert_eq!(
            read_page(br#"{"public_updated_at": "2026-01-01T00:00:00Z"}"#)
                .unwrap()
                .1
                .len(),
            0
        );
        for bad in [
            &b"not json"[..],
            br#"{"title": "x"}"#,
            br#"{"public_updated_at": "yesterday"}"#,
            b"[]",
        ] {
            assert!(read_page(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
