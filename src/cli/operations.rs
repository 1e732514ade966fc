//! The operator's commands: `backup`, `restore`, `check` and `db migrate-to`.

use std::path::PathBuf;

use crate::config::Config;

use super::{blocking, write_stdout};

/// `chapterhouse backup DIR`.
pub async fn backup(config: Config, dir: PathBuf) -> anyhow::Result<()> {
    let summary = blocking(move || {
        let app = crate::app::Chapterhouse::open(config)?;
        crate::backup::backup(&app, &dir)
    })
    .await?;
    write_stdout(&format!(
        "backed up {} releases ({} refs) and {} database rows\n",
        summary.releases, summary.refs, summary.rows
    ))
}

/// `chapterhouse restore DIR --data NEW_DIR`.
pub async fn restore(config: Config, dir: PathBuf, data: PathBuf) -> anyhow::Result<()> {
    let summary = blocking(move || crate::backup::restore(&dir, config, &data)).await?;
    write_stdout(&format!(
        "restored {} releases ({} refs) and {} database rows; search index rebuilt\n",
        summary.releases, summary.refs, summary.rows
    ))
}

/// `chapterhouse db migrate-to URL`: the records copied into an empty PostgreSQL database.
pub async fn migrate_to(config: Config, url: String) -> anyhow::Result<()> {
    use crate::db::{Db, Engine};
    if Engine::of_url(&url) != Some(Engine::Postgres) {
        anyhow::bail!(
            "{}: migrate-to copies into PostgreSQL; give a postgres:// address",
            crate::db::url_label(&url)
        );
    }
    let (label, counts) = blocking(move || {
        let app = crate::app::Chapterhouse::open(config)?;
        let to = Db::connect(&url, app.clock().clone())?;
        let counts = app.db()?.copy_into(&to)?;
        Ok((to.label().to_owned(), counts))
    })
    .await?;
    let mut out = String::new();
    for (table, rows) in &counts {
        out.push_str(&format!("{table}: {rows} rows\n"));
    }
    out.push_str(&format!(
        "copied {} rows into {label}; every table's count checked. Set database.url to it and restart.\n",
        counts.values().sum::<i64>()
    ));
    write_stdout(&out)
}

/// `chapterhouse check`: each problem with its fix; an error (exit 1) when there is one.
pub async fn check(config: Config, format: &str) -> anyhow::Result<()> {
    let json = match format {
        "text" => false,
        "json" => true,
        other => anyhow::bail!("unknown format {other:?}: text or json"),
    };
    let findings = blocking(move || Ok(crate::app::Chapterhouse::open(config)?.check()?)).await?;
    if json {
        let out = serde_json::json!({ "ok": findings.is_empty(), "problems": findings });
        write_stdout(&format!("{out}\n"))?;
    } else {
        let mut out = String::new();
        for area in ["store", "index", "database"] {
            let mine: Vec<_> = findings.iter().filter(|f| f.area == area).collect();
            if mine.is_empty() {
                out.push_str(&format!("{area}: ok\n"));
            }
            for finding in mine {
                out.push_str(&format!(
                    "{area}: {}\n  fix: {}\n",
                    finding.problem, finding.fix
                ));
            }
        }
        write_stdout(&out)?;
    }
    if !findings.is_empty() {
        anyhow::bail!("{} problems found", findings.len());
    }
    Ok(())
}
