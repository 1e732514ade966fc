//! Digests on a schedule, inside `serve`: the monthly digest at the configured time (and at
//! start, when the last one was missed), and immediate notices within a minute of a release
//! coming into force.
//!
//! Runs never overlap. Each plans with the application's lock held (it reads the store),
//! then delivers on a thread of its own, with its own database connection and mail
//! connections, while the site goes on serving.

use std::str::FromStr;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use chrono_tz::Tz;
use croner::Cron;
use tokio_cron_scheduler::{Job, JobScheduler};

use super::{Period, Plan, Retry, deliver, immediate_plans, monthly_plan};
use crate::app::Chapterhouse;
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
    pub fn last_due_period(&self) -> Option<Period> {
        let now = Utc::now().with_timezone(&self.zone);
        let previous = self.cron.find_previous_occurrence(&now, true).ok()?;
        Some(Period::before(previous.date_naive()))
    }
}

/// One run at a time.
#[derive(Clone)]
struct Runner {
    app: Arc<Mutex<Chapterhouse>>,
    config: Config,
    running: Arc<Mutex<()>>,
}

impl Runner {
    /// Plans with the application, then delivers off it. Blocking: call from a thread
    /// that may block.
    fn run(&self, what: &str, make: impl FnOnce(&Chapterhouse, &Db) -> anyhow::Result<Vec<Plan>>) {
        let Ok(_one_at_a_time) = self.running.try_lock() else {
            tracing::info!(what, "a digest run is under way; this one is skipped");
            return;
        };
        let plans = {
            let app = self.app.lock().unwrap_or_else(|p| p.into_inner());
            app.db()
                .map_err(anyhow::Error::from)
                .and_then(|db| make(&app, db))
        };
        let plans = match plans {
            Ok(plans) => plans,
            Err(e) => {
                tracing::error!(what, error = %e, "digest run not planned");
                return;
            }
        };
        if plans.iter().all(|p| p.recipients.is_empty()) {
            // Periods with nothing to send are still recorded as done.
            if let Ok(db) = Db::open(&self.config.db_path()) {
                for plan in &plans {
                    let _ = db.finish_period(&plan.key);
                }
            }
            return;
        }
        let result = (|| -> anyhow::Result<()> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let db = Db::open(&self.config.db_path())?;
            // The SMTP pool lives (and is dropped) within this run's runtime.
            let _inside = runtime.enter();
            let mailer = Mailer::new(&self.config)?;
            let retry = Retry::from_config(&self.config);
            for plan in &plans {
                let report = runtime.block_on(deliver(plan, &db, &mailer, retry))?;
                tracing::info!(what, period = %plan.key, sent = report.sent, skipped = report.skipped,
                    failed = report.failed, deferred = report.deferred, "digest run");
            }
            Ok(())
        })();
        if let Err(e) = result {
            tracing::error!(what, error = %e, "digest run failed; the next run resumes it");
        }
    }

    fn monthly(&self, period: Period) {
        self.run("monthly digest", |app, db| {
            Ok(vec![monthly_plan(app, db, period)?])
        });
    }

    fn immediate(&self) {
        self.run("release notices", |app, db| {
            Ok(immediate_plans(
                app,
                db,
                app.today(),
                IMMEDIATE_WINDOW_DAYS,
            )?)
        });
    }
}

/// Starts the scheduler: catches up a missed monthly digest and owed notices at once, then
/// runs on schedule. Keep the returned scheduler alive while serving.
pub async fn start(app: Arc<Mutex<Chapterhouse>>, config: Config) -> anyhow::Result<JobScheduler> {
    let schedule = Schedule::from_config(&config).map_err(anyhow::Error::msg)?;
    let runner = Runner {
        app,
        config,
        running: Arc::new(Mutex::new(())),
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
                    let period = Period::before(Utc::now().with_timezone(&zone).date_naive());
                    let _ = tokio::task::spawn_blocking(move || runner.monthly(period)).await;
                })
            },
        )?)
        .await?;
    let immediate = runner.clone();
    scheduler
        .add(Job::new_async("0 * * * * *", move |_, _| {
            let runner = immediate.clone();
            Box::pin(async move {
                let _ = tokio::task::spawn_blocking(move || runner.immediate()).await;
            })
        })?)
        .await?;
    scheduler.start().await?;

    // What was due while the server was down.
    let catch_up = runner.clone();
    let due = schedule.last_due_period();
    tokio::task::spawn_blocking(move || {
        if let Some(period) = due {
            let finished = Db::open(&catch_up.config.db_path())
                .map(|db| db.period_finished(&period.to_string()).unwrap_or(false))
                .unwrap_or(false);
            if !finished {
                tracing::info!(%period, "the last monthly digest is due; sending it now");
                catch_up.monthly(period);
            }
        }
        catch_up.immediate();
    });
    tracing::info!(schedule = %schedule.expression, timezone = %zone, "digests scheduled");
    Ok(scheduler)
}
