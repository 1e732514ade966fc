//! The application's services together: readers beside the publisher, contents worked
//! out edit by edit, and the clock deciding what is current.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use chrono::{NaiveDate, TimeDelta};

use super::*;
use crate::clock::Clock;
use crate::content::ManualId;
use crate::store::Author;

pub(super) fn author() -> Author {
    "Eve Editor <eve@example.org>".parse().unwrap()
}

pub(super) fn chapter(title: &str, body: &str) -> String {
    format!("+++\ntitle = {title:?}\nsection = \"Processes\"\n+++\n{body}\n")
}

/// A data folder with manual `m` released as `2024-01` (dated 2024-01-10), on a clock set
/// to 2024-02-01.
fn app_with_release(dir: &std::path::Path) -> Chapterhouse {
    app_with_release_configured(dir, |_| {})
}

/// As [`app_with_release`], with settings of the caller's.
pub(super) fn app_with_release_configured(
    dir: &std::path::Path,
    configure: impl FnOnce(&mut crate::config::Config),
) -> Chapterhouse {
    let snapshot = dir.join("snap");
    std::fs::create_dir_all(snapshot.join("deep")).unwrap();
    std::fs::write(snapshot.join("manual.toml"), "title = \"Children\"\n").unwrap();
    for (id, title) in [("neglect", "Neglect"), ("strategy", "Strategy Discussions")] {
        let body = format!("## 1. About\n\nWhat {title} means.\n\n## 2. Steps\n\nWhat to do.");
        std::fs::write(snapshot.join(format!("{id}.md")), chapter(title, &body)).unwrap();
    }
    std::fs::write(
        snapshot.join("deep/lado.md"),
        chapter("LADO", "Allegations."),
    )
    .unwrap();
    let mut config = crate::config::Config::default();
    config.data.dir = dir.join("data");
    configure(&mut config);
    let clock = Clock::starting_at(
        "2024-02-01T09:00:00Z".parse().unwrap(),
        chrono_tz::Europe::London,
    );
    let app = Chapterhouse::open_with_clock(config, clock).unwrap();
    app.import(&Import {
        snapshot_dir: snapshot,
        manual: manual(),
        release: "2024-01".parse().unwrap(),
        date: Some(day("2024-01-10")),
        notes: Default::default(),
        author: author(),
    })
    .unwrap();
    app
}

pub(super) fn manual() -> ManualId {
    "m".parse().unwrap()
}

pub(super) fn day(text: &str) -> NaiveDate {
    crate::content::parse_date(text).unwrap()
}

pub(super) fn edit(app: &Chapterhouse, id: &str, text: Option<String>) -> Written {
    let current = app
        .draft_chapter(&manual(), id)
        .unwrap()
        .map(|(_, blob, _)| blob);
    let precondition = match current {
        Some(blob) => Precondition::Matches(BasedOn::new(move |tag| tag == blob)),
        None => Precondition::Unstated,
    };
    app.edit_chapter(&ChapterEdit {
        manual: manual(),
        id: id.into(),
        text,
        precondition,
        author: author(),
    })
    .unwrap()
}

#[test]
fn readers_answer_while_the_publisher_is_busy() {
    let dir = tempfile::tempdir().unwrap();
    let app = Arc::new(app_with_release(dir.path()));
    let release = app.current_release(&manual()).unwrap().unwrap();
    // A writer holds the publisher (as a long import would) ...
    let turn = app.publisher.turn();
    // ... and readers on other threads are answered all the same.
    let (done, answers) = mpsc::channel();
    let reader = app.clone();
    std::thread::spawn(move || {
        let chapter = reader.chapter_at(&manual(), &release, "neglect").unwrap();
        let contents = reader.contents_at(&manual(), &release).unwrap();
        let found = reader
            .search(&crate::search::SearchRequest {
                query: "allegations".into(),
                manual: None,
                at: reader.today(),
                limit: 5,
            })
            .unwrap();
        let summaries = reader.manual_summaries().unwrap();
        done.send((
            chapter.is_some(),
            contents.entries.len(),
            found.total,
            summaries.len(),
        ))
        .unwrap();
    });
    let answered = answers.recv_timeout(Duration::from_secs(60));
    drop(turn);
    assert_eq!(answered, Ok((true, 3, 1, 1)));
}

#[test]
fn writes_queue_in_order_and_none_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let app = Arc::new(app_with_release(dir.path()));
    let handles: Vec<_> = (0..6)
        .map(|i| {
            let app = app.clone();
            std::thread::spawn(move || {
                edit(
                    &app,
                    &format!("new-{i}"),
                    Some(chapter(&format!("New {i}"), "Text.")),
                )
            })
        })
        .collect();
    for handle in handles {
        assert!(handle.join().unwrap().created);
    }
    let head = app.store().head().unwrap().unwrap();
    let contents = app.contents_at_revision(&manual(), &head).unwrap();
    assert_eq!(contents.entries.len(), 9);
}

