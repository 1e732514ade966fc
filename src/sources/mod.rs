//! Asking the publishers of national guidance what changed (`chapterhouse sources check`,
//! and daily in `serve`): for every distinct gov.uk source of the manuals' drafts, the
//! GOV.UK Content API (`sources.govuk_api` + the address's path) is asked for the page's
//! `public_updated_at` and its latest `details.change_history` notes; for every
//! legislation.gov.uk source, the item's `data.xml` metadata (`sources.legislation_api` +
//! the path + `/data.xml`) for the day its revised text last changed. Each answer is
//! recorded. Requests are polite: one at a time, with a timeout, a `User-Agent` naming
//! chapterhouse, and `If-Modified-Since` when the API gave a `Last-Modified`. One bad
//! source never stops the others, and an unusable answer changes no flag.

mod fetch;
mod govuk;
mod legislation;

use std::sync::Arc;
use std::time::Duration;

use crate::app::{AppError, Chapterhouse};
use crate::config::Config;
use crate::db::SourceAnswer;

/// The change notes kept per source, newest first.
pub const NOTES_KEPT: usize = 3;

/// Asks providers about sources.
pub struct Checker {
    client: reqwest::Client,
    govuk_api: String,
    legislation_api: String,
}

/// One source checked, for the command's output.
#[derive(Debug, Clone)]
pub struct Checked {
    pub url: String,
    pub answer: Option<SourceAnswer>,
}

impl Checked {
    /// One line: what the provider said of the source.
    pub fn line(&self) -> String {
        match &self.answer {
            None => format!("not checked (no provider for this address): {}", self.url),
            Some(SourceAnswer::NotModified) => {
                format!("not modified since last asked: {}", self.url)
            }
            Some(SourceAnswer::Page { updated_at, .. }) => {
                format!("last updated {updated_at}: {}", self.url)
            }
            Some(SourceAnswer::Failed(reason)) => format!("unreachable ({reason}): {}", self.url),
        }
    }
}

impl Checker {
    pub fn new(config: &Config) -> Result<Checker, AppError> {
        // TLS through the ring provider already in the build (sqlx's).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let agent = format!(
            "chapterhouse/{} (safeguarding procedures; +{})",
            env!("CARGO_PKG_VERSION"),
            config.server.public_url
        );
        let timeout = Duration::from_secs(config.sources.timeout_secs.max(1));
        let client = reqwest::Client::builder()
            .user_agent(agent)
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(|e| AppError::Config(format!("the sources' HTTP client: {e}")))?;
        Ok(Checker {
            client,
            govuk_api: config.sources.govuk_api.trim_end_matches('/').to_owned(),
            legislation_api: config
                .sources
                .legislation_api
                .trim_end_matches('/')
                .to_owned(),
        })
    }

    /// What the provider of `source` says of it; `None` for an address no provider
    /// covers.
    pub async fn ask(&self, source: &str, last_modified: Option<&str>) -> Option<SourceAnswer> {
        if let Some(api) = govuk::api_address(&self.govuk_api, source) {
            return Some(govuk::ask(&self.client, &api, last_modified).await);
        }
        let data = legislation::api_address(&self.legislation_api, source)?;
        Some(legislation::ask(&self.client, &data, last_modified).await)
    }
}

/// Checks every distinct source of every manual's draft, one at a time, and records each
/// answer.
pub async fn check_all(app: &Arc<Chapterhouse>) -> Result<Vec<Checked>, AppError> {
    let checker = Checker::new(app.config())?;
    let (sources, known) = app
        .blocking(|app| -> Result<_, AppError> {
            Ok((app.draft_sources()?, app.db()?.source_checks()?))
        })
        .await
        .map_err(|e| AppError::Config(format!("the sources task failed: {e}")))??;
    let mut checked = Vec::new();
    for url in sources {
        let last_modified = known.get(&url).and_then(|c| c.last_modified.clone());
        let answer = checker.ask(&url, last_modified.as_deref()).await;
        if let Some(answer) = &answer {
            let (record_url, record) = (url.clone(), answer.clone());
            app.blocking(move |app| -> Result<(), AppError> {
                Ok(app.db()?.record_source_check(&record_url, &record)?)
            })
            .await
            .map_err(|e| AppError::Config(format!("the sources task failed: {e}")))??;
        }
        checked.push(Checked { url, answer });
    }
    Ok(checked)
}
