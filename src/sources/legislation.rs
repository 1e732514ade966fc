//! legislation.gov.uk: `GET <base>/<path>/data.xml` answers an item's XML, which opens
//! with its metadata (`ukm:Metadata`): `dc:modified` is the day its revised text last
//! changed, `dc:title` its title. Only the metadata is read; the rest of the answer (a
//! whole Act can run to megabytes) is never fetched.

use std::borrow::Cow;

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::{Namespace, ResolveResult};

use super::fetch::fetch;
use crate::db::SourceAnswer;

/// Longest start of an answer read in search of the end of its metadata.
const MAX_METADATA_BYTES: usize = 1024 * 1024;

const DC: Namespace<'static> = Namespace(b"http://purl.org/dc/elements/1.1/");
const UKM: Namespace<'static> = Namespace(b"http://www.legislation.gov.uk/namespaces/metadata");

/// The `data.xml` address of a legislation.gov.uk item, or `None` for any other address.
pub fn api_address(base: &str, source: &str) -> Option<String> {
    let rest = source.strip_prefix("https://www.legislation.gov.uk/")?;
    let path = rest
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .trim_end_matches('/');
    let path = path.strip_suffix("/data.xml").unwrap_or(path);
    if path.is_empty()
        || path
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return None;
    }
    Some(format!("{base}/{path}/data.xml"))
}

/// True once the body read so far holds the end of the metadata element.
fn metadata_closed(body: &[u8]) -> bool {
    body.windows(b"Metadata>".len())
        .enumerate()
        .any(|(at, w)| w == b"Metadata>" && closes(&body[..at]))
}

/// True when `before` ends with `</` and an optional namespace prefix (`</ukm:`).
fn closes(before: &[u8]) -> bool {
    let name = before
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
        .count();
    let head = &before[..before.len() - name];
    let prefix = &before[before.len() - name..];
    head.ends_with(b"</") && (prefix.is_empty() || prefix.ends_with(b":"))
}

/// Reads an item's metadata: the day its revised text last changed and its title.
pub fn read_metadata(body: &[u8]) -> Result<(String, String), String> {
    let mut reader = NsReader::from_reader(body);
    let mut in_metadata = false;
    let mut field: Option<&'static str> = None;
    let (mut modified, mut title) = (String::new(), String::new());
    loop {
        let event = reader
            .read_resolved_event()
            .map_err(|e| format!("not legislation.gov.uk's XML: {e}"))?;
        match event {
            (ResolveResult::Bound(UKM), Event::Start(e))
                if e.local_name().as_ref() == b"Metadata" =>
            {
                in_metadata = true;
            }
            (ResolveResult::Bound(UKM), Event::End(e))
                if e.local_name().as_ref() == b"Metadata" =>
            {
                break;
            }
            (ResolveResult::Bound(DC), Event::Start(e)) if in_metadata => {
                field = match e.local_name().as_ref() {
                    b"modified" => Some("modified"),
                    b"title" => Some("title"),
                    _ => None,
                };
            }
            (_, Event::End(_)) => field = None,
            (_, Event::Text(t)) => push(field, &mut modified, &mut title, t.decode().ok()),
            (_, Event::CData(t)) => push(field, &mut modified, &mut title, t.decode().ok()),
            (_, Event::GeneralRef(r)) => {
                let text = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(Cow::Owned(c.to_string())),
                    _ => r
                        .decode()
                        .ok()
                        .and_then(|name| quick_xml::escape::resolve_predefined_entity(&name))
                        .map(Cow::Borrowed),
                };
                push(field, &mut modified, &mut title, text);
            }
            (_, Event::Eof) => break,
            _ => {}
        }
    }
    if !in_metadata {
        return Err("no ukm:Metadata in the answer".into());
    }
    let day = chrono::NaiveDate::parse_from_str(modified.trim(), "%Y-%m-%d").map_err(|_| {
        format!(
            "dc:modified {:?} is not a date",
            modified.trim().chars().take(40).collect::<String>()
        )
    })?;
    let updated_at = day.and_time(chrono::NaiveTime::MIN).and_utc().to_rfc3339();
    let title: String = title.split_whitespace().collect::<Vec<_>>().join(" ");
    Ok((updated_at, title.chars().take(300).collect()))
}

fn push(
    field: Option<&str>,
    modified: &mut String,
    title: &mut String,
    text: Option<Cow<'_, str>>,
) {
    if let Some(text) = text {
        match field {
            Some("modified") => modified.push_str(&text),
            Some("title") => title.push_str(&text),
            _ => {}
        }
    }
}