#[test]
fn contents_worked_out_edit_by_edit_equal_contents_read_afresh() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_release(dir.path());
    let release = app.current_release(&manual()).unwrap().unwrap();
    app.contents_at(&manual(), &release).unwrap();
    edit(
        &app,
        "neglect",
        Some(chapter("Neglect and Abuse", "Changed.")),
    );
    edit(
        &app,
        "fgm",
        Some(chapter("FGM", "Female genital mutilation.")),
    );
    edit(&app, "lado", None);
    let head = app.store().head().unwrap().unwrap();
    let worked_out = app.contents_at_revision(&manual(), &head).unwrap();
    let fresh = app_fresh(&app)
        .contents_at_revision(&manual(), &head)
        .unwrap();
    let view = |c: &Contents| -> Vec<(String, String, String, String)> {
        c.entries
            .iter()
            .map(|e| {
                (
                    e.id.to_string(),
                    e.title.clone(),
                    e.path.clone(),
                    e.blob.clone(),
                )
            })
            .collect()
    };
    assert_eq!(view(&worked_out), view(&fresh));
    assert_eq!(
        view(&worked_out)
            .iter()
            .map(|e| e.0.as_str())
            .collect::<Vec<_>>(),
        ["fgm", "neglect", "strategy"]
    );
    // The moved-away file keeps its folder: an edit writes where the chapter lives.
    let edited = edit(&app, "strategy", Some(chapter("Strategy", "Again.")));
    assert!(edited.changed && !edited.created);
}

/// A second application on the same data folder, with nothing kept in memory.
fn app_fresh(app: &Chapterhouse) -> Chapterhouse {
    Chapterhouse::open_with_clock(app.config().clone(), app.clock().clone()).unwrap()
}

#[test]
fn edits_keep_the_manuals_rules() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_release(dir.path());
    let refuse = |id: &str, text: Option<String>, precondition: Precondition| {
        app.edit_chapter(&ChapterEdit {
            manual: manual(),
            id: id.into(),
            text,
            precondition,
            author: author(),
        })
        .unwrap_err()
        .to_string()
    };
    let head = app.store().head().unwrap();
    let e = refuse(
        "neglect",
        Some("+++\ntitle = \"Neglect\"\nid = \"strategy\"\n+++\n".into()),
        Precondition::Exists,
    );
    assert!(e.contains("must be the same"), "{e}");
    let e = refuse(
        "fgm",
        Some("+++\ntitle = \n+++\n".into()),
        Precondition::Unstated,
    );
    assert!(e.starts_with("m/fgm.md:2:"), "{e}");
    let e = refuse("neglect", Some(chapter("N", "x")), Precondition::Absent);
    assert!(e.contains("exists already"), "{e}");
    let e = refuse("nothing", Some(chapter("N", "x")), Precondition::Exists);
    assert!(e.contains("does not exist"), "{e}");
    assert_eq!(app.store().head().unwrap(), head, "nothing was written");
    // The last chapter of a manual cannot go.
    edit(&app, "neglect", None);
    edit(&app, "strategy", None);
    let e = refuse("lado", None, Precondition::Exists);
    assert!(e.contains("only chapter"), "{e}");
}

#[test]
fn a_scheduled_release_becomes_current_when_the_clock_reaches_its_date() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_release(dir.path());
    edit(
        &app,
        "neglect",
        Some(chapter("Neglect", "New guidance from March.")),
    );
    let scheduled = app
        .publish_draft(
            &manual(),
            &"2024-03".parse().unwrap(),
            Some(day("2024-03-01")),
            Default::default(),
            &author(),
        )
        .unwrap();
    let current = |app: &Chapterhouse| app.current_release(&manual()).unwrap().unwrap().name;
    assert_eq!(current(&app).as_str(), "2024-01");
    assert_eq!(app.latest_release(&manual()).unwrap(), scheduled);
    app.clock().advance(TimeDelta::days(29));
    assert_eq!(app.today(), day("2024-03-01"));
    assert_eq!(current(&app).as_str(), "2024-03");
    // Commits and tags carry the clock's time, not the machine's.
    assert_eq!(
        chrono::DateTime::from_timestamp(scheduled.published_at, 0)
            .unwrap()
            .date_naive(),
        day("2024-02-01")
    );
}

#[test]
fn processes_catching_the_index_up_at_once_index_each_release_once() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_release(dir.path());
    // A release in the store that no index has seen (an import killed after its tag).
    let snapshot = dir.path().join("snap2");
    std::fs::create_dir_all(&snapshot).unwrap();
    std::fs::write(snapshot.join("manual.toml"), "title = \"Children\"\n").unwrap();
    std::fs::write(
        snapshot.join("neglect.md"),
        chapter("Neglect", "## 1. About\n\nQuokkas are consulted."),
    )
    .unwrap();
    let files: Vec<crate::content::SourceFile> = crate::content::source::snapshot_paths(&snapshot)
        .unwrap()
        .into_iter()
        .map(|path| crate::content::SourceFile {
            bytes: crate::content::source::read_snapshot_file(&snapshot, &path).unwrap(),
            path,
        })
        .collect();
    let store = app.store();
    let pending = store
        .prepare_revision(&manual(), &files, &author(), "r2", app.clock().now())
        .unwrap();
    let release = crate::store::NewRelease {
        name: "2024-01b".parse().unwrap(),
        date: day("2024-01-20"),
        notes: Default::default(),
    };
    store
        .publish(
            &manual(),
            Some(&pending),
            &release,
            &author(),
            app.clock().now(),
        )
        .unwrap();
    // Several processes (a server following the store, imports) catch up at once.
    let others: Vec<Chapterhouse> = (0..4).map(|_| app_fresh(&app)).collect();
    let start = std::sync::Barrier::new(others.len());
    std::thread::scope(|s| {
        for other in &others {
            s.spawn(|| {
                start.wait();
                other.catch_up_index().unwrap();
            });
        }
    });
    let search = |query: &str, at: &str| {
        app_fresh(&app)
            .search(&SearchRequest {
                query: query.into(),
                manual: None,
                at: day(at),
                limit: 10,
            })
            .unwrap()
            .hits
            .into_iter()
            .map(|h| h.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(search("quokkas", "2024-02-01"), ["neglect"]);
    assert_eq!(search("neglect", "2024-01-15"), ["neglect"]);
    assert!(search("quokkas", "2024-01-15").is_empty());
}
