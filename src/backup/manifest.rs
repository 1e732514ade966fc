//! A backup's manifest: what it holds, to be checked before and after a restore.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Summary;
use crate::tokens::hex;

/// Bumped when a backup's layout changes.
const FORMAT: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    format: u32,
    /// The chapterhouse version that wrote it.
    version: String,
    created: String,
    /// Every ref of the store: name and object.
    refs: BTreeMap<String, String>,
    /// Release tags per manual.
    releases: BTreeMap<String, usize>,
    /// Rows per database table.
    rows: BTreeMap<String, i64>,
    /// SHA-256 of each file, or of each folder's files (their paths and checksums).
    sha256: BTreeMap<String, String>,
}

impl Manifest {
    pub fn new(
        dir: &Path,
        refs: Vec<(String, String)>,
        rows: BTreeMap<String, i64>,
        files: &[&str],
    ) -> anyhow::Result<Manifest> {
        let mut releases: BTreeMap<String, usize> = BTreeMap::new();
        for (name, _) in &refs {
            if let Some((manual, _)) = name
                .strip_prefix("refs/tags/")
                .and_then(|t| t.split_once('/'))
            {
                *releases.entry(manual.to_owned()).or_default() += 1;
            }
        }
        let mut sha256 = BTreeMap::new();
        for file in files {
            sha256.insert((*file).to_owned(), checksum(&dir.join(file))?);
        }
        Ok(Manifest {
            format: FORMAT,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            created: chrono::Utc::now().to_rfc3339(),
            refs: refs.into_iter().collect(),
            releases,
            rows,
            sha256,
        })
    }

    pub fn parse(text: &str) -> anyhow::Result<Manifest> {
        let manifest: Manifest =
            serde_json::from_str(text).context("the backup's manifest.json is not readable")?;
        if manifest.format != FORMAT {
            bail!(
                "the backup is of format {}, this chapterhouse reads format {FORMAT}",
                manifest.format
            );
        }
        Ok(manifest)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a manifest serialises") + "\n"
    }

    pub fn summary(&self) -> Summary {
        Summary {
            refs: self.refs.len(),
            rows: self.rows.values().sum(),
            releases: self.releases.values().sum(),
        }
    }

    /// Every file is there and as it was written.
    pub fn check_files(&self, dir: &Path) -> anyhow::Result<()> {
        for (file, expected) in &self.sha256 {
            let found = checksum(&dir.join(file))
                .with_context(|| format!("the backup's {file} is missing or unreadable"))?;
            if &found != expected {
                bail!("the backup's {file} does not match its manifest: it changed or is damaged");
            }
        }
        Ok(())
    }

    /// The restored store has exactly the refs backed up.
    pub fn check_refs(&self, refs: &[(String, String)]) -> anyhow::Result<()> {
        let found: BTreeMap<String, String> = refs.iter().cloned().collect();
        if found != self.refs {
            bail!(
                "the restored store has {} refs where the manifest lists {}",
                found.len(),
                self.refs.len()
            );
        }
        Ok(())
    }

    /// The restored database has the rows backed up.
    pub fn check_rows(&self, rows: &BTreeMap<String, i64>) -> anyhow::Result<()> {
        for (table, expected) in &self.rows {
            let found = rows.get(table).copied().unwrap_or(0);
            if found != *expected {
                bail!(
                    "the restored table {table} has {found} rows where the manifest lists {expected}"
                );
            }
        }
        Ok(())
    }
}

/// A file's SHA-256; for a folder, the SHA-256 of its files' relative paths and checksums,
/// in order.
fn checksum(path: &Path) -> anyhow::Result<String> {
    if path.is_dir() {
        let mut files = Vec::new();
        collect_files(path, path, &mut files)?;
        files.sort();
        let mut hasher = Sha256::new();
        for (name, sum) in files {
            hasher.update(format!("{sum}  {name}\n").as_bytes());
        }
        return Ok(hex(&hasher.finalize()));
    }
    let mut file =
        std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).with_context(|| format!("reading {}", path.display()))?;
    Ok(hex(&hasher.finalize()))
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(root, &path, out)?;
        } else {
            let name = path
                .strip_prefix(root)
                .expect("under the root")
                .to_string_lossy()
                .into_owned();
            out.push((name, checksum(&path)?));
        }
    }
    Ok(())
}
