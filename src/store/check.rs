//! The store's own consistency, as `chapterhouse check` reports it: every tag a release,
//! every release on the main branch, and everything it holds readable and valid.

use std::collections::HashSet;

use super::{MAIN, Store, StoreError, release};
use crate::content::{ManualId, ReleaseName};

impl Store {
    /// What is wrong with the store's tags and releases, one line each: a tag that is not
    /// `<manual>/<release>`, not annotated or without a release date; a release whose
    /// revision is not on the main branch; an object a release holds that cannot be read;
    /// a release whose content is not valid (as `import` would refuse it).
    pub fn problems(&self) -> Result<Vec<String>, StoreError> {
        let repo = self.repo()?;
        let main = match repo.refname_to_id(MAIN) {
            Ok(oid) => Some(oid),
            Err(e) if e.code() == git2::ErrorCode::NotFound => None,
            Err(e) => return Err(e.into()),
        };
        let mut problems = Vec::new();
        let mut seen = HashSet::new();
        for reference in repo.references_glob("refs/tags/*")? {
            let reference = reference?;
            let name = String::from_utf8_lossy(reference.name_bytes()).into_owned();
            let short = name.trim_start_matches("refs/tags/");
            let named = short.split_once('/').and_then(|(m, r)| {
                Some((m.parse::<ManualId>().ok()?, r.parse::<ReleaseName>().ok()?))
            });
            let Some((manual, _)) = named else {
                problems.push(format!(
                    "tag {short} is not named <manual>/<release>; it is not a release"
                ));
                continue;
            };
            let Ok(tag) = reference.peel_to_tag() else {
                problems.push(format!("tag {short} is not annotated; it is not a release"));
                continue;
            };
            let message = tag.message().ok().flatten().unwrap_or("");
            if let Err(reason) = release::parse_tag_message(message) {
                problems.push(format!("tag {short}: {reason}; it is not a release"));
                continue;
            }
            let target = tag.target_id();
            let on_main = main.is_some_and(|m| {
                m == target || repo.graph_descendant_of(m, target).unwrap_or(false)
            });
            if !on_main {
                problems.push(format!(
                    "release {short} fixes revision {target}, which is not on the main branch"
                ));
            }
            match repo.find_commit(target).and_then(|c| c.tree()) {
                Ok(tree) => match tree.get_name(manual.as_str()) {
                    Some(entry) => {
                        if let Err(e) = readable(&repo, entry.id(), &mut seen) {
                            problems
                                .push(format!("release {short} holds an unreadable object: {e}"));
                        }
                    }
                    None => problems.push(format!("release {short} holds no folder {manual}")),
                },
                Err(e) => problems.push(format!("release {short}: {e}")),
            }
        }
        Ok(problems)
    }
}

/// Reads an object and, for a tree, everything under it (each object once).
fn readable(
    repo: &git2::Repository,
    oid: git2::Oid,
    seen: &mut HashSet<git2::Oid>,
) -> Result<(), git2::Error> {
    if !seen.insert(oid) {
        return Ok(());
    }
    let object = repo.find_object(oid, None)?;
    if let Some(tree) = object.as_tree() {
        for entry in tree.iter() {
            readable(repo, entry.id(), seen)?;
        }
    } else {
        // Reading a blob's content checks the object database holds it whole.
        repo.find_blob(oid)?;
    }
    Ok(())
}
