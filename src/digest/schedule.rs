//! Digests on a schedule, inside `serve`: the monthly digest at the configured time (and at
//! start, when the last one was missed), and immediate notices within a minute of a release
//! coming into force.
//!
//! Runs never overlap. Each is [`run_monthly`] or [`run_immediate`], the same functions
//! tests call: they plan on a blocking thread (reading the store and the database beside
//! the site's readers), then deliver on the one runtime while the site goes on serving.

use std::str::FromStr;
use std::sync::Arc;

use chrono_tz::Tz;
use croner::Cron;
use tokio_cron_scheduler::{Job, JobScheduler};

use super::{DigestError, Period, Report, run_immediate, run_monthly};
use crate::app::Chapterhouse;
use crate::clock::Clock;
use crate::config::Config;
use crate::mail::Mailer;

/// The schedule, checked.
pub struct Schedule {
    cron: Cron,
    zone: Tz,
    expression: String,
}

impl Schedule {
    pub fn from_config(config: &Config) -> Result<Schedule, String> {
        let expression = config.digest.schedule.trim().to_owned();
        let cron = Cron::from_str(&expression)
            .map_err(|e| format!("digest.schedule {expression:?}: {e}"))?;
        let zone: Tz = config
            .digest
            .timezone
            .parse()
            .map_err(|e| format!("digest.timezone {:?}: {e}", config.digest.timezone))?;
        Ok(Schedule {
            cron,
            zone,
            expression,
        })
    }

    /// The period the most recent scheduled run (up to now) was for.
    pub fn last_due_period(&self, clock: &Clock) -> Option<Period> {
        let now = clock.now().with_timezone(&self.zone);
        let previous = self.cron.find_previous_occurrence(&now, true).ok()?;
        Some(Period::before(previous.date_naive()))
    }
}

/// One run at a time.
#[derive(Clone)]
struct Runner {
    app: Arc<Chapterhouse>,
    mailer: Arc<Mailer>,
    running: Arc<tokio::sync::Mutex<()>>,
}

impl Runner {
    /// Runs one digest run unless another is under way, and logs how it went.
    async fn run(
        &self,
        what: &'static str,
        period: Option<Period>,
        run: impl Future<Output = Result<Report, DigestError>>,
    ) {
        let Ok(_one_at_a_time) = self.running.try_lock() else {
            tracing::info!(what, "a digest run is under way; this one is skipped");
            return;
        };
        let period = period.map(|p| p.to_string());
        match run.await {
            Ok(report) => {
                tracing::info!(
                    what,
                    period = period.as_deref(),
                    sent = report.sent,
                    skipped = report.skipped,
                    failed = report.failed,
                    deferred = report.deferred,
                    "digest run"
                );
            }
            Err(e) => {
                tracing::error!(what, error = %e, "digest run failed; the next run resumes it");
            }
        }
    }

    async fn monthly(&self, period: Period) {
        let run = run_monthly(&self.app, &self.mailer, period);
        self.run("monthly digest", Some(period), run).await;
    }

    async fn immediate(&self) {
        let run = run_immediate(&self.app, &self.mailer);
        self.run("release notices", None, run).await;
    }
}

/// Starts the scheduler: catches up a missed monthly digest and owed notices at once, then
/// runs on schedule. Keep the returned scheduler alive while serving.
pub async fn start(app: Arc<Chapterhouse>, mailer: Arc<Mailer>) -> anyhow::Result<JobScheduler> {
    let schedule = Schedule::from_config(app.config()).map_err(anyhow::Error::msg)?;
    let clock = app.clock().clone();
    let runner = Runner {
        app,
        mailer,
        running: Arc::default(),
    };
    let scheduler = JobScheduler::new().await?;

    let monthly = runner.clone();
    let zone = schedule.zone;
    scheduler
        .add(Job::new_async_tz(
            schedule.expression.as_str(),
            zone,
            move |_, _| {
                let runner = monthly.clone();
                Box::pin(async move {
                    let period = Period::before(runner.app.clock().today());
                    runner.monthly(period).await;
                })
            },
        )?)
        .await?;
    let immediate = runner.clone();
    scheduler
        .add(Job::new_async("0 * * * * *", move |_, _| {
            let runner = immediate.clone();
            Box::pin(async move { runner.immediate().await })
        })?)
        .await?;
    scheduler.start().await?;

    // What was due while the server was down.
    let catch_up = runner.clone();
    let due = schedule.last_due_period(&clock);
    tokio::spawn(async move {
        if let Some(period) = due {
            let key = period.to_string();
            let finished = catch_up
                .app
                .blocking(move |app| app.db().map(|db| db.period_finished(&key)))
                .await;
            if !matches!(finished, Ok(Ok(Ok(true)))) {
                tracing::info!(%period, "the last monthly digest is due; sending it now");
                catch_up.monthly(period).await;
            }
        }
        catch_up.immediate().await;
    });
    tracing::info!(schedule = %schedule.expression, timezone = %zone, "digests scheduled");
    Ok(scheduler)
}
