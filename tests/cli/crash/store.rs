//! What a kill may leave in the store, checked with `git` itself: a repository `git fsck`
//! finds sound, and every ref as it was before the interrupted operation or as it would be
//! after it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const MAIN: &str = "refs/heads/main";

/// `git -C <store> ARGS...`: its stdout, or `None` when it failed.
fn git(store: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(store)
        .args(args)
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap())
}

/// The store of a data folder.
pub fn store_of(data: &Path) -> PathBuf {
    data.join("store.git")
}

/// Every ref of the store and the object it names.
pub fn refs(store: &Path) -> BTreeMap<String, String> {
    git(
        store,
        &["for-each-ref", "--format=%(refname) %(objectname)"],
    )
    .unwrap_or_default()
    .lines()
    .filter_map(|l| l.split_once(' '))
    .map(|(name, oid)| (name.to_owned(), oid.to_owned()))
    .collect()
}

/// Asserts that `git fsck` finds the store sound.
#[track_caller]
pub fn assert_sound(store: &Path) {
    let out = Command::new("git")
        .arg("-C")
        .arg(store)
        .args(["fsck", "--no-dangling", "--no-progress"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git fsck of {} failed:\n{}{}",
        store.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// git's lock files (`HEAD.lock`, `refs/heads/main.lock`, ...) anywhere in the store.
pub fn git_locks(store: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "lock") {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(store, &mut found);
    found
}

/// An operation that was to add a revision of `file` holding `word` on top of main, and a
/// release tag `tag` of it.
pub struct Publish<'a> {
    pub tag: &'a str,
    pub file: &'a str,
    pub word: &'a str,
}

/// What the interrupted operation left.
#[derive(Debug)]
pub struct Left {
    pub main_moved: bool,
    pub tagged: bool,
}

impl Publish<'_> {
    /// True when `commit` is a child of `parent` whose tree has the new text.
    fn is_the_revision(&self, store: &Path, commit: &str, parent: &str) -> bool {
        let parent_of = git(store, &["rev-parse", &format!("{commit}^")]);
        let text = git(store, &["show", &format!("{commit}:{}", self.file)]);
        parent_of.is_some_and(|p| p.trim() == parent) && text.is_some_and(|t| t.contains(self.word))
    }

    /// Asserts the store is sound and each ref is as it was in `before` or as the
    /// operation leaves it: main at the old commit or at the new revision, the tag absent
    /// or an annotated tag of the new revision, and then main there too. Returns what
    /// moved.
    #[track_caller]
    pub fn check(&self, store: &Path, before: &BTreeMap<String, String>) -> Left {
        assert_sound(store);
        let after = refs(store);
        let tag_ref = format!("refs/tags/{}", self.tag);
        for name in before.keys().chain(after.keys()) {
            if name != MAIN && *name != tag_ref {
                assert_eq!(before.get(name), after.get(name), "{name} moved");
            }
        }
        let old_main = &before[MAIN];
        let new_main = after.get(MAIN).expect("main is gone");
        let main_moved = new_main != old_main;
        assert!(
            !main_moved || self.is_the_revision(store, new_main, old_main),
            "main moved to {new_main}, which is not the new revision on top of {old_main}"
        );
        let tagged = after.contains_key(&tag_ref);
        if tagged {
            assert!(
                !before.contains_key(&tag_ref),
                "{tag_ref} existed before the operation"
            );
            let kind = git(store, &["cat-file", "-t", &tag_ref]).unwrap_or_default();
            assert_eq!(kind.trim(), "tag", "{tag_ref} is not an annotated tag");
            let commit = git(store, &["rev-parse", &format!("{tag_ref}^{{commit}}")])
                .expect("the tag names no commit");
            assert!(
                self.is_the_revision(store, commit.trim(), old_main),
                "{tag_ref} tags {commit}, which is not the new revision"
            );
            assert_eq!(
                commit.trim(),
                new_main,
                "{tag_ref} tags a revision main does not have"
            );
        }
        Left { main_moved, tagged }
    }
}
