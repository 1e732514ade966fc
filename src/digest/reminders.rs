//! The weekly review reminder (`reviews.schedule`): each chapter owner hears of their
//! chapters overdue or due for review within 30 days, or whose national guidance changed
//! since, and the editors of such chapters without an owner; nobody hears anything when
//! nothing is due. One message per address
//! per week, across restarts: the week's rows are planned in the database before anything
//! is sent, and each is marked when its message has gone.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Datelike;

use super::{DigestError, Report};
use crate::app::{Chapterhouse, ReviewState};
use crate::content::markdown::escape_html as escape;
use crate::mail::{Letter, Mailer};

/// One chapter an address is reminded of.
#[derive(Debug, Clone)]
struct Due {
    manual: String,
    manual_title: String,
    id: String,
    title: String,
    line: String,
}

/// The week a reminder belongs to, `YYYY-Www` (ISO weeks).
pub fn week_of(day: chrono::NaiveDate) -> String {
    let week = day.iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

/// What is due this week, by address.
fn due_by_address(app: &Chapterhouse) -> Result<BTreeMap<String, Vec<Due>>, DigestError> {
    let editors: Vec<String> = app
        .db()?
        .editors()?
        .into_iter()
        .map(|e| e.email.to_lowercase())
        .collect();
    let mut by_address: BTreeMap<String, Vec<Due>> = BTreeMap::new();
    for manual in app.store().manuals().map_err(crate::app::AppError::from)? {
        let report = app.reviews(&manual)?;
        for chapter in &report.chapters {
            let mut why = Vec::new();
            match (chapter.state, chapter.review_due) {
                (ReviewState::Overdue, Some(day)) => {
                    why.push(format!("overdue since {}", day.format("%-d %B %Y")));
                }
                (ReviewState::Due, Some(day)) => {
                    why.push(format!("due by {}", day.format("%-d %B %Y")))
                }
                _ => {}
            }
            for source in chapter.sources.iter().filter(|s| s.state == "changed") {
                let when = source
                    .updated_at
                    .as_deref()
                    .map_or("", |u| u.get(..10).unwrap_or(u));
                why.push(format!(
                    "national guidance changed on {when}: {}",
                    source.url
                ));
            }
            if why.is_empty() {
                continue;
            }
            let due = why.join("; ");
            let item = Due {
                manual: report.manual.clone(),
                manual_title: report.title.clone(),
                id: chapter.id.clone(),
                title: chapter.title.clone(),
                line: due,
            };
            let to = match &chapter.owner {
                Some(owner) => vec![owner.to_lowercase()],
                None => editors.clone(),
            };
            for address in to {
                by_address.entry(address).or_default().push(item.clone());
            }
        }
    }
    Ok(by_address)
}

/// The reminder to one address.
fn letter(to: &str, week: &str, items: &[Due], base: &str) -> Letter {
    let base = base.trim_end_matches('/');
    let mut text = format!(
        "These safeguarding procedure chapters need reviewing ({} in all):\n\n",
        items.len()
    );
    let mut html = format!(
        "<p>These safeguarding procedure chapters need reviewing ({} in all):</p><ul>",
        items.len()
    );
    for item in items {
        let link = format!("{base}/edit/manuals/{}/chapters/{}", item.manual, item.id);
        text.push_str(&format!(
            "- {} ({}): {}\n  {link}\n",
            item.title, item.manual_title, item.line
        ));
        html.push_str(&format!(
            "<li><a href=\"{}\">{}</a> ({}): {}</li>",
            escape(&link),
            escape(&item.title),
            escape(&item.manual_title),
            escape(&item.line)
        ));
    }
    text.push_str("\nRecord a review by setting the chapter's next review date; it counts as soon as it is saved.\n");
    html.push_str("</ul><p>Record a review by setting the chapter's next review date; it counts as soon as it is saved.</p>");
    let digest = crate::tokens::hex(&crate::tokens::sha256(to.as_bytes())[..8]);
    Letter {
        to: to.to_owned(),
        subject: format!("Procedure chapters to review ({} this week)", items.len()),
        text,
        html,
        id: format!("reviews.{week}.{digest}"),
        unsubscribe: None,
    }
}

/// Sends this week's reminders not sent yet.
pub async fn run_reminders(
    app: &Arc<Chapterhouse>,
    mailer: &Mailer,
) -> Result<Report, DigestError> {
    let (week, letters, db) = app
        .blocking(|app| -> Result<_, DigestError> {
            let week = week_of(app.today());
            let due = due_by_address(app)?;
            let db = app.db()?.clone();
            let addresses: Vec<String> = due.keys().cloned().collect();
            db.plan_reminders(&week, &addresses)?;
            let base = app.config().server.public_url.clone();
            let letters: Vec<Letter> = db
                .open_reminders(&week)?
                .into_iter()
                .filter_map(|to| due.get(&to).map(|items| letter(&to, &week, items, &base)))
                .collect();
            Ok((week, letters, db))
        })
        .await??;
    let mut report = Report::default();
    for letter in letters {
        let (claim_db, claim_week, claim_to) = (db.clone(), week.clone(), letter.to.clone());
        let mine =
            tokio::task::spawn_blocking(move || claim_db.claim_reminder(&claim_week, &claim_to))
                .await??;
        if !mine {
            // Another sender (another instance) has it.
            report.skipped += 1;
            continue;
        }
        let outcome = mailer.send(&letter).await;
        match &outcome {
            Ok(()) => report.sent += 1,
            Err(e) if e.transient => {
                report.deferred += 1;
                tracing::warn!(to = %letter.to, error = %e, "review reminder not sent; the next run tries again");
                let (db, week, to) = (db.clone(), week.clone(), letter.to.clone());
                tokio::task::spawn_blocking(move || db.release_reminder(&week, &to)).await??;
                continue;
            }
            Err(e) => {
                report.failed += 1;
                tracing::warn!(to = %letter.to, error = %e, "review reminder refused");
            }
        }
        let (db, week, to, sent) = (db.clone(), week.clone(), letter.to.clone(), outcome.is_ok());
        tokio::task::spawn_blocking(move || db.record_reminder(&week, &to, sent)).await??;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_are_iso_weeks() {
        let day = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
        assert_eq!(week_of(day("2026-03-02")), "2026-W10");
        assert_eq!(week_of(day("2026-03-08")), "2026-W10");
        assert_eq!(week_of(day("2027-01-01")), "2026-W53");
    }

    #[test]
    fn a_reminder_lists_each_chapter_with_its_link_and_escapes_titles() {
        let items = [Due {
            manual: "m".into(),
            manual_title: "Test <Procedures>".into(),
            id: "a".into(),
            title: "Alpha & Omega".into(),
            line: "overdue since 1 February 2026".into(),
        }];
        let l = letter(
            "lead@example.org",
            "2026-W10",
            &items,
            "https://p.example.org/",
        );
        assert!(l.text.contains("- Alpha & Omega (Test <Procedures>): overdue since 1 February 2026\n  https://p.example.org/edit/manuals/m/chapters/a"));
        assert!(l.html.contains("Alpha &amp; Omega") && l.html.contains("Test &lt;Procedures&gt;"));
        assert!(
            l.id.starts_with("reviews.2026-W10.")
                && l.id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-.".contains(c))
        );
    }
}
