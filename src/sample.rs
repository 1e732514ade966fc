//! The bundled sample manuals: `procedures/<manual>/releases.toml` lists each manual's
//! releases in order, each a snapshot folder with its date and editor notes. Seeding an
//! empty store imports them all, oldest first, exactly as an operator's `import` would.

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::app::{Chapterhouse, Import, read_notes};
use crate::content::{ManualId, ReleaseName};
use crate::store::Author;

/// The file in each sample manual's folder that lists its releases.
pub const RELEASES_FILE: &str = "releases.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReleasesToml {
    author: String,
    release: Vec<SampleRelease>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SampleRelease {
    name: ReleaseName,
    date: toml::value::Datetime,
    snapshot: PathBuf,
    notes: Option<PathBuf>,
}

/// Every release of the sample at `dir`, oldest first across all manuals.
pub fn sample_imports(dir: &Path) -> anyhow::Result<Vec<Import>> {
    let mut imports = Vec::new();
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("reading the sample folder {}", dir.display()))?;
    for entry in entries {
        let folder = entry?.path();
        let listing = folder.join(RELEASES_FILE);
        if !listing.is_file() {
            continue;
        }
        let manual: ManualId = folder
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .parse()
            .with_context(|| format!("sample folder {}", folder.display()))?;
        let text = std::fs::read_to_string(&listing)?;
        let parsed: ReleasesToml =
            toml::from_str(&text).with_context(|| format!("reading {}", listing.display()))?;
        let author: Author = parsed.author.parse().map_err(anyhow::Error::msg)?;
        for r in parsed.release {
            let date = r
                .date
                .date
                .and_then(|d| NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into()))
                .with_context(|| {
                    format!("{}: release {} needs a date", listing.display(), r.name)
                })?;
            let notes = match &r.notes {
                Some(file) => read_notes(&folder.join(file))?,
                None => Default::default(),
            };
            imports.push(Import {
                snapshot_dir: folder.join(&r.snapshot),
                manual: manual.clone(),
                release: r.name,
                date: Some(date),
                notes,
                author: author.clone(),
            });
        }
    }
    imports.sort_by(|a, b| (a.date, &a.manual).cmp(&(b.date, &b.manual)));
    Ok(imports)
}

/// The sample built into chapterhouse: `procedures/` of its source.
static BUILT_IN: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/procedures");

/// Imports the bundled sample into the (empty) store: the configured sample folder, or
/// the built-in sample, written out beside the data for the import and removed after.
pub fn seed(app: &Chapterhouse) -> anyhow::Result<()> {
    if let Some(dir) = &app.config().data.sample_dir {
        if !dir.is_dir() {
            anyhow::bail!(
                "data.sample_dir {} is not a folder; nothing seeded",
                dir.display()
            );
        }
        return import_all(app, dir);
    }
    let data = &app.config().data.dir;
    std::fs::create_dir_all(data)?;
    let unpacked = tempfile::Builder::new()
        .prefix(".sample-")
        .tempdir_in(data)
        .with_context(|| format!("unpacking the built-in sample in {}", data.display()))?;
    BUILT_IN
        .extract(unpacked.path())
        .with_context(|| format!("unpacking the built-in sample in {}", data.display()))?;
    import_all(app, unpacked.path())
}

fn import_all(app: &Chapterhouse, dir: &Path) -> anyhow::Result<()> {
    for import in sample_imports(dir)? {
        let release = app.import(&import).with_context(|| {
            format!(
                "seeding sample release {}/{}",
                import.manual, import.release
            )
        })?;
        if let Some(release) = release.release() {
            tracing::info!(manual = %release.manual, release = %release.name, "sample release imported");
        }
    }
    Ok(())
}
