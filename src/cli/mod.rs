//! The command line of SPEC §6: arguments, config loading, output, exit codes. Every
//! command is async code on the one runtime `main` builds; the blocking work (git, tantivy,
//! SQLite) goes to blocking threads.

mod args;
mod content;
mod digest;
mod operations;
mod people;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Parser;

use crate::app::Chapterhouse;
use crate::config::Config;
use args::{Cli, Command};

/// Runs the command line; the error, if any, goes to stderr on one line.
pub async fn main() -> ExitCode {
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
    let default_level = if serving {
        "info,tokio_cron_scheduler=warn"
    } else {
        "warn"
    };
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
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let reason = format!("{e:#}").replace('\n', " ");
            eprintln!("error: {reason}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = Config::load(cli.config.as_deref()).context("loading settings")?;
    if let Some(Command::Restore { dir }) = &cli.command {
        let Some(data) = cli.data else {
            anyhow::bail!("restore needs --data NEW_DIR: the new data folder to restore into");
        };
        return operations::restore(config, dir.clone(), data).await;
    }
    if let Some(dir) = cli.data {
        config.data.dir = dir;
    }
    match cli.command.unwrap_or(Command::Serve { listen: None }) {
        Command::Serve { listen } => {
            let listen = listen.unwrap_or_else(|| config.server.listen.clone());
            crate::startup::serve(config, &listen).await
        }
        Command::Import {
            snapshot_dir,
            manual,
            release,
            date,
            notes,
            author,
        } => {
            let import = content::Snapshot {
                snapshot_dir,
                manual,
                release,
                date,
                notes,
                author,
            };
            content::import(config, import).await
        }
        Command::Diff {
            manual,
            from,
            to,
            format,
        } => content::diff(config, manual, from, to, format).await,
        Command::Search {
            query,
            manual,
            at,
            limit,
            format,
        } => {
            let search = content::Search {
                query,
                manual,
                at,
                limit,
                format,
            };
            content::search(config, search).await
        }
        Command::Reindex => content::reindex(config).await,
        Command::Backup { dir } => operations::backup(config, dir).await,
        Command::Check { format } => operations::check(config, &format).await,
        Command::Reviews { manual, format } => content::reviews(config, manual, &format).await,
        Command::Sources(command) => content::sources(config, command).await,
        Command::Restore { .. } => unreachable!("restore is run before the data folder is set"),
        Command::Editors(command) => people::editors(config, command).await,
        Command::Db(args::DbCommand::MigrateTo { url }) => {
            operations::migrate_to(config, url).await
        }
        Command::Subscribers(command) => people::subscribers(config, command).await,
        Command::Digest { period, dry_run } => digest::digest(config, &period, dry_run).await,
    }
}

/// Runs blocking work (git, tantivy, SQLite, files) on a blocking thread.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(work).await?
}

/// Opens the data folder as `serve` does (seeding the sample into an empty store), off
/// the runtime.
async fn open_seeded(config: Config) -> anyhow::Result<Arc<Chapterhouse>> {
    blocking(move || Ok(Arc::new(crate::startup::open(config)?))).await
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

/// Parses a `YYYY-MM-DD` date given on the command line.
fn parse_date(s: &str) -> anyhow::Result<NaiveDate> {
    Ok(crate::content::parse_date(s)?)
}
