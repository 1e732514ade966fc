//! What a run covers, read from the store and the database (blocking: call it off the
//! runtime): the releases dated in a period or newly in force, the subscribers owed them,
//! and the titles and token key the letters need; [`compose`] does the rest.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;

use super::compose::{Heading, Plan, compose};
use super::{DigestError, Period};
use crate::app::{AppError, Chapterhouse};
use crate::content::ManualId;
use crate::db::{Db, Frequency, Subscriber};
use crate::notice::Notice;

/// The monthly digest of `period`: confirmed monthly subscribers whose manuals had
/// releases dated in it.
pub fn monthly_plan(app: &Chapterhouse, db: &Db, period: Period) -> Result<Plan, DigestError> {
    let notices = period_notices(app, period, app.today())?;
    let subscribers = owed(db, Frequency::Monthly)?;
    let heading = Heading {
        key: period.to_string(),
        subject: format!("Procedure changes in {}", period.name()),
        intro: format!(
            "These are the changes to the safeguarding procedures you follow published in {}.",
            period.name()
        ),
    };
    plan(app, db, heading, &notices, subscribers)
}

/// Immediate notices owed today: for each release in force that came into force in the
/// last `window_days` days, the confirmed immediate subscribers following its manual who
/// subscribed by its date.
pub fn immediate_plans(
    app: &Chapterhouse,
    db: &Db,
    today: NaiveDate,
    window_days: i64,
) -> Result<Vec<Plan>, DigestError> {
    let subscribers = owed(db, Frequency::Immediate)?;
    let mut plans = Vec::new();
    if subscribers.is_empty() {
        return Ok(plans);
    }
    for manual in app.store().released_manuals().map_err(AppError::from)? {
        for release in app.releases(&manual)? {
            let age = (today - release.date).num_days();
            if !(0..=window_days).contains(&age) {
                continue;
            }
            let key = format!("release:{manual}/{}", release.name);
            if db.period_finished(&key)? {
                continue;
            }
            let notice = app.release_notice(&manual, &release)?;
            let owed: Vec<Subscriber> = subscribers
                .iter()
                .filter(|s| s.follows(manual.as_str()) && s.subscribed_on() <= release.date)
                .cloned()
                .collect();
            let heading = Heading {
                key,
                subject: notice.heading(),
                intro: format!(
                    "A new release of {} is in force from {}.",
                    notice.manual_title,
                    release.date.format("%-d %B %Y")
                ),
            };
            let notices = BTreeMap::from([(manual.clone(), vec![notice])]);
            plans.push(plan(app, db, heading, &notices, owed)?);
        }
    }
    Ok(plans)
}

/// Confirmed subscribers, not flagged, who hear from us this often.
fn owed(db: &Db, frequency: Frequency) -> Result<Vec<Subscriber>, DigestError> {
    Ok(db
        .subscribers()?
        .into_iter()
        .filter(|s| s.confirmed && !s.flagged && s.frequency == frequency)
        .collect())
}

/// Reads what the letters need beside the notices, and composes the plan.
fn plan(
    app: &Chapterhouse,
    db: &Db,
    heading: Heading,
    notices: &BTreeMap<ManualId, Vec<Arc<Notice>>>,
    subscribers: Vec<Subscriber>,
) -> Result<Plan, DigestError> {
    let titles: BTreeMap<ManualId, String> = app
        .manual_summaries()?
        .into_iter()
        .map(|s| (s.id, s.title))
        .collect();
    let token_key = db.subscriber_token_key()?;
    Ok(compose(
        heading,
        notices,
        &titles,
        app.links(),
        &token_key,
        subscribers,
    ))
}

/// The notices of the releases of each manual dated in `period` and in force by `today`.
fn period_notices(
    app: &Chapterhouse,
    period: Period,
    today: NaiveDate,
) -> Result<BTreeMap<ManualId, Vec<Arc<Notice>>>, DigestError> {
    let mut out = BTreeMap::new();
    for manual in app.store().released_manuals().map_err(AppError::from)? {
        let mut notices = Vec::new();
        for release in app.releases(&manual)? {
            if period.contains(release.date) && release.in_force_on(today) {
                notices.push(app.release_notice(&manual, &release)?);
            }
        }
        if !notices.is_empty() {
            out.insert(manual, notices);
        }
    }
    Ok(out)
}
