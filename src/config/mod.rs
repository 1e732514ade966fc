//! Typed settings: built-in defaults, then the config file, then `CHAPTERHOUSE__*`
//! environment variables (`CHAPTERHOUSE__SERVER__PUBLIC_URL` sets `server.public_url`).

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

mod sections;
pub use sections::*;

/// The config file used when `--config` is not given, when there is one: without it, the
/// built-in defaults hold.
pub const DEFAULT_CONFIG_FILE: &str = "config/default.toml";

/// Every setting of chapterhouse.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    pub data: DataConfig,
    pub server: ServerConfig,
    pub store: StoreConfig,
    pub database: DatabaseConfig,
    pub search: SearchConfig,
    pub smtp: SmtpConfig,
    pub mail: MailConfig,
    pub digest: DigestConfig,
    pub reviews: ReviewsConfig,
    pub sources: SourcesConfig,
    pub clock: ClockConfig,
    pub publishing: PublishingConfig,
    pub metrics: MetricsConfig,
    pub accessibility: AccessibilityConfig,
}

/// Where the data lives and whether to seed it with the bundled sample.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DataConfig {
    /// The data folder: store, index, database, outbox.
    pub dir: PathBuf,
    /// Import the bundled sample manuals into an empty store.
    pub seed_sample: bool,
    /// A folder of sample manuals to seed instead of the sample built into chapterhouse.
    pub sample_dir: Option<PathBuf>,
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            dir: PathBuf::from("./data"),
            // Off unless a config file asks for it: never a surprise in an operator's data.
            seed_sample: false,
            sample_dir: None,
        }
    }
}

/// The web server's address, the public address used in links, and how long and how many
/// connections it keeps.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerConfig {
    pub listen: String,
    pub public_url: String,
    /// Requests that make the server send an email (subscribing, asking for a sign-in
    /// link) one client address may make in `mail_requests_window_secs`.
    pub mail_requests_per_client: u32,
    pub mail_requests_window_secs: u64,
    /// Seconds a client has to send a request's headers, from its first byte (or, on a new
    /// connection, from connecting).
    pub header_timeout_secs: u64,
    /// Seconds a kept-alive connection may wait for its next request.
    pub idle_timeout_secs: u64,
    /// Seconds a request may take, body included, before it is answered 503.
    pub request_timeout_secs: u64,
    /// Connections served at once. Beyond it, the connection idle the longest is closed to
    /// make room; while every one has a request under way, new ones wait to be accepted.
    pub max_connections: u32,
    /// Where a read replica sends editors' requests (307): the writer's address.
    pub primary_url: Option<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            mail_requests_per_client: 30,
            mail_requests_window_secs: 600,
            header_timeout_secs: 10,
            idle_timeout_secs: 30,
            request_timeout_secs: 30,
            max_connections: 1024,
            primary_url: None,
        }
    }
}

/// Store settings, and how the store travels between instances over git.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct StoreConfig {
    /// The author recorded for imports when none is given (`Name <email>`).
    pub import_author: String,
    /// Git remotes the writer pushes every commit and release tag to.
    pub push_to: Vec<String>,
    /// The git remote a read replica follows; set, this instance is a replica.
    pub follow: Option<String>,
    /// Seconds between a replica's fetches, at most.
    pub follow_interval: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            import_author: "chapterhouse <chapterhouse@localhost>".into(),
            push_to: Vec::new(),
            follow: None,
            follow_interval: 5,
        }
    }
}

/// Where chapterhouse's records live. Its `Debug` leaves a password in the address out.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` or `postgres://…`; none: `<data>/chapterhouse.db`.
    pub url: Option<String>,
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &self.url.as_deref().map(url_label))
            .finish()
    }
}

impl Config {
    /// Loads settings. An explicitly named file must exist; the default file is optional.
    pub fn load(file: Option<&Path>) -> Result<Config, Box<figment::Error>> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => {
                if !path.is_file() {
                    return Err(Box::new(figment::Error::from(format!(
                        "config file {} does not exist",
                        path.display()
                    ))));
                }
                figment = figment.merge(Toml::file_exact(path));
            }
            None if Path::new(DEFAULT_CONFIG_FILE).is_file() => {
                figment = figment.merge(Toml::file_exact(DEFAULT_CONFIG_FILE));
            }
            None => {}
        }
        figment
            .merge(Env::prefixed("CHAPTERHOUSE__").split("__"))
            .extract()
            .map_err(Box::new)
    }

    /// The search index's folder.
    pub fn index_dir(&self) -> PathBuf {
        self.data.dir.join("index")
    }

    /// Where mail goes when no SMTP relay is configured.
    pub fn outbox_dir(&self) -> PathBuf {
        self.data.dir.join("outbox")
    }

    /// The SQLite database file in the data folder, the default database.
    pub fn db_path(&self) -> PathBuf {
        self.data.dir.join("chapterhouse.db")
    }

    /// The database's address: `database.url`, else the file in the data folder.
    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) => url.clone(),
            None => sqlite_url(&self.db_path()),
        }
    }

    /// The git store's folder.
    pub fn store_dir(&self) -> PathBuf {
        self.data.dir.join("store.git")
    }
}

/// The `sqlite://` address of a database file (any path: the name is percent-encoded).
pub fn sqlite_url(path: &Path) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.');
    let path = path.to_string_lossy();
    format!(
        "sqlite://{}?mode=rwc",
        percent_encoding::utf8_percent_encode(&path, KEEP)
    )
}

/// A database address as messages may show it: the password left out.
pub fn url_label(url: &str) -> String {
    if let Some(rest) = url.strip_prefix("sqlite://") {
        let path = rest.split('?').next().unwrap_or(rest);
        return percent_encoding::percent_decode_str(path)
            .decode_utf8_lossy()
            .into_owned();
    }
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((credentials, host)) => {
                let user = credentials.split(':').next().unwrap_or("");
                format!("{scheme}://{user}@{host}")
            }
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smtp_password_is_never_printed() {
        let mut config = Config::default();
        config.smtp.password = Some("hunter2-secret".into());
        config.smtp.username = Some("procedures".into());
        let printed = format!("{config:?} {:#?}", config.smtp);
        assert!(!printed.contains("hunter2-secret"), "{printed}");
        assert!(printed.contains("[redacted]") && printed.contains("procedures"));
        config.database.url = Some("postgres://chapterhouse:hunter2-secret@db/records".into());
        let printed = format!("{config:?}");
        assert!(!printed.contains("hunter2-secret"), "{printed}");
        assert!(
            printed.contains("postgres://chapterhouse@db/records"),
            "{printed}"
        );
    }
}
