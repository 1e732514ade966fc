//! Backups an operator can take while the server runs, and restores into a new data
//! folder (SPEC §6 `backup`, `restore`).
//!
//! A backup folder holds `store.git` (a bare mirror of the store with every ref, fetched
//! from it as git fetches: the refs as they stood at one moment, with every object they
//! reach), `chapterhouse.db` (SQLite's online backup of the database, or a SQLite copy of
//! a PostgreSQL database's records, taken on one snapshot), `config.toml` (the
//! settings in force, the SMTP password left out) and `manifest.json`: the version that
//! wrote it, every ref, the rows of every table and the SHA-256 of every file. Neither
//! copy blocks readers: git reads objects that never change, and the database is copied
//! page by page between other connections' work.

mod manifest;

use std::path::Path;

use anyhow::{Context, bail};

use crate::app::Chapterhouse;
use crate::config::Config;
use crate::db::{Db, Engine};
pub use manifest::Manifest;

/// The files of a backup folder.
const STORE: &str = "store.git";
const DATABASE: &str = "chapterhouse.db";
const CONFIG: &str = "config.toml";
const MANIFEST: &str = "manifest.json";

/// What a backup or a restore did, for the command's output.
pub struct Summary {
    pub refs: usize,
    pub rows: i64,
    pub releases: usize,
}

/// Writes a backup of the instance's data to `dir`, which must be missing or empty.
pub fn backup(app: &Chapterhouse, dir: &Path) -> anyhow::Result<Summary> {
    ensure_empty(dir, "the backup folder")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    // The database first: a ledger row never names a release the store copy lacks, since
    // releases are only ever added.
    let db = app.db()?;
    db.backup_to(&dir.join(DATABASE))
        .context("copying the database")?;
    let rows = Db::open(&dir.join(DATABASE), app.clock().clone())
        .and_then(|copy| copy.row_counts())
        .context("reading the database copy")?;
    let refs = mirror(app.store().path(), &dir.join(STORE)).context("copying the store")?;
    std::fs::write(dir.join(CONFIG), settings_without_secrets(app.config())?)
        .context("writing the settings")?;
    let manifest = Manifest::new(dir, refs, rows, &[STORE, DATABASE, CONFIG])?;
    std::fs::write(dir.join(MANIFEST), manifest.to_json()).context("writing the manifest")?;
    Ok(manifest.summary())
}

/// Restores the backup in `dir` into the data folder `data` (missing or empty): checks
/// the manifest, copies the store and the database, checks them against it, and builds
/// the search index from the store.
pub fn restore(dir: &Path, config: Config, data: &Path) -> anyhow::Result<Summary> {
    let text = std::fs::read_to_string(dir.join(MANIFEST)).with_context(|| {
        format!(
            "{} is not a chapterhouse backup: no {MANIFEST}",
            dir.display()
        )
    })?;
    let manifest = Manifest::parse(&text)?;
    manifest.check_files(dir)?;
    ensure_empty(data, "the data folder")?;
    let mut config = config;
    config.data.dir = data.to_owned();
    config.data.seed_sample = false;
    std::fs::create_dir_all(data).with_context(|| format!("creating {}", data.display()))?;
    let refs = mirror(&dir.join(STORE), &config.store_dir()).context("copying the store")?;
    manifest.check_refs(&refs)?;
    let on_postgres = Engine::of_url(&config.database_url()) == Some(Engine::Postgres);
    let records = match on_postgres {
        // Copied from a file of its own, so the backup is never changed by opening it.
        true => data.join(".restoring.db"),
        false => config.db_path(),
    };
    std::fs::copy(dir.join(DATABASE), &records).context("copying the database")?;
    let app = Chapterhouse::open(config)?;
    if on_postgres {
        let copy = Db::open(&records, app.clock().clone()).context("opening the database copy")?;
        copy.copy_into(app.db()?)
            .context("copying the records into PostgreSQL")?;
        drop(copy);
        std::fs::remove_file(&records).context("removing the database copy")?;
    }
    let rows = app.db()?.row_counts()?;
    manifest.check_rows(&rows)?;
    app.reindex().context("building the search index")?;
    Ok(manifest.summary())
}

/// Refuses a folder that exists and holds anything.
fn ensure_empty(dir: &Path, what: &str) -> anyhow::Result<()> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                bail!("{what} {} is not empty", dir.display());
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("reading {}", dir.display())),
    }
}

/// Makes `to` a bare repository holding every ref of `from` and every object they reach;
/// returns the refs copied, by name.
fn mirror(from: &Path, to: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let target = git2::Repository::init_bare(to)?;
    let source = from
        .canonicalize()
        .with_context(|| format!("no store at {}", from.display()))?;
    let mut remote = target.remote_anonymous(&source.to_string_lossy())?;
    let mut options = git2::FetchOptions::new();
    options.download_tags(git2::AutotagOption::None);
    remote.fetch(&["+refs/*:refs/*"], Some(&mut options), None)?;
    let source_repo = git2::Repository::open_bare(&source)?;
    let head = source_repo.find_reference("HEAD").ok().and_then(|h| {
        h.symbolic_target_bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
    });
    if let Some(name) = head {
        target.set_head(&name)?;
    }
    let mut refs = Vec::new();
    for reference in target.references()? {
        let reference = reference?;
        if let (Ok(name), Some(oid)) = (reference.name(), reference.target()) {
            refs.push((name.to_owned(), oid.to_string()));
        }
    }
    refs.sort();
    Ok(refs)
}

/// The settings in force as TOML, without the SMTP password.
fn settings_without_secrets(config: &Config) -> anyhow::Result<String> {
    let mut config = config.clone();
    let had_password = config.smtp.password.take().is_some();
    let mut text =
        String::from("# The settings in force when this backup was made (chapterhouse backup).\n");
    if had_password {
        text.push_str("# smtp.password was set and is left out: set it again.\n");
    }
    if let Some(url) = config.database.url.take() {
        let label = crate::db::url_label(&url);
        if url.starts_with("postgres") && label != url {
            text.push_str("# database.url's password is left out: set it again.\n");
        }
        config.database.url = Some(if url.starts_with("postgres") {
            label
        } else {
            url
        });
    }
    text.push_str(&toml::to_string_pretty(&config).context("writing the settings as TOML")?);
    Ok(text)
}
