//! Composing digests (pure): a run's notices and subscribers in, one letter per subscriber
//! out. Subscribers who follow the same manuals share one rendering of their notices.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::content::ManualId;
use crate::db::{Change, SentRelease, Subscriber, TokenKey};
use crate::mail::{Letter, two_parts};
use crate::notice::{Entry, Links, Notice};
use crate::tokens::Token;

/// A notice as an email shows it.
struct NoticeView {
    heading: String,
    underline: String,
    groups: Vec<(&'static str, Vec<Entry>)>,
    /// For a notice too long to list (a big manual's first release): its counts.
    brief: Option<String>,
    url: String,
    manual: String,
    release: String,
}

impl NoticeView {
    fn of(notice: &Notice, links: &Links) -> NoticeView {
        let heading = notice.heading();
        NoticeView {
            underline: "=".repeat(heading.chars().count()),
            heading,
            groups: if notice.is_long() {
                Vec::new()
            } else {
                notice
                    .entries(links)
                    .into_iter()
                    .filter(|(_, entries)| !entries.is_empty())
                    .collect()
            },
            brief: notice.is_long().then(|| format!("{}.", notice.counts())),
            url: links.release(&notice.manual, &notice.to.name),
            manual: notice.manual.to_string(),
            release: notice.to.name.to_string(),
        }
    }
}

/// What both parts of one subscriber's digest show.
struct DigestParts<'a> {
    subject: &'a str,
    intro: &'a str,
    notices: &'a [NoticeView],
    email: &'a str,
    following: &'a str,
    manage_url: &'a str,
    unsubscribe_url: &'a str,
    subscriber: &'a Subscriber,
    token_key: &'a TokenKey,
    links: &'a Links,
}

impl DigestParts<'_> {
    /// The subscriber's "I have read this change" link for a chapter of a notice: signed
    /// for them, the chapter and the release; it opens a page with one button.
    fn read_url(&self, notice: &NoticeView, entry: &Entry) -> String {
        let change = Change {
            manual: &notice.manual,
            release: &notice.release,
            chapter: entry.id.as_str(),
        };
        let token = self.token_key.read_token(self.subscriber, &change);
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("manual", change.manual)
            .append_pair("release", change.release)
            .append_pair("chapter", change.chapter)
            .append_pair("token", token.as_str())
            .finish();
        self.links.page(&format!("/acknowledge?{query}"))
    }
}

two_parts!(DigestParts, "email/digest.txt", "email/digest.html");

/// The notices one group of subscribers (those following the same manuals) receives.
struct Bundle {
    notices: Vec<NoticeView>,
    /// "the Safeguarding Children Procedures" / "every manual"
    following: String,
}

/// One subscriber's message in a run. `Debug` leaves out the token of their links.
#[derive(Debug)]
pub struct Recipient {
    pub subscriber: Subscriber,
    bundle: usize,
    token: Token,
}

/// What a run says: its ledger key, subject and opening line.
#[derive(Debug, Clone)]
pub struct Heading {
    /// The ledger's period: `2024-04` for a monthly digest, `release:children/2024-04`
    /// for the immediate notice of a release.
    pub key: String,
    pub subject: String,
    pub intro: String,
}

/// What one run delivers: the ledger key, the message, and who gets it.
pub struct Plan {
    /// The ledger's period (see [`Heading::key`]).
    pub key: String,
    pub subject: String,
    intro: String,
    bundles: Vec<Bundle>,
    pub recipients: Vec<Recipient>,
    links: Links,
    token_key: TokenKey,
}

impl fmt::Debug for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plan")
            .field("key", &self.key)
            .field("subject", &self.subject)
            .field("bundles", &self.bundles.len())
            .field("recipients", &self.recipients)
            .finish()
    }
}

/// The manual titles a subscriber follows, for "you subscribed to ...".
fn following(titles: &BTreeMap<ManualId, String>, subscriber: &Subscriber) -> String {
    if subscriber.all_manuals {
        return "every manual".into();
    }
    let named: Vec<&str> = subscriber
        .manuals
        .iter()
        .map(|m| {
            titles
                .iter()
                .find(|(id, _)| id.as_str() == m)
                .map_or(m.as_str(), |(_, t)| t.as_str())
        })
        .collect();
    named.join(", ")
}

