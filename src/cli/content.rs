//! The content commands: `import`, `diff`, `search` and `reindex`.

use std::path::PathBuf;

use chrono::NaiveDate;

use super::{blocking, parse_date, write_stdout};
use crate::app::{Chapterhouse, Import, read_notes};
use crate::config::Config;
use crate::content::{ManualId, ReleaseName};
use crate::notice::Format;
use crate::search::{SearchRequest, SearchResults};
use crate::store::Author;

/// `import`'s arguments, as given.
pub(super) struct Snapshot {
    pub snapshot_dir: PathBuf,
    pub manual: String,
    pub release: String,
    pub date: Option<String>,
    pub notes: Option<PathBuf>,
    pub author: Option<String>,
}

/// `search`'s arguments, as given.
pub(super) struct Search {
    pub query: String,
    pub manual: Option<String>,
    pub at: Option<String>,
    pub limit: Option<String>,
    pub format: String,
}

/// Lowers the priority of this thread, and so of the threads it starts (reading,
/// hashing, indexing): an import is batch work, and a server on the same cores should
/// answer readers first. Linux and the BSDs take `nice` per thread, and threads inherit it.
fn yield_to_readers() {
    // SAFETY: setpriority only changes this thread's scheduling priority; no memory is
    // involved. A failure (not allowed, unsupported) leaves the priority as it was.
    let lowered = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, IMPORT_NICENESS) };
    if lowered != 0 {
        tracing::debug!("the import runs at the usual priority (setpriority refused)");
    }
}

/// The `nice` value imports run at: the scheduler gives a server at 0 about ten times
/// their share of a busy core.
const IMPORT_NICENESS: libc::c_int = 10;

/// `import`: makes the manual equal to the snapshot folder and publishes the release.
pub(super) async fn import(config: Config, given: Snapshot) -> anyhow::Result<()> {
    let manual: ManualId = given.manual.parse()?;
    let release: ReleaseName = given.release.parse()?;
    let date = given.date.as_deref().map(parse_date).transpose()?;
    let author: Author = match given.author {
        Some(a) => a.parse().map_err(anyhow::Error::msg)?,
        None => config
            .store
            .import_author
            .parse()
            .map_err(|e: String| anyhow::anyhow!("store.import_author: {e}"))?,
    };
    let release = blocking(move || {
        yield_to_readers();
        let notes = given
            .notes
            .map(|f| read_notes(&f))
            .transpose()?
            .unwrap_or_default();
        let app = Chapterhouse::open(config)?;
        Ok(app.import(&Import {
            snapshot_dir: given.snapshot_dir,
            manual,
            release,
            date,
            notes,
            author,
        })?)
    })
    .await?;
    match release {
        crate::app::Imported::Released(release) => write_stdout(&format!(
            "published {}/{} ({}) at revision {}\n",
            release.manual,
            release.name,
            release.date,
            &release.revision.as_str()[..12]
        )),
        crate::app::Imported::Reviewed { revision, chapters } => write_stdout(&format!(
            "saved the reviews of {} chapters ({}) at revision {}; nothing for a notice, so no release was made\n",
            chapters.len(),
            chapters
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            &revision.as_str()[..12]
        )),
    }
}

/// `diff`: the notice of what changed between two releases.
pub(super) async fn diff(
    config: Config,
    manual: String,
    from: Option<String>,
    to: Option<String>,
    format: String,
) -> anyhow::Result<()> {
    let manual: ManualId = manual.parse()?;
    let format: Format = format.parse().map_err(anyhow::Error::msg)?;
    let out = blocking(move || {
        let app = crate::startup::open(config)?;
        let notice = app.notice(&manual, from.as_deref(), to.as_deref())?;
        Ok(notice.render(format, &app.links()))
    })
    .await?;
    write_stdout(&out)
}

/// `reviews --manual M [--format text|json]`: the draft's chapters by review date.
pub(super) async fn reviews(config: Config, manual: String, format: &str) -> anyhow::Result<()> {
    let json = match format {
        "json" => true,
        "text" => false,
        other => anyhow::bail!("unknown format {other:?}: use text or json"),
    };
    let manual: ManualId = manual.parse()?;
    let report = blocking(move || Ok(crate::startup::open(config)?.reviews(&manual)?)).await?;
    match json {
        true => write_stdout(&format!("{}\n", serde_json::to_string(&report)?)),
        false => write_stdout(&report.to_text()),
    }
}

