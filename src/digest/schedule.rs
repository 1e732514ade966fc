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

    async fn reminders(&self) {
        let run = super::reminders::run_reminders(&self.app, &self.mailer);
        self.run("review reminders", None, run).await;
    }
}

/// The weekly review reminder's schedule, when `serve` sends it.
fn reminder_schedule(config: &Config) -> Result<Option<Cron>, String> {
    if !config.reviews.enabled {
        return Ok(None);
    }
    let expression = config.reviews.schedule.trim();
    let cron =
        Cron::from_str(expression).map_err(|e| format!("reviews.schedule {expression:?}: {e}"))?;
    Ok(Some(cron))
}

/// True when the reminder's last scheduled time up to now falls in this week: a server
/// that was down then sends what is still owed (the ledger keeps it to once a week).
fn reminder_due_this_week(cron: &Cron, clock: &Clock, zone: Tz) -> bool {
    let now = clock.now().with_timezone(&zone);
    cron.find_previous_occurrence(&now, true).is_ok_and(|at| {
        super::reminders::week_of(at.date_naive()) == super::reminders::week_of(now.date_naive())
    })
}

/// Starts the scheduler: catches up a missed monthly digest and owed notices at once, then
/// runs on schedule. Keep the returned scheduler alive while serving.
pub async fn start(app: Arc<Chapterhouse>, mailer: Arc<Mailer>) -> anyhow::Result<JobScheduler> {
    let schedule = Schedule::from_config(app.config()).map_err(anyhow::Error::msg)?;
    let reminders = reminder_schedule(app.config()).map_err(anyhow::Error::msg)?;
    let digests = app.config().digest.enabled;
    let clock = app.clock().clone();
    let runner = Runner {
        app,
        mailer,
        running: Arc::default(),
    };
    let scheduler = JobScheduler::new().await?;

    let zone = schedule.zone;
    if digests {
        let monthly = runner.clone();
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
    }
    if reminders.is_some() {
        let weekly = runner.clone();
        scheduler
            .add(Job::new_async_tz(
                runner.app.config().reviews.schedule.trim(),
                schedule.zone,
                move |_, _| {
                    let runner = weekly.clone();
                    Box::pin(async move { runner.reminders().await })
                },
            )?)
            .await?;
    }
    if runner.app.config().sources.enabled {
        let app = runner.app.clone();
        scheduler
            .add(Job::new_async_tz(
                runner.app.config().sources.schedule.trim(),
                schedule.zone,
                move |_, _| {
                    let app = app.clone();
                    Box::pin(async move {
                        match crate::sources::check_all(&app).await {
                            Ok(checked) => tracing::info!(sources = checked.len(), "national guidance checked"),
                            Err(e) => tracing::error!(error = %e, "checking national guidance failed; tried again tomorrow"),
                        }
                    })
                },
            )?)
            .await?;
    }
    scheduler.start().await?;

    // What was due while the server was down.
    let catch_up = runner.clone();
    let due = schedule.last_due_period(&clock);
    let clock_now = clock.clone();
    tokio::spawn(async move {
        if digests && let Some(period) = due {
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
        if digests {
            catch_up.immediate().await;
        }
        if let Some(cron) = &reminders
            && reminder_due_this_week(cron, &clock_now, zone)
        {
            catch_up.reminders().await;
        }
    });
    tracing::info!(schedule = %schedule.expression, timezone = %zone, "digests scheduled");
    Ok(scheduler)
}
