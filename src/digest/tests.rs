//! Digests composed from notices and subscribers, read as the relay would get them (the
//! in-memory mailer), and delivered through the ledger once.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::*;
use crate::app::Chapterhouse;
use crate::clock::Clock;
use crate::config::Config;
use crate::content::{ChapterId, ChapterKind, ManualId};
use crate::db::testing::{Scratch, on_each_engine, scratch};
use crate::db::{Db, Engine, Frequency, NewSubscriber, Subscriber};
use crate::diff::{NewChapter, ReleaseDiff, UpdatedChapter};
use crate::mail::{Memory, SentMail};
use crate::notice::{Links, Notice, ReleaseRef};

use super::read_tests::read_links;

fn clock() -> Clock {
    Clock::starting_at(
        "2024-05-01T06:00:00Z".parse().unwrap(),
        chrono_tz::Europe::London,
    )
}

fn mailer() -> (Mailer, Memory) {
    let mut config = Config::default();
    config.mail.from = "Procedures <procedures@example.org>".into();
    config.mail.reply_to = Some("team@example.org".into());
    Mailer::in_memory(&config, &clock()).unwrap()
}

fn links() -> Links {
    Links::new("https://procedures.example.org/")
}

fn id(s: &str) -> ChapterId {
    s.parse().unwrap()
}

fn release(name: &str, date: &str) -> ReleaseRef {
    ReleaseRef {
        name: name.parse().unwrap(),
        date: date.parse().unwrap(),
    }
}

/// An April release of `manual`: one chapter with a new section, one new chapter.
fn notice(manual: &str, title: &str) -> Arc<Notice> {
    Arc::new(Notice {
        manual: manual.parse().unwrap(),
        manual_title: title.into(),
        from: Some(release("2024-03", "2024-03-04")),
        to: release("2024-04", "2024-04-02"),
        diff: ReleaseDiff {
            updated: vec![UpdatedChapter {
                id: id("section-47-enquiries"),
                title: "Section 47 Enquiries".into(),
                kind: ChapterKind::Chapter,
                reread: false,
                sections_added: vec!["13. Practice standards".into()],
                sections_removed: vec![],
                sections_changed: vec![],
                link_changed: false,
                renamed_from: None,
                similarity: 0.9,
            }],
            added: vec![NewChapter {
                id: id("lado"),
                title: "Allegations against staff (LADO)".into(),
                kind: ChapterKind::Chapter,
            }],
            removed: vec![],
        },
        notes: BTreeMap::new(),
    })
}

/// Children and adults both changed in April; "other" did not.
fn notices() -> BTreeMap<ManualId, Vec<Arc<Notice>>> {
    BTreeMap::from([
        (
            "children".parse().unwrap(),
            vec![notice("children", "Safeguarding Children Procedures")],
        ),
        (
            "adults".parse().unwrap(),
            vec![notice("adults", "Safeguarding Adults Procedures")],
        ),
    ])
}

fn titles() -> BTreeMap<ManualId, String> {
    BTreeMap::from([
        (
            "children".parse().unwrap(),
            "Safeguarding Children Procedures".into(),
        ),
        (
            "adults".parse().unwrap(),
            "Safeguarding Adults Procedures".into(),
        ),
        ("other".parse().unwrap(), "Other Procedures".into()),
    ])
}

/// A database with three confirmed subscribers: children only, every manual, "other".
pub(super) fn subscribers() -> (Scratch, Db, Vec<Subscriber>) {
    subscribers_on(Engine::Sqlite)
}

/// The same, on `engine`.
fn subscribers_on(engine: Engine) -> (Scratch, Db, Vec<Subscriber>) {
    let (dir, db) = scratch(engine, clock());
    for (email, manuals) in [
        ("kids@example.org", vec!["children"]),
        ("everything@example.org", vec![]),
        ("other@example.org", vec!["other"]),
    ] {
        db.subscribe(&NewSubscriber {
            email: email.into(),
            manuals: manuals.iter().map(|m| m.parse().unwrap()).collect(),
            frequency: Frequency::Monthly,
            confirmed: true,
        })
        .unwrap();
    }
    let subscribers = db.subscribers().unwrap();
    (dir, db, subscribers)
}

