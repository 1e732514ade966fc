//! The sections of the settings that each belong to one part of chapterhouse: mail,
//! digests, search, publishing, metrics, the clock and the accessibility statement.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// What the accessibility statement (`/accessibility`) says of who runs the site.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AccessibilityConfig {
    /// Where to report a problem or ask for another format [default: mail.reply_to, else
    /// the sender's address].
    pub contact: Option<String>,
    /// A phone number for the same, if there is one.
    pub phone: Option<String>,
    /// When the statement was prepared (YYYY-MM-DD).
    pub prepared: Option<String>,
    /// When the site was last tested, and by whom or how (e.g. "2026-11-12, by the
    /// partnership's digital team against WCAG 2.2 AA").
    pub last_tested: Option<String>,
    /// The enforcement procedure: `england` (EHRC and EASS, also for Scotland and Wales)
    /// or `northern-ireland` (the Equality Commission for Northern Ireland).
    pub enforcement: Enforcement,
}

/// Who enforces the accessibility regulations where the partnership is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Enforcement {
    #[default]
    England,
    NorthernIreland,
}

/// The Prometheus metrics of `/metrics`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct MetricsConfig {
    /// Whether `/metrics` answers at all.
    pub enabled: bool,
    /// Another address to serve `/metrics` on (alone), instead of the site's: e.g. one
    /// only the monitoring network reaches.
    pub listen: Option<String>,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            enabled: true,
            listen: None,
        }
    }
}

/// How releases are agreed before they go live.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct PublishingConfig {
    /// Approvals, by publishers other than the proposer, a proposed release needs before
    /// a publisher publishes it from the workspace. 0 lets a publisher publish directly.
    pub approvals_required: u32,
}

impl Default for PublishingConfig {
    fn default() -> Self {
        PublishingConfig {
            approvals_required: 1,
        }
    }
}

/// How a connection to the SMTP relay is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain SMTP (a relay on the same host or network only).
    None,
    /// Plain connection upgraded with STARTTLS (required).
    Starttls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

/// The SMTP relay. No host: mail is written as `.eml` files to `<data>/outbox/`. Its
/// `Debug` leaves the password out, so settings can be logged.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SmtpConfig {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Connections kept open to the relay (messages go out over all of them at once).
    pub pool_size: u32,
    /// Seconds to wait for the relay before a send counts as a transient failure.
    pub timeout_secs: u64,
    /// Tries of a message that fails transiently (4xx, no connection) within one run;
    /// what still fails is left for the next run.
    pub attempts: u32,
    /// Milliseconds before the first retry; each further retry waits twice as long.
    pub retry_ms: u64,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("pool_size", &self.pool_size)
            .field("timeout_secs", &self.timeout_secs)
            .field("attempts", &self.attempts)
            .field("retry_ms", &self.retry_ms)
            .finish()
    }
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            host: None,
            port: None,
            security: SmtpSecurity::Starttls,
            username: None,
            password: None,
            pool_size: 4,
            timeout_secs: 30,
            attempts: 4,
            retry_ms: 500,
        }
    }
}

/// The sender of every email.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct MailConfig {
    /// `Name <address>` or an address.
    pub from: String,
    pub reply_to: Option<String>,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            from: "Safeguarding procedures <procedures@localhost.localdomain>".into(),
            reply_to: None,
        }
    }
}

/// When the monthly digest runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DigestConfig {
    /// Cron expression with seconds: `sec min hour day-of-month month day-of-week`.
    pub schedule: String,
    /// The zone the schedule is read in (IANA name).
    pub timezone: String,
    /// Whether `serve` runs the digests and immediate notices at all.
    pub enabled: bool,
    /// Seconds a run's claim on a batch of deliveries lasts. Instances sharing a database
    /// leave each other's claimed rows alone for this long; the rows of a run that died on
    /// another machine are taken over when it runs out (on the same machine, at once).
    pub claim_secs: u64,
}

impl Default for DigestConfig {
    fn default() -> Self {
        DigestConfig {
            schedule: "0 0 7 1 * *".into(),
            timezone: "Europe/London".into(),
            enabled: true,
            claim_secs: 300,
        }
    }
}

/// The clock. Unset, chapterhouse runs on the system clock; set, it starts at the given
/// moment and runs on from there (for rehearsing a date, and for tests). "Today" is
/// reckoned in `digest.timezone`, the partnership's zone.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ClockConfig {
    /// `YYYY-MM-DD` (midnight) or an RFC 3339 instant.
    pub now: Option<String>,
}

/// Search settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchConfig {
    /// A glossary file of acronyms and terms applied to queries, beside or instead of the
    /// one built into chapterhouse (see `glossary_mode`). None: the built-in one alone.
    pub glossary: Option<PathBuf>,
    /// What the glossary file does to the built-in glossary.
    pub glossary_mode: GlossaryMode,
    /// Hits returned when a search names no limit.
    pub default_limit: usize,
    /// Recent search answers kept in memory (0: none).
    pub cached_results: usize,
    /// Searches the server runs at once; more wait their turn, in arrival order (0: three
    /// per core).
    pub at_once: usize,
}

impl SearchConfig {
    /// [`SearchConfig::at_once`], with 0 read as three per core.
    pub fn searches_at_once(&self) -> usize {
        match self.at_once {
            0 => 3 * std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            glossary: None,
            glossary_mode: GlossaryMode::Extend,
            default_limit: 10,
            cached_results: 1024,
            at_once: 0,
        }
    }
}

/// How a configured glossary file and the built-in glossary combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GlossaryMode {
    /// The file's entries are added to the built-in ones; an entry of the file replaces
    /// the built-in entry of the same term.
    Extend,
    /// The file's entries alone.
    Replace,
}

/// The weekly reminder of chapters due for review, to their owners (and to the editors for
/// chapters without one).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ReviewsConfig {
    /// Cron expression with seconds, read in `digest.timezone`.
    pub schedule: String,
    /// Whether `serve` sends the reminders at all.
    pub enabled: bool,
}

impl Default for ReviewsConfig {
    fn default() -> Self {
        ReviewsConfig {
            schedule: "0 0 8 * * Mon".into(),
            enabled: true,
        }
    }
}

/// Where national guidance is asked what changed (`chapterhouse sources check`, and daily
/// in `serve`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SourcesConfig {
    /// The base of the GOV.UK Content API: a gov.uk address's path is asked of it.
    pub govuk_api: String,
    /// The base of legislation.gov.uk: a legislation address's path and `/data.xml` are
    /// asked of it.
    pub legislation_api: String,
    /// When `serve` checks the sources (cron with seconds, in `digest.timezone`).
    pub schedule: String,
    /// Whether `serve` checks them at all.
    pub enabled: bool,
    /// Seconds a provider has to answer one request.
    pub timeout_secs: u64,
}

impl Default for SourcesConfig {
    fn default() -> Self {
        SourcesConfig {
            govuk_api: "https://www.gov.uk/api/content".into(),
            legislation_api: "https://www.legislation.gov.uk".into(),
            schedule: "0 30 6 * * *".into(),
            enabled: true,
            timeout_secs: 20,
        }
    }
}
