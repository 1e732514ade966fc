//! A manual's snapshot: `manual.toml` plus every chapter file, validated as a whole.

use std::collections::HashMap;

use serde::Deserialize;

use super::{Chapter, ChapterId, ContentError};

/// The file naming a manual and describing it.
pub const MANUAL_FILE: &str = "manual.toml";

/// A manual's `manual.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualInfo {
    pub title: String,
    pub description: Option<String>,
}

/// One file of a snapshot: its path relative to the manual's folder, `/`-separated.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// A whole manual at one moment: what a snapshot folder holds and what a release fixes.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub info: ManualInfo,
    /// Ordered by id.
    pub chapters: Vec<Chapter>,
}

#[derive(Deserialize)]
struct ManualToml {
    title: Option<String>,
    description: Option<String>,
}

impl ManualInfo {
    /// Parses `manual.toml`.
    pub fn parse(path: &str, text: &str) -> Result<ManualInfo, ContentError> {
        let raw: ManualToml = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| {
                1 + text[..s.start.min(text.len())].matches('\n').count()
            });
            ContentError::at(path, line, e.message().trim().to_owned())
        })?;
        let title = raw.title.map(|t| t.trim().to_owned()).unwrap_or_default();
        if title.is_empty() || title.chars().any(char::is_control) {
            return Err(ContentError::file(
                path,
                "`title` is required: one line naming the manual".into(),
            ));
        }
        Ok(ManualInfo {
            title,
            description: raw.description.map(|d| d.trim().to_owned()),
        })
    }
}

/// A snapshot checked file by file, its texts not held: what `keep` made of each file
/// (`manual.toml` and every chapter), in the order the files were given.
#[derive(Debug)]
pub struct CheckedSnapshot<T> {
    pub info: ManualInfo,
    pub files: Vec<(String, T)>,
    /// The chapters' ids, in id order.
    pub ids: Vec<ChapterId>,
}

