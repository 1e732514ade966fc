//! The `digest` command: the monthly digest of a period, sent once per subscriber however
//! often it runs, or only described with `--dry-run`.

use super::{open_seeded, write_stdout};
use crate::config::Config;
use crate::digest::{self, Period, Retry};
use crate::mail::Mailer;

/// `digest --period YYYY-MM [--dry-run]`.
pub(super) async fn digest(config: Config, period: &str, dry_run: bool) -> anyhow::Result<()> {
    let period: Period = period.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    let app = open_seeded(config).await?;
    let (plan, db) = app
        .blocking(move |app| -> anyhow::Result<_> {
            let db = app.db()?.clone();
            Ok((digest::monthly_plan(app, &db, period)?, db))
        })
        .await??;
    if dry_run {
        let mut out = plan.describe();
        out.push_str(&format!(
            "{} digest(s) would be sent for {period} (nothing was sent)\n",
            plan.recipients.len()
        ));
        return write_stdout(&out);
    }
    let retry = Retry::from_config(app.config());
    let mailer = Mailer::new(app.config(), app.clock())?;
    let report = digest::deliver(&plan, &db, &mailer, retry).await?;
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
    Ok(())
}
