//! Reading a snapshot folder from disk: the thin I/O edge of the content format.

use std::fs;
use std::path::Path;

use super::{ContentError, MANUAL_FILE, MAX_CHAPTER_BYTES};

/// The paths, relative to `dir` and sorted, of `manual.toml` and every `*.md` file below
/// it, skipping hidden files and folders; their sizes are checked, their contents not read
/// (see [`read_snapshot_file`]). Symbolic links are refused rather than followed, so a
/// snapshot cannot pull in files from elsewhere on the machine.
pub fn snapshot_paths(dir: &Path) -> Result<Vec<String>, ContentError> {
    let label = dir.display().to_string();
    let meta = fs::metadata(dir)
        .map_err(|e| ContentError::file(&label, format!("cannot read the snapshot folder: {e}")))?;
    if !meta.is_dir() {
        return Err(ContentError::file(&label, "is not a folder".into()));
    }
    let mut found = Vec::new();
    walk(dir, "", &mut found)?;
    found.sort();
    Ok(found)
}

/// Reads one file of a snapshot folder (a path from [`snapshot_paths`]), refusing one that
/// has grown past the largest chapter since it was listed.
pub fn read_snapshot_file(dir: &Path, rel: &str) -> Result<Vec<u8>, ContentError> {
    use std::io::Read as _;
    let path = dir.join(rel);
    let err = |e: String| ContentError::file(&path.display().to_string(), e);
    let file = fs::File::open(&path).map_err(|e| err(e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(MAX_CHAPTER_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| err(e.to_string()))?;
    if bytes.len() > MAX_CHAPTER_BYTES {
        return Err(err(format!(
            "the file is over {MAX_CHAPTER_BYTES} bytes; a chapter may be at most {MAX_CHAPTER_BYTES} bytes"
        )));
    }
    Ok(bytes)
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
