//! Properties of `manual.toml` and of snapshots: any set of files gives a manual or a
//! refusal naming a file; valid chapters make one unless an id repeats.

use proptest::prelude::*;

use super::*;
use crate::content::{ManualInfo, Snapshot, SourceFile};

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_manual_toml_parses_or_is_refused(text in prop_oneof![
        unicode(200),
        prop::collection::vec(line(), 0..6).prop_map(|l| l.join("\n")),
        (value(), value()).prop_map(|(t, d)| format!("title = {t}\ndescription = {d}\n")),
    ]) {
        match ManualInfo::parse("m/manual.toml", &text) {
            Ok(info) => {
                prop_assert!(!info.title.is_empty() && info.title == info.title.trim());
                prop_assert!(!info.title.chars().any(char::is_control));
            }
            Err(e) => check_error(&e, "m/manual.toml", &text),
        }
    }

    #[test]
    fn a_manual_toml_written_by_the_rules_parses(t in title(), d in prop::option::of(unicode(80))) {
        let mut text = format!("title = {}\n", toml_string(&t));
        if let Some(d) = &d {
            text.push_str(&format!("description = {}\n", toml_string(d)));
        }
        let info = ManualInfo::parse("manual.toml", &text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(info.title, t);
        prop_assert_eq!(info.description, d.map(|d| d.trim().to_owned()));
    }
}

/// A file of a snapshot: a chapter (valid, mangled or not text), a manual.toml, another file.
fn source_file(ids: &'static [&'static str]) -> impl Strategy<Value = SourceFile> {
    let chapter = (proptest::sample::select(ids), title()).prop_map(|(id, t)| {
        format!(
            "+++\ntitle = {}\nid = \"{id}\"\n+++\nBody.\n",
            toml_string(&t)
        )
    });
    let bytes = prop_oneof![
        4 => chapter.prop_map(String::into_bytes),
        2 => mangled_chapter().prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..40),
        1 => Just(b"title = \"A manual\"\n".to_vec()),
    ];
    let path = prop_oneof![
        6 => path(),
        1 => Just("manual.toml".to_owned()),
        1 => unicode(10),
    ];
    (path, bytes).prop_map(|(path, bytes)| SourceFile { path, bytes })
}

const IDS: &[&str] = &["a", "b", "c", "neglect", "s47"];

fn manual() -> SourceFile {
    SourceFile {
        path: "manual.toml".into(),
        bytes: b"title = \"Safeguarding Children\"\n".to_vec(),
    }
}

/// Valid chapters only: `(path, id)`; paths are distinct, ids may repeat.
fn clean_files() -> impl Strategy<Value = Vec<(String, &'static str)>> {
    prop::collection::btree_map(
        "([a-z]{1,6}/){0,2}[a-z0-9][a-z0-9-]{0,9}\\.md",
        proptest::sample::select(IDS),
        0..7,
    )
    .prop_map(|m| m.into_iter().collect())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_file_set_gives_a_snapshot_or_a_refusal(
        label in prop_oneof![Just(String::new()), "[a-z/]{1,10}", unicode(8)],
        with_manual in any::<bool>(),
        files in prop::collection::vec(source_file(IDS), 0..8),
    ) {
        let mut files = files;
        if with_manual {
            files.insert(0, manual());
        }
        match Snapshot::parse(&label, &files) {
            Ok(s) => {
                let md = files.iter().filter(|f| f.path.ends_with(".md")).count();
                prop_assert_eq!(s.chapters.len(), md);
                prop_assert!(s.chapters.windows(2).all(|w| w[0].id < w[1].id), "ordered, unique ids");
                for c in &s.chapters {
                    prop_assert!(files.iter().any(|f| f.path == c.path), "{} is a file", c.path);
                }
            }
            Err(e) => prop_assert!(!e.file.is_empty() && !e.rule.is_empty(), "{e:?}"),
        }
    }

    #[test]
    fn valid_chapters_make_a_snapshot_unless_an_id_repeats(files in clean_files()) {
        let mut sources = vec![manual()];
        sources.extend(files.iter().map(|(path, id)| SourceFile {
            path: path.clone(),
            bytes: format!("+++\ntitle = \"T\"\nid = \"{id}\"\n+++\n").into_bytes(),
        }));
        let mut ids: Vec<&str> = files.iter().map(|(_, id)| *id).collect();
        ids.sort_unstable();
        let repeats = ids.windows(2).any(|w| w[0] == w[1]);
        match Snapshot::parse("snap", &sources) {
            Ok(s) => {
                prop_assert!(!repeats && !files.is_empty());
                let got: Vec<&str> = s.chapters.iter().map(|c| c.id.as_str()).collect();
                prop_assert_eq!(got, ids);
            }
            Err(e) if files.is_empty() => prop_assert!(e.rule.contains("no chapters"), "{e}"),
            Err(e) => {
                prop_assert!(repeats, "{}", e);
                prop_assert!(e.rule.starts_with("duplicate chapter id"), "{}", e);
            }
        }
    }
}
