//! The draft overview and the activity list on a real store: a manual imported and
//! released, then edited, extended and pruned by three editors.

use chrono::{DateTime, TimeDelta, Utc};

use super::*;
use crate::app::{BasedOn, ChapterEdit, Import, Precondition};
use crate::clock::Clock;
use crate::content::SourceFile;
use crate::store::Author;

const IVY: &str = "Ivy Importer <ivy@example.org>";
const ANN: &str = "Ann Editor <ann@example.org>";
const BOB: &str = "Bob Editor <bob@example.org>";
const CY: &str = "Cy Editor <cy@example.org>";

fn manual() -> ManualId {
    "m".parse().unwrap()
}

fn chapter(title: &str, section: Option<&str>, body: &str) -> String {
    let section = section.map_or(String::new(), |s| format!("section = {s:?}\n"));
    format!("+++\ntitle = {title:?}\n{section}+++\n{body}\n")
}

fn start() -> DateTime<Utc> {
    "2024-02-01T09:00:00Z".parse().unwrap()
}

/// Manual `m` imported by Ivy and released as `2024-01`, on a clock at 2024-02-01 09:00.
fn released_app(dir: &std::path::Path) -> Chapterhouse {
    let snapshot = dir.join("snap");
    std::fs::create_dir_all(snapshot.join("deep")).unwrap();
    let write = |path: &str, text: String| std::fs::write(snapshot.join(path), text).unwrap();
    write("manual.toml", "title = \"Children\"\n".into());
    write(
        "neglect.md",
        chapter("Neglect", Some("Processes"), "What to do."),
    );
    write(
        "strategy.md",
        chapter("Strategy Discussions", Some("Processes"), "Who meets."),
    );
    write(
        "deep/lado.md",
        chapter("LADO", Some("Allegations"), "Allegations."),
    );
    write("glossary.md", chapter("Glossary", None, "Words."));
    let mut config = crate::config::Config::default();
    config.data.dir = dir.join("data");
    let clock = Clock::starting_at(start(), chrono_tz::Europe::London);
    let app = Chapterhouse::open_with_clock(config, clock).unwrap();
    app.import(&Import {
        snapshot_dir: snapshot,
        manual: manual(),
        release: "2024-01".parse().unwrap(),
        date: Some(crate::content::parse_date("2024-01-10").unwrap()),
        notes: Default::default(),
        author: IVY.parse().unwrap(),
    })
    .unwrap();
    app
}

/// Writes (or deletes) a chapter of the draft as `by`, an hour after the last change.
fn edit(app: &Chapterhouse, by: &str, id: &str, text: Option<String>) {
    app.clock().advance(TimeDelta::hours(1));
    let current = app
        .draft_chapter(&manual(), id)
        .unwrap()
        .map(|(_, blob, _)| blob);
    let precondition = match current {
        Some(blob) => Precondition::Matches(BasedOn::new(move |tag| tag == blob)),
        None => Precondition::Unstated,
    };
    let written = app
        .edit_chapter(&ChapterEdit {
            manual: manual(),
            id: id.into(),
            text,
            precondition,
            author: by.parse().unwrap(),
        })
        .unwrap();
    assert!(written.changed);
}

/// The released manual after Ann edits `neglect`, Bob adds `fgm` and Cy deletes `lado`.
fn worked_on_app(dir: &std::path::Path) -> Chapterhouse {
    let app = released_app(dir);
    let neglect = chapter("Neglect", Some("Processes"), "What to do now.");
    edit(&app, ANN, "neglect", Some(neglect));
    let fgm = chapter("FGM", Some("Processes"), "Female genital mutilation.");
    edit(&app, BOB, "fgm", Some(fgm));
    edit(&app, CY, "lado", None);
    app
}

/// Who last edited, and how many hours after the import.
fn editor(c: &DraftChapter) -> Option<(String, i64)> {
    let edit = c.last_edit.as_ref()?;
    Some((edit.email.clone(), (edit.at - start()).num_hours()))
}

