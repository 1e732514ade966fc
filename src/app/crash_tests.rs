//! What a process killed mid-write leaves in the store, and the next process getting on
//! with its work all the same: git's lock files, a store half made.

use super::tests::{app_with_release_configured, author, chapter, day, edit, manual};
use crate::search::SearchRequest;

fn finds(app: &super::Chapterhouse, query: &str) -> bool {
    !app.search(&SearchRequest {
        query: query.into(),
        manual: None,
        at: app.today(),
        limit: 10,
    })
    .unwrap()
    .hits
    .is_empty()
}

#[test]
fn git_locks_left_by_a_killed_writer_give_way_to_the_next_edit_and_release() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_release_configured(dir.path(), |_| {});
    let git = app.store().path().to_owned();
    let main_lock = git.join("refs/heads/main.lock");
    let tag_lock = git.join("refs/tags/m/2024-02.lock");
    // As a writer killed holding git's locks leaves them.
    std::fs::write(&main_lock, "").unwrap();
    edit(
        &app,
        "neglect",
        Some(chapter("Neglect", "Quokkas at risk.")),
    );
    std::fs::write(&main_lock, "").unwrap();
    std::fs::write(&tag_lock, "").unwrap();
    app.publish_draft(
        &manual(),
        &"2024-02".parse().unwrap(),
        Some(day("2024-01-31")),
        Default::default(),
        &author(),
    )
    .unwrap();
    assert!(!main_lock.exists() && !tag_lock.exists());
    assert!(finds(&app, "quokkas"));
}

#[test]
fn a_store_left_half_made_by_a_killed_first_start_is_finished_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let git = dir.path().join("data/store.git");
    // As `git init` killed before writing HEAD leaves it.
    std::fs::create_dir_all(git.join("objects")).unwrap();
    std::fs::create_dir_all(git.join("refs/heads")).unwrap();
    std::fs::write(git.join("config.lock"), "").unwrap();
    std::fs::write(git.join("HEAD.lock"), "").unwrap();
    let app = app_with_release_configured(dir.path(), |_| {});
    assert!(!git.join("HEAD.lock").exists());
    assert!(finds(&app, "allegations"));
}
