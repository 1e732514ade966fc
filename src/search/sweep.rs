//! Clearing the index folder of segment files no commit refers to. Tantivy deletes the
//! files it knows it wrote, from a list each process keeps in memory and saves; when two
//! processes write the same index in turn (a server catching up beside an import, or two
//! imports), each saves its own list over the other's, and the files the other wrote are
//! then known to nobody. Left there, they grew a national host's index to four times the
//! size of the segments in use. Swept whenever a writer is taken, under the writer's lock.

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, SystemTime};

use tantivy::Index;

/// Files younger than this are left alone, as a margin: under the writer's lock, an unused
/// file is at most the output of a merge that a dropped writer will throw away.
const SPARED_FOR: Duration = Duration::from_secs(60);

/// Deletes the segment files of `dir` that the index's last commit does not use, and the
/// temporary files of writes never finished, unless they are younger than
/// [`SPARED_FOR`]. Returns how many bytes were freed. Called only by the holder of the
/// writer's lock, so nothing else is writing segments meanwhile.
pub(super) fn sweep(index: &Index, dir: &Path) -> tantivy::Result<u64> {
    let live: HashSet<String> = index
        .searchable_segment_ids()?
        .into_iter()
        .map(|id| id.uuid_string())
        .collect();
    let now = SystemTime::now();
    let mut freed = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(0);
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !is_unused(name, &live) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let young = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_none_or(|age| age < SPARED_FOR);
        if meta.is_file() && !young && std::fs::remove_file(entry.path()).is_ok() {
            freed += meta.len();
        }
    }
    if freed > 0 {
        tracing::info!(bytes = freed, "index: swept segment files no commit uses");
    }
    Ok(freed)
}

/// True for a segment file (`<32 hex digits>.<ext>`, or `.<opstamp>.del`) of a segment
/// not in `live`, and for an unfinished atomic write (`.tmp…`).
fn is_unused(name: &str, live: &HashSet<String>) -> bool {
    if name.starts_with(".tmp") {
        return true;
    }
    let Some((segment, _)) = name.split_once('.') else {
        return false;
    };
    segment.len() == 32 && segment.bytes().all(|b| b.is_ascii_hexdigit()) && !live.contains(segment)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_of_segments_no_commit_uses_are_unused() {
        let live: HashSet<String> = ["0123456789abcdef0123456789abcdef".to_owned()].into();
        for used in [
            "0123456789abcdef0123456789abcdef.idx",
            "0123456789abcdef0123456789abcdef.12.del",
            "meta.json",
            ".managed.json",
            ".tantivy-writer.lock",
            "notes.txt",
            "0123.idx",
        ] {
            assert!(!is_unused(used, &live), "{used}");
        }
        for unused in [
            "fedcba9876543210fedcba9876543210.store",
            "fedcba9876543210fedcba9876543210.7.del",
            ".tmpAbC123",
        ] {
            assert!(is_unused(unused, &live), "{unused}");
        }
    }

    #[test]
    fn a_sweep_frees_old_unused_files_and_leaves_the_index_whole() {
        use tantivy::schema::{STORED, STRING, Schema};
        let dir = tempfile::tempdir().unwrap();
        let mut schema = Schema::builder();
        let id = schema.add_text_field("id", STRING | STORED);
        let index = Index::create_in_dir(dir.path(), schema.build()).unwrap();
        let mut writer: tantivy::IndexWriter =
            index.writer_with_num_threads(1, 15_000_000).unwrap();
        writer.add_document(tantivy::doc!(id => "a")).unwrap();
        writer.commit().unwrap();
        let old = dir.path().join("fedcba9876543210fedcba9876543210.store");
        let recent = dir.path().join("00000000000000000000000000000001.idx");
        std::fs::write(&old, vec![0u8; 1000]).unwrap();
        std::fs::write(&recent, b"new").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(SystemTime::now() - SPARED_FOR * 2)
            .unwrap();
        let files = || std::fs::read_dir(dir.path()).unwrap().count();
        let before = files();
        assert_eq!(sweep(&index, dir.path()).unwrap(), 1000);
        assert!(!old.exists() && recent.exists());
        assert_eq!(files(), before - 1, "only the old unused file went");
        let reader = index.reader().unwrap();
        assert_eq!(reader.searcher().num_docs(), 1);
    }
}