pub(super) fn april(db: &Db, subscribers: Vec<Subscriber>) -> Plan {
    let heading = Heading {
        key: "2024-04".into(),
        subject: "Procedure changes in April 2024".into(),
        intro: "These are the changes published in April 2024.".into(),
    };
    let key = db.subscriber_token_key().unwrap();
    compose(heading, &notices(), &titles(), links(), &key, subscribers)
}

pub(super) async fn send(plan: &Plan, email: &str) -> SentMail {
    let recipient = plan
        .recipients
        .iter()
        .find(|r| r.subscriber.email == email)
        .unwrap();
    let (mailer, memory) = mailer();
    mailer.send(&plan.letter(recipient).unwrap()).await.unwrap();
    memory.sent().pop().unwrap()
}

#[test]
fn each_subscriber_gets_the_notices_of_what_they_follow_and_no_releases_means_no_email() {
    let (_dir, db, subscribers) = subscribers();
    let plan = april(&db, subscribers);
    assert_eq!(
        plan.describe(),
        "kids@example.org\t2024-04\tSafeguarding Children Procedures — updated in April 2024\n\
         everything@example.org\t2024-04\tSafeguarding Adults Procedures — updated in April 2024; \
         Safeguarding Children Procedures — updated in April 2024\n"
    );
    let shown = format!("{plan:?}");
    for r in &plan.recipients {
        let token = db.subscriber_token(&r.subscriber).unwrap();
        assert!(!shown.contains(token.as_str()), "{shown}");
    }
}

