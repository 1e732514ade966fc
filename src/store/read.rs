//! Reading a manual as it stood at a revision, and the chapters that differ between two.

use std::collections::HashSet;

use super::{Revision, Store, StoreError};
use crate::content::{Chapter, ContentError, ManualId, Snapshot, SourceFile};

/// A file of a manual at some revision: its path in the manual's folder and its blob.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub path: String,
    pub blob: String,
}

impl StoredFile {
    fn file_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

/// The chapters that may differ between two revisions of a manual: every chapter except
/// those whose file is byte-identical, under the same file name, on both sides.
#[derive(Debug, Default)]
pub struct ChangedChapters {
    pub earlier: Vec<Chapter>,
    pub later: Vec<Chapter>,
    /// The blob of each chapter in `earlier`, in the same order.
    pub earlier_blobs: Vec<String>,
    /// The blob of each chapter in `later`, in the same order.
    pub later_blobs: Vec<String>,
}

impl Store {
    /// The files of `manual` at `revision` (paths relative to the manual's folder).
    pub fn files_at(
        &self,
        revision: &Revision,
        manual: &ManualId,
    ) -> Result<Vec<StoredFile>, StoreError> {
        let repo = self.repo()?;
        let tree = repo.find_commit(revision.oid()?)?.tree()?;
        let entry = tree
            .get_name(manual.as_str())
            .filter(|e| e.kind() == Some(git2::ObjectType::Tree))
            .ok_or_else(|| StoreError::UnknownManual(manual.to_string()))?;
        let folder = repo.find_tree(entry.id())?;
        let mut files = Vec::new();
        folder.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() == Some(git2::ObjectType::Blob)
                && let Ok(name) = entry.name()
            {
                files.push(StoredFile {
                    path: format!("{dir}{name}"),
                    blob: entry.id().to_string(),
                });
            }
            git2::TreeWalkResult::Ok
        })?;
        Ok(files)
    }

    /// The blob of the file at `path` in `manual`'s folder at `revision`, if there is one.
    pub fn blob_at(
        &self,
        revision: &Revision,
        manual: &ManualId,
        path: &str,
    ) -> Result<Option<String>, StoreError> {
        let repo = self.repo()?;
        let tree = repo.find_commit(revision.oid()?)?.tree()?;
        let full = format!("{manual}/{path}");
        Ok(tree
            .get_path(std::path::Path::new(&full))
            .ok()
            .filter(|e| e.kind() == Some(git2::ObjectType::Blob))
            .map(|e| e.id().to_string()))
    }

    /// The files of `manual` that differ between two revisions: each path with its blob at
    /// `later` (`None` when the file is gone). Unchanged folders are skipped whole, so this
    /// costs what changed, not the size of the manual.
    pub fn changed_files(
        &self,
        manual: &ManualId,
        earlier: &Revision,
        later: &Revision,
    ) -> Result<Vec<(String, Option<String>)>, StoreError> {
        let repo = self.repo()?;
        let folder = |revision: &Revision| -> Result<Option<git2::Tree<'_>>, StoreError> {
            let tree = repo.find_commit(revision.oid()?)?.tree()?;
            let Some(entry) = tree.get_name(manual.as_str()) else {
                return Ok(None);
            };
            Ok(entry.to_object(&repo)?.into_tree().ok())
        };
        let (before, after) = (folder(earlier)?, folder(later)?);
        let diff = repo.diff_tree_to_tree(before.as_ref(), after.as_ref(), None)?;
        let mut changed = Vec::new();
        for delta in diff.deltas() {
            let new = delta.new_file();
            if let Some(path) = delta
                .old_file()
                .path()
                .filter(|_| delta.status() != git2::Delta::Added)
            {
                changed.push((path.to_string_lossy().into_owned(), None));
            }
            if delta.status() != git2::Delta::Deleted
                && let Some(path) = new.path()
            {
                let path = path.to_string_lossy().into_owned();
                changed.retain(|(p, _)| *p != path);
                changed.push((path, Some(new.id().to_string())));
            }
        }
        Ok(changed)
    }

    /// The commits, from `head` back along main, at which `manual`'s file at `path` has
    /// the blob `blob` (it has not changed since): at most `limit` of them.
    pub fn unchanged_since(
        &self,
        manual: &ManualId,
        head: &Revision,
        path: &str,
        blob: &str,
        limit: usize,
    ) -> Result<Vec<Revision>, StoreError> {
        let repo = self.repo()?;
        let full = format!("{manual}/{path}");
        let mut commits = Vec::new();
        let mut commit = repo.find_commit(head.oid()?)?;
        while commits.len() < limit {
            let same = commit
                .tree()?
                .get_path(std::path::Path::new(&full))
                .is_ok_and(|e| e.id().to_string() == blob);
            if !same {
                break;
            }
            commits.push(Revision(commit.id().to_string()));
            match commit.parents().next() {
                Some(parent) => commit = parent,
                None => break,
            }
        }
        Ok(commits)
    }

    /// The contents of a file.
    pub fn read_file(&self, file: &StoredFile) -> Result<Vec<u8>, StoreError> {
        let repo = self.repo()?;
        let oid = git2::Oid::from_str(&file.blob)?;
        Ok(repo.find_blob(oid)?.content().to_vec())
    }

    /// The whole manual at a revision, parsed and validated.
    pub fn snapshot_at(
        &self,
        revision: &Revision,
        manual: &ManualId,
    ) -> Result<Snapshot, StoreError> {
        let files = self
            .files_at(revision, manual)?
            .into_iter()
            .map(|f| {
                Ok(SourceFile {
                    bytes: self.read_file(&f)?,
                    path: f.path,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Snapshot::parse(manual.as_str(), &files)?)
    }

    /// The chapters to compare between two revisions of a manual (`earlier` = `None` for a
    /// manual's first release). Identical files are never read, which keeps a release diff
    /// proportional to what changed rather than to the size of the manual.
    pub fn changed_chapters(
        &self,
        manual: &ManualId,
        earlier: Option<&Revision>,
        later: &Revision,
    ) -> Result<ChangedChapters, StoreError> {
        let (earlier_files, later_files) = self.differing_files(manual, earlier, later)?;
        let earlier_blobs = earlier_files.iter().map(|f| f.blob.clone()).collect();
        let later_blobs = later_files.iter().map(|f| f.blob.clone()).collect();
        Ok(ChangedChapters {
            earlier: self.read_chapters(manual, earlier_files)?,
            later: self.read_chapters(manual, later_files)?,
            earlier_blobs,
            later_blobs,
        })
    }

    /// The chapter files of [`Store::changed_chapters`], not read: those at `earlier` and
    /// those at `later`, less the files byte-identical under the same name on both sides.
    pub fn differing_files(
        &self,
        manual: &ManualId,
        earlier: Option<&Revision>,
        later: &Revision,
    ) -> Result<(Vec<StoredFile>, Vec<StoredFile>), StoreError> {
        let is_chapter = |f: &StoredFile| f.path.ends_with(".md");
        let before: Vec<StoredFile> = match earlier {
            Some(rev) => self
                .files_at(rev, manual)?
                .into_iter()
                .filter(is_chapter)
                .collect(),
            None => Vec::new(),
        };
        let after: Vec<StoredFile> = self
            .files_at(later, manual)?
            .into_iter()
            .filter(is_chapter)
            .collect();
        let key = |f: &StoredFile| (f.file_name().to_owned(), f.blob.clone());
        let before_keys: HashSet<_> = before.iter().map(key).collect();
        let after_keys: HashSet<_> = after.iter().map(key).collect();
        let changed = |files: Vec<StoredFile>, other: &HashSet<(String, String)>| {
            files
                .into_iter()
                .filter(|f| !other.contains(&key(f)))
                .collect::<Vec<_>>()
        };
        Ok((changed(before, &after_keys), changed(after, &before_keys)))
    }

    /// Reads and parses chapter files (in their order), on every core when there are enough
    /// of them (each thread with a handle of its own from the pool).
    pub fn read_chapters(
        &self,
        manual: &ManualId,
        files: Vec<StoredFile>,
    ) -> Result<Vec<Chapter>, StoreError> {
        self.read_chapters_into(manual, files, |chapter, _| chapter)
    }

    /// Reads and parses chapter files as [`Store::read_chapters`] does, handing each
    /// chapter and its blob to `keep` as soon as it is read: only what `keep` returns is
    /// held, so reading a whole manual's front matter never holds all its text.
    pub fn read_chapters_into<T: Send>(
        &self,
        manual: &ManualId,
        files: Vec<StoredFile>,
        keep: impl Fn(Chapter, String) -> T + Sync,
    ) -> Result<Vec<T>, StoreError> {
        let files = files.into_iter().map(|f| (f, ())).collect();
        self.read_chapters_with(manual, files, |chapter, blob, ()| keep(chapter, blob))
    }

    /// As [`Store::read_chapters_into`], each file coming with a value of the caller's that
    /// `keep` is given beside its chapter.
    pub fn read_chapters_with<I: Send, T: Send>(
        &self,
        manual: &ManualId,
        files: Vec<(StoredFile, I)>,
        keep: impl Fn(Chapter, String, I) -> T + Sync,
    ) -> Result<Vec<T>, StoreError> {
        let read = |repo: &git2::Repository, files: Vec<(StoredFile, I)>| {
            files
                .into_iter()
                .map(|(f, with)| {
                    let blob = repo.find_blob(git2::Oid::from_str(&f.blob)?)?;
                    let label = format!("{manual}/{}", f.path);
                    let text = std::str::from_utf8(blob.content())
                        .map_err(|_| ContentError::file(&label, "not UTF-8 text".into()))?;
                    let mut chapter = Chapter::parse_stored(&label, text)?;
                    chapter.path = f.path;
                    Ok(keep(chapter, f.blob, with))
                })
                .collect::<Result<Vec<_>, StoreError>>()
        };
        const PARALLEL_FROM: usize = 32;
        if files.len() < PARALLEL_FROM {
            return read(&*self.repo()?, files);
        }
        let chunks =
            crate::parallel::in_chunks(files, PARALLEL_FROM, |chunk| read(&*self.repo()?, chunk));
        let mut chapters = Vec::new();
        for chunk in chunks {
            chapters.extend(chunk?);
        }
        Ok(chapters)
    }
}

impl Store {
    /// A manual's `manual.toml` at a revision.
    pub fn manual_info_at(
        &self,
        revision: &Revision,
        manual: &ManualId,
    ) -> Result<crate::content::ManualInfo, StoreError> {
        let repo = self.repo()?;
        let tree = repo.find_commit(revision.oid()?)?.tree()?;
        let path = format!("{manual}/{}", crate::content::MANUAL_FILE);
        let entry = tree
            .get_path(std::path::Path::new(&path))
            .map_err(|_| StoreError::UnknownManual(manual.to_string()))?;
        let blob = repo.find_blob(entry.id())?;
        let text = std::str::from_utf8(blob.content())
            .map_err(|_| crate::content::ContentError::file(&path, "not UTF-8 text".into()))?;
        Ok(crate::content::ManualInfo::parse(&path, text)?)
    }
}
