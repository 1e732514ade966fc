//! The command's arguments (SPEC §6), as clap reads them. Values are checked afterwards,
//! by the same types the library uses, so every refusal is one line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Multi-agency safeguarding procedure manuals, kept in git.
#[derive(Parser)]
#[command(name = "chapterhouse", version, about)]
pub struct Cli {
    /// Settings file [default: config/default.toml when there is one, else built-in]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The data folder: store, index, database, outbox [default: from config, ./data]
    #[arg(long, global = true, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// What to do [default: serve]
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
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
    /// Write a consistent copy of the store, the database and the settings to a new
    /// folder, while the server runs.
    Backup {
        /// A missing or empty folder
        dir: PathBuf,
    },
    /// List a manual's chapters by review date (overdue, due within 30 days, later, none),
    /// with their owners and sources.
    Reviews {
        #[arg(long)]
        manual: String,
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Ask the publishers of the chapters' national guidance what changed.
    #[command(subcommand)]
    Sources(SourcesCommand),
    /// Check the store, the search index and the database; exit non-zero when something
    /// is wrong, saying what and how to fix it.
    Check {
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Restore a backup into a new data folder (named by --data, missing or empty).
    Restore {
        /// The folder `backup` wrote
        dir: PathBuf,
    },
    /// Manage the editors who may change chapters and publish through the API.
    #[command(subcommand)]
    Editors(EditorsCommand),
    /// Move the database to another engine.
    #[command(subcommand)]
    Db(DbCommand),
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
pub enum SubscribersCommand {
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
pub enum SourcesCommand {
    /// Ask every distinct source's provider (gov.uk: the Content API) for its last change
    /// and change notes, and record the answers; one line per source. Exits 0 even when
    /// some are unreachable.
    Check,
    /// Record that a changed source of a chapter was reviewed and needs no change.
    Reviewed {
        #[arg(long)]
        manual: String,
        #[arg(long)]
        chapter: String,
        /// The source's address, as the chapter lists it
        #[arg(long)]
        url: String,
        /// Who reviewed it (a name or an address)
        #[arg(long)]
        by: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Copy every record of the database in use into an empty PostgreSQL database
    /// (`postgres://…`), checking each table's row count; then set `database.url` to it.
    MigrateTo {
        /// The destination, e.g. postgres://chapterhouse@db.example.org/chapterhouse
        url: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum EditorsCommand {
    /// Add an editor and print their API token (shown this once; only its hash is kept)
    /// and a one-time sign-in link for the workspace.
    Add {
        /// The editor's name, as commits will show it
        name: String,
        #[arg(long)]
        email: String,
        /// editor (writes chapters) or publisher (also publishes releases)
        #[arg(long)]
        role: String,
    },
    /// Print a fresh one-time sign-in link (24 hours) for the editors' workspace.
    SigninLink {
        /// The editor's email address
        email: String,
    },
    /// List the editors whose tokens work.
    List,
    /// Revoke an editor's token at once.
    Remove {
        /// The editor's number, from `editors list`
        id: String,
    },
}
