//! Start-up: the one place that composes the application's services, seeds the bundled
//! sample into an empty store, and runs the web server and the digest scheduler side by
//! side on the one runtime.

use std::sync::Arc;

use crate::app::Chapterhouse;
use crate::config::Config;
use crate::mail::Mailer;

/// Opens the data folder and, when `data.seed_sample` is on and the store is empty,
/// imports the bundled sample into it. Blocking.
pub fn open(config: Config) -> anyhow::Result<Chapterhouse> {
    let app = Chapterhouse::open(config)?;
    warn_of_odd_replication(app.config());
    if app.is_replica() {
        // A replica's store is its remote's: fetched whole at start (a new replica
        // rebuilds itself from it), never seeded.
        if let Err(e) = app.fetch_followed() {
            tracing::warn!(error = %e, "fetching the store at start; serving what this replica has");
        }
    } else if app.config().data.seed_sample && app.store().head()?.is_none() {
        crate::sample::seed(&app)?;
    }
    Ok(app)
}

/// Settings of several instances that are allowed but probably not meant.
fn warn_of_odd_replication(config: &Config) {
    let store = &config.store;
    if store.follow.is_some() && !store.push_to.is_empty() {
        tracing::warn!("store.follow is set: this is a replica, and store.push_to is ignored");
    }
    if store.follow.is_some()
        && config
            .database
            .url
            .as_deref()
            .is_none_or(|u| u.starts_with("sqlite"))
    {
        tracing::warn!(
            "a replica on a SQLite file keeps subscribers and sign-ins apart from the writer's; share a PostgreSQL database (database.url)"
        );
    }
    if store.follow.is_some() && config.server.primary_url.is_none() {
        tracing::warn!("server.primary_url is not set: this replica answers editors 503");
    }
}

/// `chapterhouse serve`: the services, then the web server and the scheduler, until
/// Ctrl-C or SIGTERM. Prints the address it listens on (useful with port 0) as its first
/// line of output.
pub async fn serve(config: Config, listen: &str) -> anyhow::Result<()> {
    let limits =
        crate::web::ConnectionLimits::from_config(&config.server).map_err(anyhow::Error::msg)?;
    if config.metrics.enabled {
        crate::web::install_metrics();
    }
    let app = tokio::task::spawn_blocking(move || -> anyhow::Result<Chapterhouse> {
        let app = open(config)?;
        app.catch_up_index()?;
        Ok(app)
    })
    .await??;
    let app = Arc::new(app);
    let listener = crate::web::bind(listen).await?;
    let addr = listener.local_addr()?;
    println!("chapterhouse listening on http://{addr}");
    tracing::info!(%addr, "listening");
    let mailer = Arc::new(Mailer::new(app.config(), app.clock())?);
    let state = crate::web::AppState::new(app.clone(), mailer.clone())?;
    let metrics = &app.config().metrics;
    if metrics.enabled
        && let Some(address) = &metrics.listen
    {
        let listener = crate::web::bind(address).await?;
        tracing::info!(addr = %listener.local_addr()?, "metrics listening");
        tokio::spawn(crate::web::serve_metrics(listener, state.clone()));
    }
    let jobs = &app.config();
    let scheduler = if jobs.digest.enabled || jobs.reviews.enabled || jobs.sources.enabled {
        Some(crate::digest::schedule::start(app.clone(), mailer).await?)
    } else {
        None
    };
    crate::web::serve(listener, state, limits).await;
    if let Some(mut scheduler) = scheduler {
        let _ = scheduler.shutdown().await;
    }
    Ok(())
}
