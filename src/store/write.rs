//! Writing to the store: a manual's new content as a commit, and publishing a release.
//! Objects are written first; refs move last, under git's ref locks and the writers' lock
//! ([`super::writers`]), so a refused or failed change leaves every ref exactly as it was.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};

use super::StoredFile;
use super::tree;
use super::writers::Writing;
use super::{MAIN, Release, Revision, Store, StoreError, release};
use crate::content::{ChapterId, ManualId, ReleaseName, SourceFile};

/// The editor a revision or release is attributed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub name: String,
    pub email: String,
}

impl FromStr for Author {
    type Err = String;

    /// Parses `Name <email>`.
    fn from_str(s: &str) -> Result<Author, String> {
        let bad = || format!("{s:?} is not an author: write it as \"Name <email@example.org>\"");
        let (name, rest) = s.split_once('<').ok_or_else(bad)?;
        let email = rest.strip_suffix('>').ok_or_else(bad)?;
        let name = name.trim();
        let ok =
            |t: &str| !t.is_empty() && !t.contains(['<', '>']) && !t.chars().any(char::is_control);
        if !ok(name) || !ok(email) || !email.contains('@') || email.contains(char::is_whitespace) {
            return Err(bad());
        }
        Ok(Author {
            name: name.to_owned(),
            email: email.to_owned(),
        })
    }
}

impl fmt::Display for Author {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} <{}>", self.name, self.email)
    }
}

impl Author {
    /// The author as git records them, at `when` (the application's clock, not git's).
    fn signature(&self, when: DateTime<Utc>) -> Result<git2::Signature<'static>, StoreError> {
        let time = git2::Time::new(when.timestamp(), 0);
        Ok(git2::Signature::new(&self.name, &self.email, &time)?)
    }
}

/// A revision written to the store but not yet on the main branch.
#[derive(Debug, Clone)]
pub struct PendingRevision {
    pub revision: Revision,
    /// The head of main it was built on; publishing fails if main has moved since.
    parent: Option<git2::Oid>,
    /// False when the content equals the parent's, so no new commit is needed.
    changed: bool,
}

impl PendingRevision {
    /// False when the content equals main's, so nothing new was committed.
    pub fn changed(&self) -> bool {
        self.changed
    }
}

/// What a release to publish is called, when it comes into force and its editor notes.
#[derive(Debug, Clone)]
pub struct NewRelease {
    pub name: ReleaseName,
    pub date: NaiveDate,
    pub notes: BTreeMap<ChapterId, String>,
}

impl Store {
    /// Writes `files` as the complete content of `manual` (adding, changing and deleting)
    /// in a commit on top of main, without moving main. Publish it with [`Store::publish`].
    pub fn prepare_revision(
        &self,
        manual: &ManualId,
        files: &[SourceFile],
        author: &Author,
        message: &str,
        when: DateTime<Utc>,
    ) -> Result<PendingRevision, StoreError> {
        // Hashing every file is most of the work: spread it over the cores.
        let refs: Vec<&SourceFile> = files.iter().collect();
        let entries: Vec<StoredFile> = crate::parallel::in_chunks(refs, 64, |chunk| {
            chunk
                .into_iter()
                .map(|f| StoredFile {
                    path: f.path.clone(),
                    blob: tree::blob_id(&f.bytes),
                })
                .collect::<Vec<_>>()
        })
        .concat();
        let by_path: HashMap<&str, &[u8]> = files
            .iter()
            .map(|f| (f.path.as_str(), f.bytes.as_slice()))
            .collect();
        let read = |path: &str| Ok(by_path[path].to_vec());
        self.prepare_revision_of(manual, &entries, read, author, message, when)
    }

    /// Writes the files listed (path and [`super::blob_id`]) as the complete content of `manual`,
    /// as [`Store::prepare_revision`] does, reading a file with `read` only when the store
    /// lacks its blob, one file at a time: a manual of any size is written in the memory
    /// of one file. A file whose content no longer has the listed id is refused.
    pub fn prepare_revision_of(
        &self,
        manual: &ManualId,
        files: &[StoredFile],
        read: impl Fn(&str) -> Result<Vec<u8>, StoreError>,
        author: &Author,
        message: &str,
        when: DateTime<Utc>,
    ) -> Result<PendingRevision, StoreError> {
        let repo = self.repo()?;
        let parent = match self.head()? {
            Some(rev) => Some(repo.find_commit(rev.oid()?)?),
            None => None,
        };
        // Blobs the manual already has are not written again: hashing in memory is far
        // cheaper than asking the object database about every file.
        let known: HashSet<git2::Oid> = match self.head()? {
            Some(head) => match self.files_at(&head, manual) {
                Ok(existing) => existing
                    .iter()
                    .filter_map(|f| git2::Oid::from_str(&f.blob).ok())
                    .collect(),
                Err(StoreError::UnknownManual(_)) => HashSet::new(),
                Err(e) => return Err(e),
            },
            None => HashSet::new(),
        };
        let manual_tree = tree::build_tree(&repo, files, &known, &read)?;
        let base = parent.as_ref().map(|c| c.tree()).transpose()?;
        let mut root = repo.treebuilder(base.as_ref())?;
        root.insert(manual.as_str(), manual_tree, git2::FileMode::Tree.into())?;
        let root = repo.find_tree(root.write()?)?;

        if let Some(parent) = &parent
            && parent.tree_id() == root.id()
        {
            return Ok(PendingRevision {
                revision: Revision(parent.id().to_string()),
                parent: Some(parent.id()),
                changed: false,
            });
        }
        let signature = author.signature(when)?;
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        let commit = repo.commit(None, &signature, &signature, message, &root, &parents)?;
        Ok(PendingRevision {
            revision: Revision(commit.to_string()),
            parent: parent.map(|p| p.id()),
            changed: true,
        })
    }