#[test]
fn the_overview_shows_each_chapters_state_and_last_editor() {
    let dir = tempfile::tempdir().unwrap();
    let app = worked_on_app(dir.path());
    let overview = app.draft_overview(&manual()).unwrap();
    type Row<'a> = (&'a str, &'a str, Option<(String, i64)>);
    let seen: Vec<Row> = overview
        .chapters
        .iter()
        .map(|c| (c.id.as_str(), c.state.as_str(), editor(c)))
        .collect();
    let by = |email: &str, hours| Some((email.to_owned(), hours));
    assert_eq!(
        seen,
        [
            ("fgm", "new", by("bob@example.org", 2)),
            ("neglect", "edited", by("ann@example.org", 1)),
            ("strategy", "unchanged", by("ivy@example.org", 0)),
            ("glossary", "unchanged", by("ivy@example.org", 0)),
            ("lado", "deleted", by("cy@example.org", 3)),
        ]
    );
    assert_eq!(overview.title, "Children");
    assert_eq!(
        overview.latest_release.as_ref().unwrap().as_str(),
        "2024-01"
    );
    assert_eq!(overview.head, app.store().head().unwrap().unwrap());
    assert_eq!(overview.changed, 3);
    assert_eq!(overview.sections, ["Processes", "Allegations"]);
    let lado = &overview.chapters[4];
    assert_eq!(
        (lado.title.as_str(), lado.state.label()),
        ("LADO", "Deleted")
    );
    assert_eq!(lado.section.as_deref(), Some("Allegations"));
    assert_eq!(
        lado.last_edit.as_ref().unwrap().author.as_str(),
        "Cy Editor"
    );
    let ids = |chapters: Vec<&DraftChapter>| -> Vec<String> {
        chapters.iter().map(|c| c.id.to_string()).collect()
    };
    assert_eq!(
        ids(overview.in_section(Some("Processes"))),
        ["fgm", "neglect", "strategy"]
    );
    assert_eq!(ids(overview.in_section(None)), ["glossary"]);
    assert_eq!(ids(overview.in_section(Some("Allegations"))), ["lado"]);
}

#[test]
fn after_a_release_every_chapter_is_unchanged_but_keeps_its_last_editor() {
    let dir = tempfile::tempdir().unwrap();
    let app = worked_on_app(dir.path());
    let ivy: Author = IVY.parse().unwrap();
    let name = "2024-02".parse().unwrap();
    app.publish_draft(&manual(), &name, None, Default::default(), &ivy)
        .unwrap();
    let overview = app.draft_overview(&manual()).unwrap();
    assert_eq!(overview.changed, 0);
    assert_eq!(overview.chapters.len(), 4, "lado is gone for good");
    let fgm = &overview.chapters[0];
    assert_eq!(fgm.state, DraftState::Unchanged);
    assert_eq!(fgm.last_edit.as_ref().unwrap().email, "bob@example.org");
}

#[test]
fn before_its_first_release_everything_in_a_manual_is_new() {
    let dir = tempfile::tempdir().unwrap();
    let app = released_app(dir.path());
    let n: ManualId = "n".parse().unwrap();
    let files = [
        ("manual.toml", "title = \"Adults\"\n".to_owned()),
        ("care.md", chapter("Care", None, "Care.")),
    ]
    .map(|(path, text)| SourceFile {
        path: path.into(),
        bytes: text.into_bytes(),
    });
    let ann: Author = ANN.parse().unwrap();
    let pending = app
        .store()
        .prepare_revision(&n, &files, &ann, "Add n", start())
        .unwrap();
    app.store().advance(&pending).unwrap();
    let overview = app.draft_overview(&n).unwrap();
    assert_eq!(overview.latest_release, None);
    assert_eq!(overview.changed, 1);
    assert_eq!(overview.chapters[0].state, DraftState::New);
    assert_eq!(editor(&overview.chapters[0]).unwrap().0, "ann@example.org");
    assert!(app.draft_overview(&"nothing".parse().unwrap()).is_err());
}

#[test]
fn last_edits_are_looked_for_only_as_far_back_as_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let app = worked_on_app(dir.path());
    let head = app.store().head().unwrap().unwrap();
    let paths = HashSet::from(["fgm.md", "neglect.md", "deep/lado.md"]);
    let found = app.last_edits(&manual(), &head, paths, 2).unwrap();
    let mut found: Vec<(&str, &str)> = found
        .iter()
        .map(|(path, e)| (path.as_str(), e.email.as_str()))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("deep/lado.md", "cy@example.org"),
            ("fgm.md", "bob@example.org")
        ]
    );
}

