//! Atom feeds of notices: one entry per release, its content the HTML notice.

use atom_syndication::{
    ContentBuilder, EntryBuilder, FeedBuilder, FixedDateTime, LinkBuilder, PersonBuilder,
};
use chrono::{NaiveTime, TimeZone, Utc};

use super::{Links, Notice};

/// An Atom feed with one entry per notice, newest first. `self_url` is the feed's own
/// address and id. Entry times are the releases' dates (midnight UTC), so the feed is
/// stable for the same releases.
pub fn atom_feed(title: &str, self_url: &str, notices: &[Notice], links: &Links) -> String {
    let when = |n: &Notice| -> FixedDateTime {
        Utc.from_utc_datetime(&n.to.date.and_time(NaiveTime::MIN))
            .fixed_offset()
    };
    let mut sorted: Vec<&Notice> = notices.iter().collect();
    sorted.sort_by(|a, b| b.to.date.cmp(&a.to.date).then(a.manual.cmp(&b.manual)));
    let entries = sorted
        .iter()
        .map(|n| {
            let url = links.release(&n.manual, &n.to.name);
            EntryBuilder::default()
                .id(url.clone())
                .title(n.heading())
                // Atom needs an author; the partnership speaks through its manual.
                .authors(vec![
                    PersonBuilder::default()
                        .name(n.manual_title.clone())
                        .build(),
                ])
                .updated(when(n))
                .published(Some(when(n)))
                .links(vec![
                    LinkBuilder::default().href(url).rel("alternate").build(),
                ])
                .content(Some(
                    ContentBuilder::default()
                        .content_type(Some("html".to_owned()))
                        .value(Some(n.to_html_brief(links)))
                        .build(),
                ))
                .build()
        })
        .collect::<Vec<_>>();
    let updated = sorted
        .first()
        .map(|n| when(n))
        .unwrap_or_else(|| Utc.timestamp_opt(0, 0).unwrap().fixed_offset());
    let feed = FeedBuilder::default()
        .id(self_url)
        .title(title)
        .updated(updated)
        .links(vec![
            LinkBuilder::default().href(self_url).rel("self").build(),
        ])
        .entries(entries)
        .build();
    let mut xml = feed.to_string();
    xml.push('\n');
    xml
}