/// Asks legislation.gov.uk for one item's metadata.
pub async fn ask(client: &reqwest::Client, url: &str, last_modified: Option<&str>) -> SourceAnswer {
    let fetched = match fetch(
        client,
        url,
        "application/xml",
        last_modified,
        MAX_METADATA_BYTES,
        metadata_closed,
    )
    .await
    {
        Ok(f) => f,
        Err(answer) => return answer,
    };
    match read_metadata(&fetched.body) {
        Ok((updated_at, title)) => {
            let day = &updated_at[..10];
            let what = if title.is_empty() {
                "the item".to_owned()
            } else {
                title
            };
            SourceAnswer::Page {
                notes: vec![format!(
                    "{day}: the revised text of {what} was updated on legislation.gov.uk."
                )],
                updated_at,
                last_modified: fetched.last_modified,
            }
        }
        Err(reason) if fetched.body.len() > MAX_METADATA_BYTES => SourceAnswer::Failed(format!(
            "no metadata in the answer's first bytes ({reason})"
        )),
        Err(reason) => SourceAnswer::Failed(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The opening of an item's `data.xml`, as legislation.gov.uk writes it.
    fn item(modified: &str, title: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<Legislation xmlns="http://www.legislation.gov.uk/namespaces/legislation" DocumentURI="http://www.legislation.gov.uk/ukpga/1989/41">
<ukm:Metadata xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dct="http://purl.org/dc/terms/" xmlns:ukm="http://www.legislation.gov.uk/namespaces/metadata">
<dc:identifier>http://www.legislation.gov.uk/ukpga/1989/41</dc:identifier>
<dc:title>{title}</dc:title>
<dc:modified>{modified}</dc:modified>
<ukm:PrimaryMetadata><ukm:Year Value="1989"/></ukm:PrimaryMetadata>
</ukm:Metadata>
<Primary><Body><P1group><Title>Section 47</Title></P1group></Body></Primary>
</Legislation>"#
        )
    }

    #[test]
    fn only_legislation_gov_uk_items_have_a_data_address() {
        let base = "https://www.legislation.gov.uk";
        assert_eq!(
            api_address(
                base,
                "https://www.legislation.gov.uk/ukpga/1989/41/section/47?view=plain#x"
            )
            .as_deref(),
            Some("https://www.legislation.gov.uk/ukpga/1989/41/section/47/data.xml")
        );
        assert_eq!(
            api_address(base, "https://www.legislation.gov.uk/ukpga/2005/9/data.xml").as_deref(),
            Some("https://www.legislation.gov.uk/ukpga/2005/9/data.xml")
        );
        for other in [
            "https://www.gov.uk/guidance/x",
            "http://www.legislation.gov.uk/ukpga/1989/41",
            "https://www.legislation.gov.uk/",
            "https://www.legislation.gov.uk/ukpga//41",
            "https://www.legislation.gov.uk/ukpga/../x",
            "https://www.legislation.gov.uk.example.org/ukpga/1989/41",
        ] {
            assert_eq!(api_address(base, other), None, "{other}");
        }
    }

    #[test]
    fn the_metadata_gives_the_day_and_title_and_odd_answers_are_refused() {
        let xml = item("2026-02-20", "Children Act 1989 &amp; more &#8212; revised");
        let (updated, title) = read_metadata(xml.as_bytes()).unwrap();
        assert_eq!(updated, "2026-02-20T00:00:00+00:00");
        assert_eq!(title, "Children Act 1989 & more \u{2014} revised");
        // The metadata is enough: the answer may stop after it.
        let end = xml.find("</ukm:Metadata>").unwrap() + "</ukm:Metadata>".len();
        assert!(metadata_closed(&xml.as_bytes()[..end]));
        assert!(!metadata_closed(&xml.as_bytes()[..end - 1]));
        assert!(!metadata_closed(b"<ukm:Metadata>"));
        assert_eq!(read_metadata(&xml.as_bytes()[..end]).unwrap().0, updated);
        for bad in [
            "not xml at all".to_owned(),
            "{\"json\": true}".to_owned(),
            item("yesterday", "x"),
            item("", "x"),
            // The right names in the wrong namespace are not the metadata.
            xml.replace("http://purl.org/dc/elements/1.1/", "urn:other"),
            xml.replace("http://www.legislation.gov.uk/namespaces/metadata", "urn:other"),
            "<Legislation><ukm:Metadata xmlns:ukm=\"http://www.legislation.gov.uk/namespaces/metadata\"><dc:modified>".to_owned(),
        ] {
            assert!(read_metadata(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