#[tokio::test]
async fn a_digest_has_the_list_headers_both_parts_and_every_link() {
    let (_dir, db, subscribers) = subscribers();
    let kids = subscribers[0].clone();
    let plan = april(&db, subscribers);
    let mail = send(&plan, "kids@example.org").await;
    let header = |name: &str| mail.header(name).unwrap_or_else(|| panic!("no {name}"));
    assert_eq!(header("Subject"), "Procedure changes in April 2024");
    assert_eq!(header("From"), "Procedures <procedures@example.org>");
    assert_eq!(header("Reply-To"), "team@example.org");
    assert_eq!(header("To"), "kids@example.org");
    assert_eq!(
        header("Message-ID"),
        format!("<digest.2024-04.{}@example.org>", kids.id)
    );
    let token = db.subscriber_token(&kids).unwrap();
    let unsubscribe = format!(
        "https://procedures.example.org/unsubscribe?token={}",
        token.as_str()
    );
    assert_eq!(header("List-Unsubscribe"), format!("<{unsubscribe}>"));
    assert_eq!(
        header("List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );

    let body = mail.decoded();
    let (text, html) = body.split_at(body.find("<!doctype html>").unwrap());
    let heading = "Safeguarding Children Procedures — updated in April 2024";
    assert!(
        text.contains(&format!("{heading}\r\n{}", "=".repeat(56))),
        "{text}"
    );
    let chapter = "https://procedures.example.org/manuals/children/chapters/section-47-enquiries";
    assert!(
        text.contains(&format!("Read: {chapter}?release=2024-04")),
        "{text}"
    );
    assert!(
        text.contains(&format!("Changes: {chapter}/diff?from=2024-03&to=2024-04")),
        "{text}"
    );
    assert!(text.contains("A new section, '13. Practice standards', has been added."));
    assert!(text.contains("- Allegations against staff (LADO) – This new chapter has been added."));
    assert!(
        text.contains(
            "Full notice: https://procedures.example.org/manuals/children/releases/2024-04"
        )
    );
    assert!(text.contains("kids@example.org subscribed to Safeguarding Children Procedures."));
    assert!(
        html.contains(&format!("<a href=\"{chapter}?release=2024-04\"")),
        "{html}"
    );
    assert!(
        html.contains(&format!("{chapter}/diff?from=2024-03&#38;to=2024-04")),
        "{html}"
    );
    assert!(html.contains("<title>Procedure changes in April 2024</title>"));
    for part in [text, html] {
        assert!(part.contains(&unsubscribe), "{part}");
        assert!(part.contains(&format!(
            "https://procedures.example.org/subscriptions/manage?token={}",
            token.as_str()
        )));
        assert!(!part.contains("Adults"), "only what they follow: {part}");
    }
    assert_eq!(
        db.subscriber_for_token(token.as_str()).unwrap().unwrap().id,
        kids.id,
        "the links work"
    );
}

#[tokio::test]
async fn a_subscriber_of_every_manual_hears_of_every_manual() {
    let (_dir, db, subscribers) = subscribers();
    let plan = april(&db, subscribers);
    let body = send(&plan, "everything@example.org").await.decoded();
    assert!(body.contains("Safeguarding Adults Procedures — updated in April 2024"));
    assert!(body.contains("Safeguarding Children Procedures — updated in April 2024"));
    assert!(body.contains("everything@example.org subscribed to every manual."));
}

on_each_engine!(; async delivering_a_plan_twice_sends_each_message_once);

async fn delivering_a_plan_twice_sends_each_message_once(engine: Engine) {
    let (_dir, db, subscribers) = subscribers_on(engine);
    let plan = april(&db, subscribers);
    let (mailer, memory) = mailer();
    let retry = Retry {
        attempts: 1,
        first_wait: std::time::Duration::ZERO,
        claim: std::time::Duration::from_secs(60),
    };
    let first = deliver(&plan, &db, &mailer, retry).await.unwrap();
    assert_eq!(
        first,
        Report {
            sent: 2,
            ..Report::default()
        }
    );
    assert!(db.period_finished("2024-04").unwrap());
    let again = deliver(&plan, &db, &mailer, retry).await.unwrap();
    assert_eq!(
        again,
        Report {
            skipped: 2,
            ..Report::default()
        }
    );
    let mut to: Vec<String> = memory.sent().into_iter().flat_map(|m| m.to).collect();
    to.sort();
    assert_eq!(to, ["everything@example.org", "kids@example.org"]);
    // What each message carried is recorded as sent, once.
    assert_eq!(db.read_counts("children", "2024-04").unwrap().sent, 2);
    assert_eq!(db.read_counts("adults", "2024-04").unwrap().sent, 1);
    assert_eq!(db.read_counts("children", "2024-03").unwrap().sent, 0);
}

#[test]
fn a_release_notices_message_id_is_made_of_safe_characters() {
    let (_dir, db, subscribers) = subscribers();
    let key = db.subscriber_token_key().unwrap();
    let heading = Heading {
        key: "release:children/2024-04".into(),
        subject: "Safeguarding Children Procedures — updated in April 2024".into(),
        intro: "A new release is in force.".into(),
    };
    let plan = compose(heading, &notices(), &titles(), links(), &key, subscribers);
    let letter = plan.letter(&plan.recipients[0]).unwrap();
    assert_eq!(
        letter.id,
        format!(
            "digest.release.children.2024-04.{}",
            plan.recipients[0].subscriber.id
        )
    );
    // An immediate notice carries the same read links as a digest.
    assert_eq!(
        read_links(&letter.text)
            .iter()
            .map(|[m, r, c, _]| format!("{m}/{r}/{c}"))
            .filter(|l| l.starts_with("children/"))
            .collect::<Vec<_>>(),
        [
            "children/2024-04/section-47-enquiries",
            "children/2024-04/lado"
        ]
    );
}

/// The sample's manuals in a fresh data folder, on the test clock (May 2024).
async fn sample_app() -> (tempfile::TempDir, Arc<Chapterhouse>) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.data.dir = dir.path().to_owned();
    let app = tokio::task::spawn_blocking(move || {
        let app = Chapterhouse::open_with_clock(config, clock()).unwrap();
        crate::sample::seed(&app).unwrap();
        app
    })
    .await
    .unwrap();
    (dir, Arc::new(app))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monthly_run_sends_the_periods_digest_once_however_often_it_runs() {
    let (_dir, app) = sample_app().await;
    app.db()
        .unwrap()
        .subscribe(&NewSubscriber {
            email: "kids@example.org".into(),
            manuals: vec!["children".parse().unwrap()],
            frequency: Frequency::Monthly,
            confirmed: true,
        })
        .unwrap();
    let (mailer, memory) = mailer();
    let april: Period = "2024-04".parse().unwrap();
    let first = run_monthly(&app, &mailer, april).await.unwrap();
    assert_eq!(first.sent, 1, "{first:?}");
    let again = run_monthly(&app, &mailer, april).await.unwrap();
    assert_eq!((again.sent, again.skipped), (0, 1), "{again:?}");
    let sent = memory.sent();
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0]
            .decoded()
            .contains("Safeguarding Children Procedures — updated in April 2024")
    );
    // Nobody asked for immediate notices: a run owes none.
    let immediate = run_immediate(&app, &mailer).await.unwrap();
    assert_eq!(immediate, Report::default());
    assert_eq!(memory.sent().len(), 1);
}
