//! What an index writer killed before its commit leaves in the index folder, and the next
//! writer getting on with its work all the same.

use std::io::Write;
use std::path::{Path, PathBuf};

use tantivy::Directory;
use tantivy::directory::TerminatingWrite;

use crate::app::{Chapterhouse, Import};
use crate::clock::Clock;
use crate::search::SearchRequest;

fn import(app: &Chapterhouse, dir: &Path, release: &str, body: &str) {
    let snapshot = dir.join(release);
    std::fs::create_dir_all(&snapshot).unwrap();
    std::fs::write(snapshot.join("manual.toml"), "title = \"Children\"\n").unwrap();
    std::fs::write(
        snapshot.join("lado.md"),
        "+++\ntitle = \"LADO\"\n+++\nAllegations.\n",
    )
    .unwrap();
    std::fs::write(
        snapshot.join("neglect.md"),
        format!("+++\ntitle = \"Neglect\"\n+++\n{body}\n"),
    )
    .unwrap();
    app.import(&Import {
        snapshot_dir: snapshot,
        manual: "m".parse().unwrap(),
        release: release.parse().unwrap(),
        date: Some(crate::content::parse_date("2024-01-10").unwrap()),
        notes: Default::default(),
        author: "Eve Editor <eve@example.org>".parse().unwrap(),
    })
    .unwrap();
}

#[test]
fn deletes_left_by_a_writer_killed_before_its_commit_do_not_block_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::config::Config::default();
    config.data.dir = dir.path().join("data");
    let clock = Clock::starting_at(
        "2024-02-01T09:00:00Z".parse().unwrap(),
        chrono_tz::Europe::London,
    );
    let app = Chapterhouse::open_with_clock(config, clock).unwrap();
    import(&app, dir.path(), "r1", "Wombats.");
    let index = app.search_index().unwrap();
    // A commit writes each segment's deletes as `<segment>.<operation number>.del` (made
    // known to the directory first, then written) before the meta file that takes them
    // in; a writer killed between the two leaves them, under the numbers the next writer
    // counts up to again.
    let opstamp = index.index.load_metas().unwrap().opstamp;
    for segment in index.index.searchable_segment_metas().unwrap() {
        for stamp in opstamp + 1..=opstamp + 100 {
            let path = PathBuf::from(format!("{}.{stamp}.del", segment.id().uuid_string()));
            let mut file = index.index.directory().open_write(&path).unwrap();
            file.write_all(b"half written").unwrap();
            file.terminate().unwrap();
        }
    }
    // The next release replaces a chapter, so its commit writes deletes.
    import(&app, dir.path(), "r2", "Quokkas.");
    assert!(!app.catch_up_index().unwrap(), "the release was indexed");
    let found = app
        .search(&SearchRequest {
            query: "quokkas".into(),
            manual: None,
            at: app.today(),
            limit: 10,
        })
        .unwrap();
    assert_eq!(found.total, 1);
}
