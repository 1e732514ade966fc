//! Digests on a schedule, inside `serve`: the monthly digest at the configured time (and at
//! start, when the last one was missed), and immediate notices within a minute of a release
//! coming into force.
//!
//! Runs never overlap. Each plans on a blocking thread (it reads the store and the
//! database beside the site's readers), then delivers on the one runtime, while the site
//! goes on serving.

use std::str::FromStr;
use std::sync::Arc;

use chrono_tz::Tz;
use croner::Cron;
use tokio_cron_scheduler::{Job, JobScheduler};

use super::{Period, Plan, Retry, deliver, immediate_plans, monthly_plan};
use crate::app::Chapterhouse;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::mail::Mailer;

/// How far back a release's immediate notice is still owed (a server down for longer does
/// not flood subscribers with old news; the monthly digest has it).
const IMMEDIATE_WINDOW_DAYS: i64 = 7;

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
    /// Plans on a blocking thread, then delivers.
    async fn run(
        &self,
        what: &'static str,
        make: impl FnOnce(&Chapterhouse, &Db) -> anyhow::Result<Vec<Plan>> + Send + 'static,
    ) {
        let Ok(_one_at_a_time) = self.running.try_lock() else {
            tracing::info!(what, "a digest run is under way; this one is skipped");
            return;
        };
        let planned = self
            .app
            .blocking(move |app| -> anyhow::Result<(Vec<Plan>, Db)> {
                let db = app.db()?.clone();
                Ok((make(app, &db)?, db))
            })
            .await
            .map_err(anyhow::Error::from)
            .and_then(|planned| planned);
        let (plans, db) = match planned {
            Ok(planned) => planned,
            Err(e) => {
                tracing::error!(what, error = %e, "digest run not planned");
                return;
            }
        };
        let retry = Retry::from_config(self.app.config());
        for plan in &plans {
            match deliver(plan, &db, &self.mailer, retry).await {
                Ok(report) => {
                    tracing::info!(what, period = %plan.key, sent = report.sent, skipped = report.skipped,
                        failed = report.failed, deferred = report.deferred, "digest run");
                }
                Err(e) => {
                    tracing::error!(what, error = %e, "digest run failed; the next run resumes it");
                    return;
                }
            }
        }
    }

    async fn monthly(&self, period: Period) {
        self.run("monthly digest", move |app, db| {
            Ok(vec![monthly_plan(app, db, period)?])
        })
        .await;
    }

    async fn immediate(&self) {
        self.run("release notices", |app, db| {
            Ok(immediate_plans(
                app,
                db,
                app.today(),
                IMMEDIATE_WINDOW_DAYS,
            )?)
        })
        .await;
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
