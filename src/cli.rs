//! The command line of SPEC §6: arguments, config loading, output, exit codes.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use crate::app::{Chapterhouse, Import, read_notes};
use crate::config::Config;
use crate::content::{ManualId, ReleaseName};
use crate::db::{Frequency, NewEditor, NewSubscriber, Role, Subscribed, subscription_letter};
use crate::digest::{self, Period};
use crate::mail::Mailer;
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
    /// Manage the subscribers of the monthly digest and the release notices.
    #[command(subcommand)]
    Subscribers(SubscribersCommand),
    /// Send the monthly digest of a period (once per subscriber, however often it runs).
    Digest {
        /// The month whose releases the digest covers, YYYY-MM
        #[arg(long, value_name = "YYYY-MM")]
        period: String,
        /// Show who would get what, and send nothing
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum SubscribersCommand {
    /// Subscribe an address (a confirmation email is sent unless --confirmed).
    Add {
        email: String,
        /// A manual to follow (repeat for several) [default: every manual]
        #[arg(long = "manual", value_name = "ID")]
        manuals: Vec<String>,
        /// monthly (a digest) or immediate (a notice per release)
        #[arg(long, default_value = "monthly")]
        frequency: String,
        /// The address consented elsewhere: no confirmation email
        #[arg(long)]
        confirmed: bool,
    },
    /// Add or update subscribers from a CSV file with columns email, manuals, frequency.
    Import {
        file: PathBuf,
        /// The addresses consented elsewhere: no confirmation emails
        #[arg(long)]
        confirmed: bool,
    },
    /// List the subscribers: id, address, frequency, manuals, state.
    List,
    /// Remove a subscriber at once.
    Remove { email: String },
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

/// Parses a `YYYY-MM-DD` date given on the command line.
fn parse_date(s: &str) -> anyhow::Result<NaiveDate> {
    Ok(crate::content::parse_date(s)?)
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
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(crate::startup::serve(config, &listen))?;
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
            let app = crate::startup::open(config)?;
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
            let app = crate::startup::open(config)?;
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
                    write_stdout(&format!("{}\n", token.as_str()))?;
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
        Command::Subscribers(command) => subscribers(config, command)?,
        Command::Digest { period, dry_run } => {
            let period: Period = period.parse().map_err(|e: String| anyhow::anyhow!(e))?;
            let app = crate::startup::open(config)?;
            let plan = digest::monthly_plan(&app, app.db()?, period)?;
            if dry_run {
                let mut out = plan.describe();
                out.push_str(&format!(
                    "{} digest(s) would be sent for {period} (nothing was sent)\n",
                    plan.recipients.len()
                ));
                write_stdout(&out)?;
                return Ok(());
            }
            let db = app.db()?.clone();
            let retry = digest::Retry::from_config(app.config());
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            // The SMTP pool lives (and is dropped) within the runtime.
            let _inside = runtime.enter();
            let mailer = Mailer::new(app.config(), app.clock())?;
            let report = runtime.block_on(digest::deliver(&plan, &db, &mailer, retry))?;
            write_stdout(&format!(
                "digest {period}: {} sent, {} skipped as already sent, {} failed, {} deferred to the next run\n",
                report.sent, report.skipped, report.failed, report.deferred
            ))?;
            if report.failed + report.deferred > 0 {
                anyhow::bail!(
                    "{} digest(s) not delivered ({} refused, {} to retry): run again to retry",
                    report.failed + report.deferred,
                    report.failed,
                    report.deferred
                );
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

fn subscribers(config: Config, command: SubscribersCommand) -> anyhow::Result<()> {
    let app = crate::startup::open(config)?;
    match command {
        SubscribersCommand::Add {
            email,
            manuals,
            frequency,
            confirmed,
        } => {
            let manuals = app.known_manuals(&manuals)?;
            let frequency: Frequency = frequency.parse()?;
            let db = app.db()?.clone();
            let outcome = db.subscribe(&NewSubscriber {
                email,
                manuals,
                frequency,
                confirmed,
            })?;
            let letter = subscription_letter(&db, &app.links(), &outcome)?;
            let (subscriber, what) = match &outcome {
                Subscribed::New { subscriber, .. } => (subscriber, "added"),
                Subscribed::Unconfirmed { subscriber, .. } => {
                    (subscriber, "updated (not yet confirmed)")
                }
                Subscribed::Existing {
                    subscriber,
                    updated: true,
                } => (subscriber, "updated"),
                Subscribed::Existing {
                    subscriber,
                    updated: false,
                } => (
                    subscriber,
                    "already subscribed and confirmed; unchanged (use --confirmed to change it)",
                ),
            };
            let mut out = format!("{} {what}", subscriber.email);
            if let Some(letter) = letter {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                let _inside = runtime.enter();
                let mailer = Mailer::new(app.config(), app.clock())?;
                runtime
                    .block_on(mailer.send(&letter))
                    .map_err(|e| anyhow::anyhow!("the email to {} was not sent: {e}", letter.to))?;
                out.push_str(&format!("; emailed through {}", mailer.describe()));
            }
            out.push('\n');
            write_stdout(&out)?;
        }
        SubscribersCommand::Import { file, confirmed } => {
            let report = import_subscribers(&app, &file, confirmed)?;
            write_stdout(&report)?;
        }
        SubscribersCommand::List => {
            let db = app.db()?.clone();
            let mut out = String::new();
            for s in db.subscribers()? {
                let manuals = if s.all_manuals {
                    "*".to_owned()
                } else {
                    s.manuals.join(" ")
                };
                let state = if s.flagged {
                    "flagged"
                } else if s.confirmed {
                    "confirmed"
                } else {
                    "unconfirmed"
                };
                out.push_str(&format!(
                    "{}\t{}\t{}\t{manuals}\t{state}\n",
                    s.id, s.email, s.frequency
                ));
            }
            write_stdout(&out)?;
        }
        SubscribersCommand::Remove { email } => {
            let db = app.db()?.clone();
            let subscriber = db
                .subscriber_by_email(&email)?
                .ok_or_else(|| anyhow::anyhow!("no subscriber {email:?}"))?;
            db.remove_subscriber(subscriber.id)?;
            write_stdout(&format!("removed {}\n", subscriber.email))?;
        }
    }
    Ok(())
}

/// `subscribers import`: every good row is applied; each bad row is refused with its line
/// number and refuses nothing else. Confirmation emails are sent (unless `confirmed`).
fn import_subscribers(
    app: &Chapterhouse,
    file: &std::path::Path,
    confirmed: bool,
) -> anyhow::Result<String> {
    #[derive(serde::Deserialize)]
    struct Row {
        email: String,
        #[serde(default)]
        manuals: String,
        #[serde(default)]
        frequency: String,
    }
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let headers = reader
        .headers()
        .map_err(|e| anyhow::anyhow!("{}: no header row: {e}", file.display()))?
        .clone();
    if !headers.iter().any(|h| h == "email") {
        anyhow::bail!(
            "{}: the header row must name an email column (and optionally manuals, frequency)",
            file.display()
        );
    }
    let db = app.db()?.clone();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let _inside = runtime.enter();
    let mailer = Mailer::new(app.config(), app.clock())?;
    let links = app.links();
    let (mut added, mut updated, mut unchanged) = (0, 0, 0);
    let mut refused = Vec::new();
    for (i, record) in reader.deserialize::<Row>().enumerate() {
        let line = record
            .as_ref()
            .err()
            .and_then(|e| e.position().map(|p| p.line()))
            .unwrap_or(i as u64 + 2);
        let outcome = record.map_err(|e| anyhow::anyhow!("{e}")).and_then(|row| {
            let manuals: Vec<String> = row.manuals.split_whitespace().map(str::to_owned).collect();
            let new = NewSubscriber {
                email: row.email,
                manuals: app.known_manuals(&manuals)?,
                frequency: row.frequency.parse()?,
                confirmed,
            };
            Ok(db.subscribe(&new)?)
        });
        match outcome {
            Err(e) => refused.push(format!("line {line}: {e}")),
            Ok(outcome) => {
                match &outcome {
                    Subscribed::New { .. } => added += 1,
                    Subscribed::Unconfirmed { .. } | Subscribed::Existing { updated: true, .. } => {
                        updated += 1
                    }
                    Subscribed::Existing { updated: false, .. } => unchanged += 1,
                }
                if let Some(letter) = subscription_letter(&db, &links, &outcome)? {
                    if let Err(e) = runtime.block_on(mailer.send(&letter)) {
                        refused.push(format!(
                            "line {line}: saved, but the confirmation email was not sent: {e}"
                        ));
                    }
                }
            }
        }
    }
    let mut out = format!(
        "{added} added, {updated} updated, {unchanged} unchanged (confirmed already), {} refused\n",
        refused.len()
    );
    for r in refused {
        out.push_str(&r);
        out.push('\n');
    }
    Ok(out)
}