/// Groups subscribers by the manuals whose notices they get, builds each group's notices
/// once, and gives every subscriber their links. A subscriber none of whose manuals has a
/// notice is left out: no releases, no email.
pub fn compose(
    heading: Heading,
    notices: &BTreeMap<ManualId, Vec<Arc<Notice>>>,
    titles: &BTreeMap<ManualId, String>,
    links: Links,
    token_key: &TokenKey,
    subscribers: Vec<Subscriber>,
) -> Plan {
    let mut groups: BTreeMap<(Vec<ManualId>, String), usize> = BTreeMap::new();
    let mut bundles = Vec::new();
    let mut recipients = Vec::new();
    for subscriber in subscribers {
        let manuals: Vec<ManualId> = notices
            .keys()
            .filter(|m| subscriber.follows(m.as_str()))
            .cloned()
            .collect();
        if manuals.is_empty() {
            continue;
        }
        let following = following(titles, &subscriber);
        let bundle = *groups
            .entry((manuals.clone(), following.clone()))
            .or_insert_with(|| {
                bundles.push(Bundle {
                    notices: manuals
                        .iter()
                        .flat_map(|m| notices[m].iter())
                        .map(|n| NoticeView::of(n, &links))
                        .collect(),
                    following,
                });
                bundles.len() - 1
            });
        let token = token_key.token_for(&subscriber);
        recipients.push(Recipient {
            subscriber,
            bundle,
            token,
        });
    }
    Plan {
        key: heading.key,
        subject: heading.subject,
        intro: heading.intro,
        bundles,
        recipients,
        links,
        token_key: token_key.clone(),
    }
}

impl Plan {
    /// The letter for one recipient.
    pub fn letter(&self, recipient: &Recipient) -> Result<Letter, askama::Error> {
        let bundle = &self.bundles[recipient.bundle];
        let token = recipient.token.as_str();
        let manage_url = self
            .links
            .page(&format!("/subscriptions/manage?token={token}"));
        let unsubscribe_url = self.links.page(&format!("/unsubscribe?token={token}"));
        let email = recipient.subscriber.email.as_str();
        let (text, html) = DigestParts {
            subject: &self.subject,
            intro: &self.intro,
            notices: &bundle.notices,
            email,
            following: &bundle.following,
            manage_url: &manage_url,
            unsubscribe_url: &unsubscribe_url,
            subscriber: &recipient.subscriber,
            token_key: &self.token_key,
            links: &self.links,
        }
        .parts()?;
        Ok(Letter {
            to: email.to_owned(),
            subject: self.subject.clone(),
            text,
            html,
            id: message_id(&self.key, recipient.subscriber.id),
            unsubscribe: Some(unsubscribe_url),
        })
    }

    /// The releases a recipient's message carries, for the ledger's record of what was
    /// sent to whom.
    pub fn carried(&self, recipient: &Recipient) -> Vec<SentRelease> {
        self.bundles[recipient.bundle]
            .notices
            .iter()
            .map(|n| SentRelease {
                manual: n.manual.clone(),
                release: n.release.clone(),
            })
            .collect()
    }

    /// "who would get what", for `digest --dry-run`.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for r in &self.recipients {
            let bundle = &self.bundles[r.bundle];
            let headings: Vec<&str> = bundle.notices.iter().map(|n| n.heading.as_str()).collect();
            out.push_str(&format!(
                "{}\t{}\t{}\n",
                r.subscriber.email,
                self.key,
                headings.join("; ")
            ));
        }
        out
    }
}

/// The left part of the Message-ID of a subscriber's message for a period: the same on
/// every attempt.
fn message_id(key: &str, subscriber: i64) -> String {
    let key: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '.'
            }
        })
        .collect();
    format!("digest.{key}.{subscriber}")
}