impl Snapshot {
    /// Validates a manual's files: `manual.toml` at the top, chapters (`*.md`) at any depth,
    /// ids unique. `label` prefixes file names in messages (the folder or manual they
    /// came from). Files of other kinds are ignored.
    pub fn parse(label: &str, files: &[SourceFile]) -> Result<Snapshot, ContentError> {
        let checked = Snapshot::check(
            label,
            files.iter().collect(),
            |file| file.path.as_str(),
            |file| Ok(file.bytes.clone()),
            |chapter, _| chapter,
        )?;
        let mut chapters: Vec<Chapter> = checked.files.into_iter().filter_map(|(_, c)| c).collect();
        chapters.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Snapshot {
            info: checked.info,
            chapters,
        })
    }

    /// Validates a manual's files as [`Snapshot::parse`] does, reading each with `read`
    /// when its turn comes and handing it (with its chapter, `None` for `manual.toml`) to
    /// `keep`: only what `keep` returns is held, so a snapshot of any size is checked in
    /// the memory of a few files. Files are read on every core.
    pub fn check<F: Send, T: Send>(
        label: &str,
        files: Vec<F>,
        path_of: impl Fn(&F) -> &str + Sync,
        read: impl Fn(&F) -> Result<Vec<u8>, ContentError> + Sync,
        keep: impl Fn(Option<Chapter>, &SourceFile) -> T + Sync,
    ) -> Result<CheckedSnapshot<T>, ContentError> {
        let named = |path: &str| {
            if label.is_empty() {
                path.to_owned()
            } else {
                format!("{}/{}", label.trim_end_matches('/'), path)
            }
        };
        fn text_of<'f>(
            file: &'f SourceFile,
            named: &dyn Fn(&str) -> String,
        ) -> Result<&'f str, ContentError> {
            std::str::from_utf8(&file.bytes).map_err(|e| {
                ContentError::file(&named(&file.path), format!("not UTF-8 text ({e})"))
            })
        }
        let manual = files
            .iter()
            .find(|f| path_of(f) == MANUAL_FILE)
            .ok_or_else(|| {
                ContentError::file(
                    &named(MANUAL_FILE),
                    "missing: a manual needs a manual.toml with its title".into(),
                )
            })?;
        let manual_file = SourceFile {
            path: MANUAL_FILE.to_owned(),
            bytes: read(manual)?,
        };
        let info = ManualInfo::parse(&named(MANUAL_FILE), text_of(&manual_file, &named)?)?;
        let manual_kept = keep(None, &manual_file);

        let chapter_files: Vec<F> = files
            .into_iter()
            .filter(|f| path_of(f).ends_with(".md"))
            .collect();
        if chapter_files.is_empty() {
            return Err(ContentError::file(
                if label.is_empty() { "." } else { label },
                "no chapters: a manual needs at least one `.md` chapter file".into(),
            ));
        }
        // Parsing is independent per file; large manuals use every core.
        let checked = crate::parallel::in_chunks(chapter_files, 256, |chunk| {
            chunk
                .into_iter()
                .map(|f| {
                    let file = SourceFile {
                        bytes: read(&f)?,
                        path: path_of(&f).to_owned(),
                    };
                    let mut chapter = Chapter::parse(&named(&file.path), text_of(&file, &named)?)?;
                    // Messages name files relative to the snapshot; keep paths relative to
                    // the manual.
                    chapter.path.clone_from(&file.path);
                    let id = chapter.id.clone();
                    let kept = keep(Some(chapter), &file);
                    Ok((id, file.path, kept))
                })
                .collect::<Result<Vec<_>, ContentError>>()
        });
        let mut seen: HashMap<ChapterId, String> = HashMap::new();
        let mut files = vec![(MANUAL_FILE.to_owned(), manual_kept)];
        for (id, path, kept) in checked
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
        {
            if let Some(first) = seen.insert(id.clone(), path.clone()) {
                return Err(ContentError::file(
                    &named(&path),
                    format!(
                        "duplicate chapter id {:?}: {} has it already",
                        id.as_str(),
                        named(&first)
                    ),
                ));
            }
            files.push((path, kept));
        }
        let mut ids: Vec<ChapterId> = seen.into_keys().collect();
        ids.sort();
        Ok(CheckedSnapshot { info, files, ids })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> SourceFile {
        SourceFile {
            path: path.into(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    const MANUAL: &str = "title = \"Safeguarding Children Procedures\"\n";

    #[test]
    fn a_snapshot_collects_chapters_at_any_depth() {
        let s = Snapshot::parse(
            "snap",
            &[
                file("manual.toml", MANUAL),
                file("a/b/second.md", "+++\ntitle = \"B\"\n+++\n"),
                file("first.md", "+++\ntitle = \"A\"\n+++\n"),
                file("notes.txt", "ignored"),
            ],
        )
        .unwrap();
        assert_eq!(s.info.title, "Safeguarding Children Procedures");
        let ids: Vec<_> = s.chapters.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["first", "second"]);
        assert_eq!(s.chapters[1].path, "a/b/second.md");
    }

    #[test]
    fn duplicate_ids_name_both_files() {
        let e = Snapshot::parse(
            "snap",
            &[
                file("manual.toml", MANUAL),
                file("a/x.md", "+++\ntitle = \"A\"\n+++\n"),
                file("b/y.md", "+++\ntitle = \"B\"\nid = \"x\"\n+++\n"),
            ],
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "snap/b/y.md: duplicate chapter id \"x\": snap/a/x.md has it already"
        );
    }

    #[test]
    fn a_manual_needs_a_title_and_chapters() {
        let e = Snapshot::parse("snap", &[file("x.md", "+++\ntitle = \"A\"\n+++\n")]).unwrap_err();
        assert!(
            e.to_string().starts_with("snap/manual.toml: missing"),
            "{e}"
        );
        let e = Snapshot::parse("snap", &[file("manual.toml", MANUAL)]).unwrap_err();
        assert!(e.to_string().contains("no chapters"), "{e}");
        let e = Snapshot::parse("snap", &[file("manual.toml", "title = [\n")]).unwrap_err();
        assert!(e.to_string().starts_with("snap/manual.toml:1:"), "{e}");
    }

    #[test]
    fn binary_files_are_refused_by_name() {
        let mut bad = file("x.md", "");
        bad.bytes = vec![0xff, 0xfe, 0x00];
        let e = Snapshot::parse("snap", &[file("manual.toml", MANUAL), bad]).unwrap_err();
        assert!(e.to_string().starts_with("snap/x.md: not UTF-8"), "{e}");
    }
}
