//! A manual's log: the commits on main that changed something in its folder, newest first,
//! each with its author and the files it touched.

use chrono::{DateTime, Utc};

use super::{Revision, Store, StoreError};
use crate::content::ManualId;

/// One commit that changed a manual.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogEntry {
    pub revision: Revision,
    /// The author's name (the editor, for edits made through chapterhouse).
    pub author: String,
    pub email: String,
    /// The author time (the application's clock when the commit was made).
    pub at: DateTime<Utc>,
    /// The message's first line.
    pub message: String,
    /// The files added, changed or deleted, relative to the manual's folder, in path order.
    pub files: Vec<String>,
}

impl Store {
    /// The commits reachable from `from` along first parents (main's own line, newest
    /// first) that changed something in `manual`'s folder: at most `limit` of them. The
    /// first commit that has the folder counts, with every file added.
    pub fn log(
        &self,
        manual: &ManualId,
        from: &Revision,
        limit: usize,
    ) -> Result<Vec<LogEntry>, StoreError> {
        let mut entries = Vec::new();
        self.walk_log(manual, from, limit, |entry| {
            entries.push(entry);
            true
        })?;
        Ok(entries)
    }

    /// Like [`Store::log`], giving each entry to `visit` as it is found; the walk stops
    /// when `visit` answers false or `limit` entries were given. Commits that leave the
    /// manual's folder as it was cost one tree lookup each: the folder's tree id is
    /// compared with the parent's, and only a changed folder is diffed.
    pub fn walk_log(
        &self,
        manual: &ManualId,
        from: &Revision,
        limit: usize,
        mut visit: impl FnMut(LogEntry) -> bool,
    ) -> Result<(), StoreError> {
        let repo = self.repo()?;
        let folder_of = |commit: &git2::Commit<'_>| -> Result<Option<git2::Oid>, StoreError> {
            Ok(commit
                .tree()?
                .get_name(manual.as_str())
                .filter(|e| e.kind() == Some(git2::ObjectType::Tree))
                .map(|e| e.id()))
        };
        let mut given = 0;
        let mut commit = repo.find_commit(from.oid()?)?;
        let mut folder = folder_of(&commit)?;
        while given < limit {
            let parent = commit.parents().next();
            let parent_folder = match &parent {
                Some(parent) => folder_of(parent)?,
                None => None,
            };
            if folder != parent_folder {
                let files = changed_paths(&repo, parent_folder, folder)?;
                given += 1;
                if !visit(entry(&commit, files)) {
                    break;
                }
            }
            match parent {
                Some(parent) => (commit, folder) = (parent, parent_folder),
                None => break,
            }
        }
        Ok(())
    }
}

/// The paths that differ between two versions of a manual's folder (`None`: absent).
fn changed_paths(
    repo: &git2::Repository,
    before: Option<git2::Oid>,
    after: Option<git2::Oid>,
) -> Result<Vec<String>, StoreError> {
    let tree = |oid: Option<git2::Oid>| oid.map(|oid| repo.find_tree(oid)).transpose();
    let (before, after) = (tree(before)?, tree(after)?);
    let diff = repo.diff_tree_to_tree(before.as_ref(), after.as_ref(), None)?;
    let mut paths = Vec::new();
    for delta in diff.deltas() {
        let old = delta
            .old_file()
            .path()
            .filter(|_| delta.status() != git2::Delta::Added);
        let new = delta
            .new_file()
            .path()
            .filter(|_| delta.status() != git2::Delta::Deleted);
        for path in [old, new].into_iter().flatten() {
            let path = path.to_string_lossy().into_owned();
            if !paths.contains(&path) {
                paths.push(path);
            }
        }
    }
    paths.sort();
    Ok(paths)
}