/// `sources check` and `sources reviewed`.
pub(super) async fn sources(
    config: Config,
    command: super::args::SourcesCommand,
) -> anyhow::Result<()> {
    use super::args::SourcesCommand;
    match command {
        SourcesCommand::Check => {
            let app = std::sync::Arc::new(blocking(move || crate::startup::open(config)).await?);
            let checked = crate::sources::check_all(&app).await?;
            let mut out = String::new();
            for source in &checked {
                out.push_str(&source.line());
                out.push('\n');
            }
            // Standard output is one line per source (SPEC §6); the count goes beside it.
            eprintln!("{} sources checked", checked.len());
            write_stdout(&out)
        }
        SourcesCommand::Reviewed {
            manual,
            chapter,
            url,
            by,
        } => {
            let manual: ManualId = manual.parse()?;
            let done = blocking(move || {
                let app = crate::startup::open(config)?;
                app.mark_source_reviewed(&manual, &chapter, &url, &by)?;
                Ok(format!(
                    "recorded: {url} of {manual}/{chapter} reviewed by {by}, no change needed\n"
                ))
            })
            .await?;
            write_stdout(&done)
        }
    }
}

/// `search`: the chapters in force today, or on a past date, that match.
pub(super) async fn search(config: Config, given: Search) -> anyhow::Result<()> {
    let manual = given.manual.map(|m| m.parse::<ManualId>()).transpose()?;
    let at_given = given.at.is_some();
    let at = given.at.as_deref().map(parse_date).transpose()?;
    let limit = match given.limit {
        None => config.search.default_limit,
        Some(l) => crate::search::parse_limit(&l).map_err(|e| anyhow::anyhow!("--{e}"))?,
    };
    let json = match given.format.as_str() {
        "json" => true,
        "text" => false,
        other => anyhow::bail!("unknown format {other:?}: use text or json"),
    };
    let query = given.query;
    let (results, at) = blocking(move || {
        let app = crate::startup::open(config)?;
        let at = at.unwrap_or_else(|| app.today());
        let request = SearchRequest {
            query,
            manual,
            at,
            limit,
        };
        Ok((app.search(&request)?, at))
    })
    .await?;
    let out = if json {
        let mut s = serde_json::to_string_pretty(&results)?;
        s.push('\n');
        s
    } else {
        search_text(&results, at_given.then_some(at))
    };
    write_stdout(&out)
}

/// `reindex`: the search index rebuilt from the store alone.
pub(super) async fn reindex(config: Config) -> anyhow::Result<()> {
    let dir = blocking(move || {
        let app = Chapterhouse::open(config)?;
        app.reindex()?;
        Ok(app.config().index_dir())
    })
    .await?;
    write_stdout(&format!("rebuilt the search index in {}\n", dir.display()))
}

/// Search results as text: one numbered hit per paragraph, matches in *asterisks*.
fn search_text(results: &SearchResults, at: Option<NaiveDate>) -> String {
    use std::fmt::Write;
    let when = at.map_or_else(
        || "in force today".to_owned(),
        |d| format!("in force on {d}"),
    );
    let mut out = match results.total {
        n if results.more => format!(
            "More than {n} chapters {when} match \"{}\".\n",
            results.query
        ),
        0 => format!("No chapters {when} match \"{}\".\n", results.query),
        1 => format!("1 chapter {when} matches \"{}\".\n", results.query),
        n => format!("{n} chapters {when} match \"{}\".\n", results.query),
    };
    if results.fuzzy {
        out.push_str("(No exact matches for some words: showing close spellings.)\n");
    }
    for (i, hit) in results.hits.iter().enumerate() {
        let release = hit.release.as_deref().unwrap_or("-");
        let _ = write!(
            out,
            "\n{}. {}\n   {}/{} (release {release})\n",
            i + 1,
            hit.title,
            hit.manual,
            hit.id
        );
        if !hit.snippet.is_empty() {
            let _ = writeln!(out, "   {}", snippet_text(&hit.snippet));
        }
    }
    if results.total == 0 {
        out.push_str("\nTry fewer or more general words, check the spelling, or use the full name of an acronym.\n");
    }
    out
}

/// A snippet's HTML as plain text.
fn snippet_text(html: &str) -> String {
    html.replace("<mark>", "*")
        .replace("</mark>", "*")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}
