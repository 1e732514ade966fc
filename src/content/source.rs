//! Reading a snapshot folder from disk: the thin I/O edge of the content format.

use std::fs;
use std::path::Path;

use super::{ContentError, MANUAL_FILE, MAX_CHAPTER_BYTES, SourceFile};

/// Reads `manual.toml` and every `*.md` file below `dir`, skipping hidden files and folders.
/// Symbolic links are refused rather than followed, so a snapshot cannot pull in files from
/// elsewhere on the machine.
pub fn read_snapshot_dir(dir: &Path) -> Result<Vec<SourceFile>, ContentError> {
    let label = dir.display().to_string();
    let meta = fs::metadata(dir)
        .map_err(|e| ContentError::file(&label, format!("cannot read the snapshot folder: {e}")))?;
    if !meta.is_dir() {
        return Err(ContentError::file(&label, "is not a folder".into()));
    }
    let mut found = Vec::new();
    walk(dir, "", &mut found)?;
    found.sort();
    // Reading is mostly waiting on the filesystem: read on every core.
    let read = crate::parallel::in_chunks(found, 256, |chunk| {
        chunk
            .into_iter()
            .map(|rel| {
                let path = dir.join(&rel);
                let bytes = fs::read(&path)
                    .map_err(|e| ContentError::file(&path.display().to_string(), e.to_string()))?;
                Ok(SourceFile { path: rel, bytes })
            })
            .collect::<Result<Vec<_>, ContentError>>()
    });
    // Moved out of the chunks, not copied: a snapshot's files can be hundreds of MB.
    let chunks = read.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok(chunks.into_iter().flatten().collect())
}

/// Collects the relative paths of the files to read, checking sizes and refusing links.
fn walk(root: &Path, prefix: &str, out: &mut Vec<String>) -> Result<(), ContentError> {
    let dir = root.join(prefix);
    let io_err = |path: &Path, e: std::io::Error| {
        ContentError::file(&path.display().to_string(), e.to_string())
    };
    let entries = fs::read_dir(&dir).map_err(|e| io_err(&dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_err(&dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            return Err(ContentError::file(
                &entry.path().display().to_string(),
                "file names must be UTF-8".into(),
            ));
        };
        if name.starts_with('.') {
            continue;
        }
        let rel = if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}/{name}")
        };
        let kind = entry.file_type().map_err(|e| io_err(&entry.path(), e))?;
        if kind.is_symlink() {
            return Err(ContentError::file(
                &entry.path().display().to_string(),
                "symbolic links are not allowed in a snapshot".into(),
            ));
        }
        if kind.is_dir() {
            walk(root, &rel, out)?;
        } else if rel == MANUAL_FILE || name.ends_with(".md") {
            let size = entry
                .metadata()
                .map_err(|e| io_err(&entry.path(), e))?
                .len();
            if size > MAX_CHAPTER_BYTES as u64 {
                return Err(ContentError::file(
                    &entry.path().display().to_string(),
                    format!(
                        "the file is {size} bytes; a chapter may be at most {MAX_CHAPTER_BYTES} bytes"
                    ),
                ));
            }
            out.push(rel);
        } else {
            tracing::warn!(file = %entry.path().display(), "not a chapter or manual.toml; ignored");
        }
    }
    Ok(())
}