fn entry(commit: &git2::Commit<'_>, files: Vec<String>) -> LogEntry {
    let author = commit.author();
    let text =
        |bytes: Option<&[u8]>| String::from_utf8_lossy(bytes.unwrap_or_default()).into_owned();
    LogEntry {
        revision: Revision(commit.id().to_string()),
        author: text(Some(author.name_bytes())),
        email: text(Some(author.email_bytes())),
        at: DateTime::from_timestamp(author.when().seconds(), 0).unwrap_or_default(),
        message: text(commit.message_bytes().split(|&b| b == b'\n').next()),
        files,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::SourceFile;
    use crate::store::Author;

    fn file(path: &str, text: &str) -> SourceFile {
        SourceFile {
            path: path.into(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap()
    }

    fn commit(store: &Store, manual: &str, files: &[SourceFile], by: &str, when: i64) {
        let author: Author = by.parse().unwrap();
        let manual: ManualId = manual.parse().unwrap();
        let message = format!("Import {manual}\n\nWith a body.");
        let pending = store
            .prepare_revision(&manual, files, &author, &message, at(when))
            .unwrap();
        store.advance(&pending).unwrap();
    }

    fn change(store: &Store, path: &str, text: Option<&str>, by: &str, when: i64) {
        let author: Author = by.parse().unwrap();
        let manual: ManualId = "m".parse().unwrap();
        let message = format!("Change m/{path}");
        let bytes = text.map(str::as_bytes);
        let pending = store
            .prepare_file_change(&manual, path, bytes, &author, &message, at(when))
            .unwrap();
        store.advance(&pending).unwrap();
    }

    /// A store where `m` is imported, another manual is imported, then `m` is edited,
    /// extended and pruned by two editors.
    fn store_with_history(dir: &std::path::Path) -> Store {
        let store = Store::open_or_init(&dir.join("store")).unwrap();
        let ann = "Ann <ann@example.org>";
        let bob = "Bob <bob@example.org>";
        commit(
            &store,
            "m",
            &[
                file("manual.toml", "title = \"M\"\n"),
                file("a.md", "a"),
                file("deep/b.md", "b"),
            ],
            ann,
            0,
        );
        commit(&store, "other", &[file("x.md", "x")], ann, 10);
        change(&store, "deep/b.md", Some("b, edited"), bob, 20);
        change(&store, "c.md", Some("c"), ann, 30);
        change(&store, "a.md", None, bob, 40);
        store
    }

    #[test]
    fn the_log_lists_the_manuals_commits_newest_first_with_their_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_history(dir.path());
        let head = store.head().unwrap().unwrap();
        let log = store.log(&"m".parse().unwrap(), &head, 100).unwrap();
        let seen: Vec<(&str, &str, i64, &str, Vec<&str>)> = log
            .iter()
            .map(|e| {
                (
                    e.author.as_str(),
                    e.email.as_str(),
                    e.at.timestamp() - 1_700_000_000,
                    e.message.as_str(),
                    e.files.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("Bob", "bob@example.org", 40, "Change m/a.md", vec!["a.md"]),
                ("Ann", "ann@example.org", 30, "Change m/c.md", vec!["c.md"]),
                (
                    "Bob",
                    "bob@example.org",
                    20,
                    "Change m/deep/b.md",
                    vec!["deep/b.md"]
                ),
                (
                    "Ann",
                    "ann@example.org",
                    0,
                    "Import m",
                    vec!["a.md", "deep/b.md", "manual.toml"]
                ),
            ]
        );
        assert_eq!(log[0].revision, head);
        let other = store.log(&"other".parse().unwrap(), &head, 100).unwrap();
        assert_eq!(other.len(), 1);
        assert_eq!(other[0].files, ["x.md"]);
    }

    #[test]
    fn the_log_stops_at_its_limit_and_starts_where_it_is_told() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_history(dir.path());
        let manual: ManualId = "m".parse().unwrap();
        let head = store.head().unwrap().unwrap();
        let log = store.log(&manual, &head, 2).unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!(log[1].files, ["c.md"]);
        assert!(store.log(&manual, &head, 0).unwrap().is_empty());
        // From an older revision, later commits are not seen.
        let older = store.log(&manual, &log[1].revision, 100).unwrap();
        assert_eq!(older.len(), 3);
        assert_eq!(older[0], log[1]);
        // A visitor can stop the walk early.
        let mut visited = 0;
        store
            .walk_log(&manual, &head, 100, |_| {
                visited += 1;
                visited < 3
            })
            .unwrap();
        assert_eq!(visited, 3);
        let unknown = store.log(&"nothing".parse().unwrap(), &head, 100).unwrap();
        assert!(unknown.is_empty());
    }
}
