//! A manual's files as git objects: blob ids computed the fast way, and the nested trees of
//! a manual's folder, written with only the blobs the store lacks.

use std::collections::{HashMap, HashSet};

use super::{StoreError, StoredFile};
use crate::content::ContentError;

/// The id git gives a blob: SHA-1 of `blob <length>\0` and the content. Computed here with
/// a fast SHA-1 (hardware-accelerated where the CPU has it) rather than libgit2's
/// collision-detecting one, which is several times slower and was most of an import.
/// The id only decides which blobs the store has already; every blob that is written is
/// hashed again, with collision detection, by libgit2.
pub fn blob_id(bytes: &[u8]) -> String {
    use sha1::{Digest, Sha1};
    let mut hasher = Sha1::new();
    hasher.update(format!("blob {}\0", bytes.len()).as_bytes());
    hasher.update(bytes);
    format!("{:x}", hasher.finalize())
}

/// Builds the nested trees for a manual's files, reading and writing only the blobs not in
/// `known`.
pub(super) fn build_tree(
    repo: &git2::Repository,
    files: &[StoredFile],
    known: &HashSet<git2::Oid>,
    read: &dyn Fn(&str) -> Result<Vec<u8>, StoreError>,
) -> Result<git2::Oid, StoreError> {
    #[derive(Default)]
    struct Dir<'a> {
        files: Vec<(&'a str, &'a StoredFile)>,
        dirs: HashMap<&'a str, Dir<'a>>,
    }
    fn write(
        repo: &git2::Repository,
        dir: &Dir<'_>,
        known: &HashSet<git2::Oid>,
        read: &dyn Fn(&str) -> Result<Vec<u8>, StoreError>,
    ) -> Result<git2::Oid, StoreError> {
        let mut builder = repo.treebuilder(None)?;
        for (name, file) in &dir.files {
            let listed = git2::Oid::from_str(&file.blob)?;
            let blob = if known.contains(&listed) {
                listed
            } else {
                let bytes = read(&file.path)?;
                if blob_id(&bytes) != file.blob {
                    return Err(ContentError::file(
                        &file.path,
                        "changed while it was being imported; the manual is as it was, import again"
                            .into(),
                    )
                    .into());
                }
                repo.blob(&bytes)?
            };
            builder.insert(name, blob, git2::FileMode::Blob.into())?;
        }
        for (name, sub) in &dir.dirs {
            builder.insert(
                name,
                write(repo, sub, known, read)?,
                git2::FileMode::Tree.into(),
            )?;
        }
        Ok(builder.write()?)
    }
    let mut root = Dir::default();
    for file in files {
        let mut parts: Vec<&str> = file.path.split('/').collect();
        let name = parts.pop().unwrap_or_default();
        let mut dir = &mut root;
        for part in parts {
            dir = dir.dirs.entry(part).or_default();
        }
        dir.files.push((name, file));
    }
    write(repo, &root, known, read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_ids_are_gits() {
        for content in [
            &b""[..],
            b"hello\n",
            &[0u8, 159, 146, 150][..],
            &vec![b'x'; 100_000][..],
        ] {
            assert_eq!(
                blob_id(content),
                git2::Oid::hash_object(git2::ObjectType::Blob, content)
                    .unwrap()
                    .to_string()
            );
        }
    }
}