#[test]
fn activity_lists_the_manuals_commits_newest_first_with_their_chapters() {
    let dir = tempfile::tempdir().unwrap();
    let app = worked_on_app(dir.path());
    let activity = app.activity(&manual(), 10).unwrap();
    let seen: Vec<(&str, &str, Vec<&str>, Vec<&str>)> = activity
        .iter()
        .map(|a| {
            (
                a.email.as_str(),
                a.message.as_str(),
                a.chapters.iter().map(String::as_str).collect(),
                a.other_files.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("cy@example.org", "Delete m/lado", vec!["lado"], vec![]),
            ("bob@example.org", "Add m/fgm", vec!["fgm"], vec![]),
            ("ann@example.org", "Edit m/neglect", vec!["neglect"], vec![]),
            (
                "ivy@example.org",
                "Import m release 2024-01 from snap",
                vec!["lado", "glossary", "neglect", "strategy"],
                vec!["manual.toml"]
            ),
        ]
    );
    let hours: Vec<i64> = activity
        .iter()
        .map(|a| (a.at - start()).num_hours())
        .collect();
    assert_eq!(hours, [3, 2, 1, 0]);
    assert_eq!(activity[0].author, "Cy Editor");
    assert_eq!(activity[0].revision, app.store().head().unwrap().unwrap());
}

#[test]
fn activity_stops_at_its_limit_and_still_names_deleted_chapters() {
    let dir = tempfile::tempdir().unwrap();
    let app = worked_on_app(dir.path());
    let one = app.activity(&manual(), 1).unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].chapters, ["lado"]);
    let two = app.activity(&manual(), 2).unwrap();
    assert_eq!(two.len(), 2);
    assert_eq!(two[1].chapters, ["fgm"]);
    assert!(app.activity(&manual(), 0).unwrap().is_empty());
    // A file moved under another name is one chapter touched, not two.
    let blob = app.draft_chapter(&manual(), "strategy").unwrap().unwrap().1;
    let store = app.store();
    let text = store
        .read_file(&StoredFile {
            path: "strategy.md".into(),
            blob,
        })
        .unwrap();
    let ann: Author = ANN.parse().unwrap();
    let mut files: Vec<SourceFile> = store
        .files_at(&store.head().unwrap().unwrap(), &manual())
        .unwrap()
        .into_iter()
        .filter(|f| f.path != "strategy.md")
        .map(|f| SourceFile {
            bytes: store.read_file(&f).unwrap(),
            path: f.path,
        })
        .collect();
    files.push(SourceFile {
        path: "deep/strategy.md".into(),
        bytes: text,
    });
    let pending = store
        .prepare_revision(&manual(), &files, &ann, "Move strategy", start())
        .unwrap();
    store.advance(&pending).unwrap();
    let moved = app.activity(&manual(), 1).unwrap();
    assert_eq!(moved[0].chapters, ["strategy"]);
    assert!(moved[0].other_files.is_empty());
    let overview = app.draft_overview(&manual()).unwrap();
    let strategy = overview
        .chapters
        .iter()
        .find(|c| c.id.as_str() == "strategy");
    assert_eq!(strategy.unwrap().state, DraftState::Unchanged, "only moved");
}

#[test]
fn activity_reads_files_neither_the_draft_nor_the_release_has_and_skips_broken_ones() {
    let dir = tempfile::tempdir().unwrap();
    let app = worked_on_app(dir.path());
    // A chapter file that does not parse, committed with plain git and then removed.
    let store = app.store();
    let cy: Author = CY.parse().unwrap();
    for bytes in [Some(&b"no front matter"[..]), None] {
        let pending = store
            .prepare_file_change(&manual(), "broken.md", bytes, &cy, "By hand", start())
            .unwrap();
        store.advance(&pending).unwrap();
    }
    // Two edits: the first one's file is in neither the draft nor the release.
    for body in ["Who meets, and when.", "Who meets, when and where."] {
        let text = chapter("Strategy Discussions", Some("Processes"), body);
        edit(&app, ANN, "strategy", Some(text));
    }
    let activity = app.activity(&manual(), 4).unwrap();
    let seen: Vec<(Vec<&str>, Vec<&str>)> = activity
        .iter()
        .map(|a| {
            (
                a.chapters.iter().map(String::as_str).collect(),
                a.other_files.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (vec!["strategy"], vec![]),
            (vec!["strategy"], vec![]),
            (vec![], vec!["broken.md"]),
            (vec![], vec!["broken.md"]),
        ]
    );
}
