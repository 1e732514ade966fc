//! The binary run from any folder: built-in defaults, sample and glossary (SPEC §6).

use std::path::Path;
use std::process::Command;

use crate::support::Run;

/// Runs the binary in `dir` with no config file and no --config.
fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_chapterhouse"))
        .current_dir(dir)
        .args(args)
        .envs(env.iter().copied())
        .env_remove("CHAPTERHOUSE_LOG")
        .output()
        .unwrap();
    Run::from(out)
}

#[test]
fn the_binary_runs_from_any_folder_with_its_sample_and_glossary_built_in() {
    let dir = tempfile::tempdir().unwrap();
    let seeded = [("CHAPTERHOUSE__DATA__SEED_SAMPLE", "true")];
    // The built-in sample, seeded into ./data, and the built-in glossary: "LADO" finds the
    // chapter that writes "Local Authority Designated Officer".
    let found = run_in(dir.path(), &["search", "lado", "--format", "json"], &seeded).ok();
    let json: serde_json::Value = serde_json::from_str(&found.stdout).unwrap();
    assert!(json["total"].as_u64().unwrap() > 0, "{json}");
    assert!(dir.path().join("data/store.git").is_dir());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("data"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".sample"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "the unpacked sample is removed: {leftovers:?}"
    );
    let notice = run_in(dir.path(), &["diff", "--manual", "children"], &[]).ok();
    assert!(notice.stdout.contains("Updated"), "{}", notice.stdout);

    // Without the environment variable the built-in defaults hold: no sample.
    let other = tempfile::tempdir().unwrap();
    run_in(other.path(), &["diff", "--manual", "children"], &[]).refused("unknown manual");
    // A config file named but missing is an error; so is a glossary file named but missing.
    run_in(
        other.path(),
        &["--config", "nowhere.toml", "diff", "--manual", "m"],
        &[],
    )
    .refused("does not exist");
    let glossary = [
        ("CHAPTERHOUSE__DATA__SEED_SAMPLE", "true"),
        ("CHAPTERHOUSE__SEARCH__GLOSSARY", "missing-glossary.toml"),
    ];
    run_in(other.path(), &["search", "lado"], &glossary).refused("cannot read the glossary");
}

#[test]
fn a_glossary_file_extends_the_built_in_one_or_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("extra.toml"),
        "[terms]\n\"ZQX\" = [\"strategy discussion\"]\n",
    )
    .unwrap();
    let env = |mode: &'static str| {
        [
            ("CHAPTERHOUSE__DATA__SEED_SAMPLE", "true"),
            ("CHAPTERHOUSE__SEARCH__GLOSSARY", "extra.toml"),
            ("CHAPTERHOUSE__SEARCH__GLOSSARY_MODE", mode),
        ]
    };
    let total = |query: &str, mode: &'static str| -> u64 {
        let run = run_in(
            dir.path(),
            &["search", query, "--format", "json"],
            &env(mode),
        )
        .ok();
        serde_json::from_str::<serde_json::Value>(&run.stdout).unwrap()["total"]
            .as_u64()
            .unwrap()
    };
    assert!(total("zqx", "extend") > 0, "the file's entry");
    let lado_extended = total("lado", "extend");
    let lado_replaced = total("lado", "replace");
    assert!(total("zqx", "replace") > 0);
    assert!(
        lado_replaced < lado_extended,
        "without the built-in LADO entry, fewer chapters match: {lado_replaced} < {lado_extended}"
    );
    run_in(
        dir.path(),
        &["search", "lado"],
        &[("CHAPTERHOUSE__SEARCH__GLOSSARY_MODE", "sometimes")],
    )
    .refused("`extend` or `replace`");
}
