//! The command line of SPEC §6: arguments, config loading, output, exit codes.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use crate::app::{Chapterhouse, Import, read_notes};
use crate::config::Config;
use crate::content::{ManualId, ReleaseName};
use crate::db::{NewEditor, Role};
use crate::notice::Format;
use crate::search::{SearchRequest, SearchResults};
use crate::store::Author;

/// Multi-agency safeguarding procedure manuals, kept in git.
#[derive(Parser)]
#[command(name = "chapterhouse", version, about)]
struct Cli {
    /// Settings file [default: config/default.toml]
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The data folder: store, index, database, outbox [default: from config, ./data]
    #[arg(long, global = true, value_name = "DIR")]
    data: Option<PathBuf>,
    /// What to do [default: serve]
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the manuals over HTTP (the default command).
    Serve {
        /// Address to listen on [default: server.listen, 127.0.0.1:8080]
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Make a manual's content equal to a snapshot folder, commit it and publish a release.
    Import {
        /// The folder holding manual.toml and the chapter files
        snapshot_dir: PathBuf,
        /// The manual's id (its folder in the store); created when missing
        #[arg(long)]
        manual: String,
        /// The release name, usually YYYY-MM
        #[arg(long)]
        release: String,
        /// The date the release comes into force [default: today]
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<String>,
        /// A TOML file whose [notes] table maps chapter id to editor note
        #[arg(long, value_name = "FILE")]
        notes: Option<PathBuf>,
        /// Who the revision is attributed to [default: store.import_author]
        #[arg(long, value_name = "NAME <EMAIL>")]
        author: Option<String>,
    },
    /// Print the notice of what changed between two releases of a manual.
    Diff {
        #[arg(long)]
        manual: String,
        /// The earlier release [default: the release before --to]
        #[arg(long)]
        from: Option<String>,
        /// The later release [default: the manual's latest release]
        #[arg(long)]
        to: Option<String>,
        /// text, markdown, html, json or atom
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Search the chapters in force today, or on a past date.
    Search {
        /// Words, "quoted phrases" or acronyms (FGM, LADO, s47 ...)
        query: String,
        /// Only this manual
        #[arg(long)]
        manual: Option<String>,
        /// Search the procedures as they stood on this date [default: today]
        #[arg(long, value_name = "YYYY-MM-DD")]
        at: Option<String>,
        /// How many hits to show (1-100) [default: search.default_limit]
        #[arg(long)]
        limit: Option<String>,
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Rebuild the search index from the store alone.
    Reindex,
    /// Manage the editors who may change chapters and publish through the API.
    #[command(subcommand)]
    Editors(EditorsCommand),
}

#[derive(Subcommand)]
enum EditorsCommand {
    /// Add an editor and print their token (shown this once; only its hash is kept).
    Add {
        /// The editor's name, as commits will show it
        name: String,
        #[arg(long)]
        email: String,
        /// editor (writes chapters) or publisher (also publishes releases)
        #[arg(long)]
        role: String,
    },
    /// List the editors whose tokens work.
    List,
    /// Revoke an editor's token at once.
    Remove {
        /// The editor's number, from `editors list`
        id: String,
    },
}

/// Search results as text: one numbered hit per paragraph, matches in *asterisks*.
fn search_text(results: &SearchResults, at: Option<NaiveDate>) -> String {
    use std::fmt::Write;
    let when = at.map_or_else(
        || "in force today".to_owned(),
        |d| format!("in force on {d}"),
    );
    let mut out = match results.total {
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

/// Writes output; a reader that went away (`| head`) is not an error.
fn write_stdout(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// Parses a `YYYY-MM-DD` date.
pub fn parse_date(s: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|_| s.len() == 10)
        .ok_or_else(|| anyhow::anyhow!("{s:?} is not a date: write it as YYYY-MM-DD"))
}

/// Runs the command line; the error, if any, goes to stderr on one line.
pub fn main() -> ExitCode {
    // Arguments are validated after parsing, by the same types the library uses, so every
    // refusal is one line; clap's own usage errors are cut to their first line too.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            let rendered = e.render().to_string();
            let reason: Vec<&str> = rendered
                .lines()
                .map(str::trim)
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
                .filter(|l| !l.is_empty())
                .collect();
            eprintln!("{} (see --help)", reason.join(" "));
            return ExitCode::from(2);
        }
        Err(e) => e.exit(),
    };
    // The server logs its requests; one-shot commands keep stderr for their one-line answer.
    let serving = matches!(cli.command, None | Some(Command::Serve { .. }));
    let default_level = if serving { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("CHAPTERHOUSE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    // One JSON object per line for log collectors; readable lines otherwise.
    if std::env::var("CHAPTERHOUSE_LOG_FORMAT").is_ok_and(|f| f == "json") {
        logs.json().init();
    } else {
        logs.init();
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let reason = format!("{e:#}").replace('\n', " ");
            eprintln!("error: {reason}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = Config::load(cli.config.as_deref()).context("loading settings")?;
    if let Some(dir) = cli.data {
        config.data.dir = dir;
    }
    match cli.command.unwrap_or(Command::Serve { listen: None }) {
        Command::Serve { listen } => {
            let listen = listen.unwrap_or_else(|| config.server.listen.clone());
            let app = Chapterhouse::open(config)?;
            app.seed_sample_if_empty()?;
            app.catch_up_index()?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(crate::web::serve(app, &listen))?;
        }
        Command::Import {
            snapshot_dir,
            manual,
            release,
            date,
            notes,
            author,
        } => {
            let manual: ManualId = manual.parse()?;
            let release: ReleaseName = release.parse()?;
            let date = date.as_deref().map(parse_date).transpose()?;
            let author: Author = match author {
                Some(a) => a.parse().map_err(anyhow::Error::msg)?,
                None => config
                    .store
                    .import_author
                    .parse()
                    .map_err(|e: String| anyhow::anyhow!("store.import_author: {e}"))?,
            };
            let notes = notes
                .map(|f| read_notes(&f))
                .transpose()?
                .unwrap_or_default();
            let app = Chapterhouse::open(config)?;
            let release = app.import(&Import {
                snapshot_dir,
                manual,
                release,
                date,
                notes,
                author,
            })?;
            write_stdout(&format!(
                "published {}/{} ({}) at revision {}\n",
                release.manual,
                release.name,
                release.date,
                &release.revision.as_str()[..12]
            ))?;
        }
        Command::Diff {
            manual,
            from,
            to,
            format,
        } => {
            let manual: ManualId = manual.parse()?;
            let format: Format = format.parse().map_err(anyhow::Error::msg)?;
            let app = Chapterhouse::open(config)?;
            app.seed_sample_if_empty()?;
            let notice = app.notice(&manual, from.as_deref(), to.as_deref())?;
            write_stdout(&notice.render(format, &app.links()))?;
        }
        Command::Search {
            query,
            manual,
            at,
            limit,
            format,
        } => {
            let manual = manual.map(|m| m.parse::<ManualId>()).transpose()?;
            let at_given = at.is_some();
            let at = at.as_deref().map(parse_date).transpose()?;
            let limit = match limit {
                None => config.search.default_limit,
                Some(l) => crate::search::parse_limit(&l).map_err(|e| anyhow::anyhow!("--{e}"))?,
            };
            let json = match format.as_str() {
                "json" => true,
                "text" => false,
                other => anyhow::bail!("unknown format {other:?}: use text or json"),
            };
            let app = Chapterhouse::open(config)?;
            app.seed_sample_if_empty()?;
            let at = at.unwrap_or_else(|| app.today());
            let results = app.search(&SearchRequest {
                query,
                manual,
                at,
                limit,
            })?;
            let out = if json {
                let mut s = serde_json::to_string_pretty(&results)?;
                s.push('\n');
                s
            } else {
                search_text(&results, at_given.then_some(at))
            };
            write_stdout(&out)?;
        }
        Command::Editors(command) => {
            let app = Chapterhouse::open(config)?;
            let db = app.db()?;
            match command {
                EditorsCommand::Add { name, email, role } => {
                    let role: Role = role.parse()?;
                    let (editor, token) = db.add_editor(&NewEditor { name, email, role })?;
                    write_stdout(&format!("{token}\n"))?;
                    eprintln!(
                        "added editor {} ({} <{}>, {}); keep the token above: it is not shown again",
                        editor.id, editor.name, editor.email, editor.role
                    );
                }
                EditorsCommand::List => {
                    let mut out = String::new();
                    for e in db.editors()? {
                        out.push_str(&format!("{}\t{}\t{}\t{}\n", e.id, e.role, e.name, e.email));
                    }
                    write_stdout(&out)?;
                }
                EditorsCommand::Remove { id } => {
                    let id: i64 = id.parse().map_err(|_| {
                        anyhow::anyhow!("{id:?} is not an editor number (see editors list)")
                    })?;
                    db.revoke_editor(id)?;
                    write_stdout(&format!("revoked editor {id}\n"))?;
                }
            }
        }
        Command::Reindex => {
            let app = Chapterhouse::open(config)?;
            app.reindex()?;
            write_stdout(&format!(
                "rebuilt the search index in {}\n",
                app.config().index_dir().display()
            ))?;
        }
    }
    Ok(())
}