    /// Writes (`Some`) or deletes (`None`) one file of `manual` in a commit on top of main,
    /// without moving main: the rest of the tree is reused as it is, so the cost does not
    /// grow with the size of the manual. Publish it with [`Store::advance`].
    pub fn prepare_file_change(
        &self,
        manual: &ManualId,
        path: &str,
        bytes: Option<&[u8]>,
        author: &Author,
        message: &str,
        when: DateTime<Utc>,
    ) -> Result<PendingRevision, StoreError> {
        let repo = self.repo()?;
        let head = self
            .head()?
            .ok_or_else(|| StoreError::UnknownManual(manual.to_string()))?;
        let parent = repo.find_commit(head.oid()?)?;
        let base = parent.tree()?;
        let full = format!("{manual}/{path}");
        let mut update = git2::build::TreeUpdateBuilder::new();
        match bytes {
            Some(bytes) => update.upsert(&full, repo.blob(bytes)?, git2::FileMode::Blob),
            None => update.remove(&full),
        };
        let root = repo.find_tree(update.create_updated(&repo, &base)?)?;
        if root.id() == base.id() {
            return Ok(PendingRevision {
                revision: head,
                parent: Some(parent.id()),
                changed: false,
            });
        }
        let signature = author.signature(when)?;
        let commit = repo.commit(None, &signature, &signature, message, &root, &[&parent])?;
        Ok(PendingRevision {
            revision: Revision(commit.to_string()),
            parent: Some(parent.id()),
            changed: true,
        })
    }

    /// Main's head as a revision to publish as it is (no new commit).
    pub fn head_revision(&self) -> Result<Option<PendingRevision>, StoreError> {
        Ok(self.head()?.map(|revision| {
            let oid = revision.oid().ok();
            PendingRevision {
                revision,
                parent: oid,
                changed: false,
            }
        }))
    }

    /// Moves main to a prepared revision, if main is still where the revision was built
    /// on; otherwise nothing moves and the change is refused as a conflict.
    pub fn advance(&self, pending: &PendingRevision) -> Result<(), StoreError> {
        let repo = self.repo()?;
        if !pending.changed {
            return Ok(());
        }
        let writing = Writing::begin(&self.path)?;
        writing.clear_left_locks(&[MAIN])?;
        let mut tx = repo.transaction()?;
        tx.lock_ref(MAIN)?;
        if repo.refname_to_id(MAIN).ok() != pending.parent {
            return Err(StoreError::Conflict);
        }
        tx.set_target(MAIN, pending.revision.oid()?, None, "edit")?;
        tx.commit()?;
        Ok(())
    }

    /// Publishes a release of `manual` at `pending` (or at main's head when `None`): main
    /// moves to the pending revision, then the annotated tag is created; a refused release
    /// moves neither. A writer killed between the two leaves the revision on main with no
    /// release yet, which publishing it again completes, and never a release whose
    /// revision main lacks.
    pub fn publish(
        &self,
        manual: &ManualId,
        pending: Option<&PendingRevision>,
        release: &NewRelease,
        publisher: &Author,
        when: DateTime<Utc>,
    ) -> Result<Release, StoreError> {
        let repo = self.repo()?;
        let tag_ref = format!("refs/tags/{}", Release::tag_name(manual, &release.name));
        let target = match pending {
            Some(p) => p.revision.oid()?,
            None => self
                .head()?
                .ok_or(StoreError::UnknownManual(manual.to_string()))?
                .oid()?,
        };
        let message = release::tag_message(manual, &release.name, release.date, &release.notes);
        let tag = repo.tag_annotation_create(
            &Release::tag_name(manual, &release.name),
            &repo.find_object(target, Some(git2::ObjectType::Commit))?,
            &publisher.signature(when)?,
            &message,
        )?;
        let exists = || StoreError::ReleaseExists {
            manual: manual.clone(),
            name: release.name.clone(),
        };

        let writing = Writing::begin(&self.path)?;
        writing.clear_left_locks(&[MAIN, &tag_ref])?;
        let mut tx = repo.transaction()?;
        tx.lock_ref(MAIN)?;
        tx.lock_ref(&tag_ref)?;
        // With both refs locked, nobody else can move them: check, then set. git moves
        // the refs of one transaction one by one, in no set order: main goes on its own.
        if repo.refname_to_id(&tag_ref).is_ok() {
            return Err(exists());
        }
        if let Some(p) = pending.filter(|p| p.changed) {
            let current = repo.refname_to_id(MAIN).ok();
            if current != p.parent {
                return Err(StoreError::Conflict);
            }
            tx.set_target(MAIN, target, None, "publish")?;
        }
        tx.commit()?;
        let mut tx = repo.transaction()?;
        tx.lock_ref(&tag_ref)?;
        // Only a git command outside chapterhouse could have made it meanwhile.
        if repo.refname_to_id(&tag_ref).is_ok() {
            return Err(exists());
        }
        tx.set_target(&tag_ref, tag, None, "release")?;
        tx.commit()?;
        drop(writing);
        self.release(manual, release.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authors_read_as_name_and_email() {
        let a: Author = "Jo Bloggs <jo@example.org>".parse().unwrap();
        assert_eq!(
            (a.name.as_str(), a.email.as_str()),
            ("Jo Bloggs", "jo@example.org")
        );
        assert_eq!(a.to_string(), "Jo Bloggs <jo@example.org>");
        for bad in [
            "Jo",
            "<jo@example.org>",
            "Jo <jo>",
            "Jo <a@b>\nX",
            "Jo <a b@c>",
        ] {
            assert!(bad.parse::<Author>().is_err(), "{bad:?}");
        }
    }
}
