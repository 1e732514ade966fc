//! The people commands: `editors` and `subscribers` (add, import, list, remove). The
//! database work runs on blocking threads; confirmation emails go out on the runtime.

use std::path::Path;
use std::sync::Arc;

use super::args::{EditorsCommand, SubscribersCommand};
use super::{blocking, open_seeded, write_stdout};
use crate::app::Chapterhouse;
use crate::config::Config;
use crate::db::{Frequency, NewEditor, NewSubscriber, Role, Subscribed, subscription_letter};
use crate::mail::{Letter, Mailer};

/// `editors add | list | remove`.
pub(super) async fn editors(config: Config, command: EditorsCommand) -> anyhow::Result<()> {
    blocking(move || {
        let app = Chapterhouse::open(config)?;
        let db = app.db()?;
        match command {
            EditorsCommand::Add { name, email, role } => {
                let role: Role = role.parse()?;
                let (editor, token) = db.add_editor(&NewEditor { name, email, role })?;
                let link = db.new_signin_link(editor.id)?;
                write_stdout(&format!(
                    "{}\nsign-in: {}\n",
                    token.as_str(),
                    signin_url(&app, &link)
                ))?;
                eprintln!(
                    "added editor {} ({} <{}>, {}); keep the token above: it is not shown again. The sign-in link works once, within 24 hours",
                    editor.id, editor.name, editor.email, editor.role
                );
            }
            EditorsCommand::SigninLink { email } => {
                let editor = db.editor_by_email(&email)?.ok_or_else(|| {
                    anyhow::anyhow!(
                        "no editor has the address {:?} (see editors list)",
                        email.chars().take(254).collect::<String>()
                    )
                })?;
                let link = db.new_signin_link(editor.id)?;
                write_stdout(&format!("sign-in: {}\n", signin_url(&app, &link)))?;
            }
            EditorsCommand::List => {
                let mut out = String::new();
                for e in db.editors()? {
                    out.push_str(&format!("{}\t{}\t{}\t{}\n", e.id, e.role, e.name, e.email));
                }
                write_stdout(&out)?;
            }
            EditorsCommand::Remove { id } => {
                let id: i64 = id.parse().map_err(|_| {
                    anyhow::anyhow!("{id:?} is not an editor number (see editors list)")
                })?;
                db.revoke_editor(id)?;
                write_stdout(&format!("revoked editor {id}\n"))?;
            }
        }
        Ok(())
    })
    .await
}

/// The workspace address a sign-in link opens.
fn signin_url(app: &Chapterhouse, link: &crate::tokens::Token) -> String {
    app.links()
        .page(&format!("/signin?token={}", link.as_str()))
}

/// `subscribers add | import | list | remove`.
pub(super) async fn subscribers(config: Config, command: SubscribersCommand) -> anyhow::Result<()> {
    let app = open_seeded(config).await?;
    match command {
        SubscribersCommand::Add {
            email,
            manuals,
            frequency,
            confirmed,
        } => {
            let (outcome, letter) = app
                .blocking(move |app| -> anyhow::Result<_> {
                    let manuals = app.known_manuals(&manuals)?;
                    let frequency: Frequency = frequency.parse()?;
                    let db = app.db()?;
                    let outcome = db.subscribe(&NewSubscriber {
                        email,
                        manuals,
                        frequency,
                        confirmed,
                    })?;
                    let letter = subscription_letter(db, &app.links(), &outcome)?;
                    Ok((outcome, letter))
                })
                .await??;
            let (subscriber, what) = match &outcome {
                Subscribed::New { subscriber, .. } => (subscriber, "added"),
                Subscribed::Unconfirmed { subscriber, .. } => {
                    (subscriber, "updated (not yet confirmed)")
                }
                Subscribed::Existing {
                    subscriber,
                    updated: true,
                } => (subscriber, "updated"),
                Subscribed::Existing {
                    subscriber,
                    updated: false,
                } => (
                    subscriber,
                    "already subscribed and confirmed; unchanged (use --confirmed to change it)",
                ),
            };
            let mut out = format!("{} {what}", subscriber.email);
            if let Some(letter) = letter {
                let mailer = Mailer::new(app.config(), app.clock())?;
                mailer
                    .send(&letter)
                    .await
                    .map_err(|e| anyhow::anyhow!("the email to {} was not sent: {e}", letter.to))?;
                out.push_str(&format!("; emailed through {}", mailer.describe()));
            }
            out.push('\n');
            write_stdout(&out)
        }
        SubscribersCommand::Import { file, confirmed } => {
            let report = import_subscribers(&app, &file, confirmed).await?;
            write_stdout(&report)
        }
        SubscribersCommand::List => {
            let subscribers = app
                .blocking(|app| -> anyhow::Result<_> { Ok(app.db()?.subscribers()?) })
                .await??;
            let mut out = String::new();
            for s in subscribers {
                let manuals = if s.all_manuals {
                    "*".to_owned()
                } else {
                    s.manuals.join(" ")
                };
                let state = if s.flagged {
                    "flagged"
                } else if s.confirmed {
                    "confirmed"
                } else {
                    "unconfirmed"
                };
                out.push_str(&format!(
                    "{}\t{}\t{}\t{manuals}\t{state}\n",
                    s.id, s.email, s.frequency
                ));
            }
            write_stdout(&out)
        }
        SubscribersCommand::Remove { email } => {
            let removed = app
                .blocking(move |app| -> anyhow::Result<_> {
                    let db = app.db()?;
                    let subscriber = db
                        .subscriber_by_email(&email)?
                        .ok_or_else(|| anyhow::anyhow!("no subscriber {email:?}"))?;
                    db.remove_subscriber(subscriber.id)?;
                    Ok(subscriber.email)
                })
                .await??;
            write_stdout(&format!("removed {removed}\n"))
        }
    }
}

/// One row of a subscribers CSV file.
#[derive(serde::Deserialize)]
struct Row {
    email: String,
    #[serde(default)]
    manuals: String,
    #[serde(default)]
    frequency: String,
}

/// The rows of a subscribers CSV file, each with its line number, a bad one as its reason.
fn read_rows(file: &Path) -> anyhow::Result<Vec<(u64, Result<Row, String>)>> {
    let bytes =
        std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    parse_rows(&file.display().to_string(), &bytes)
}

/// The rows of a subscribers CSV file's contents; `name` names the file in messages.
fn parse_rows(name: &str, bytes: &[u8]) -> anyhow::Result<Vec<(u64, Result<Row, String>)>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| anyhow::anyhow!("{name}: no header row: {e}"))?
        .clone();
    if !headers.iter().any(|h| h == "email") {
        anyhow::bail!(
            "{name}: the header row must name an email column (and optionally manuals, frequency)"
        );
    }
    // Each row is numbered by the line it starts on: blank lines and quoted line breaks
    // before it count.
    let mut rows = Vec::new();
    let mut records = reader.records();
    while let Some(record) = records.next() {
        let line = |position: Option<&csv::Position>| match position {
            Some(position) => start_line(bytes, position),
            None => records.reader().position().line(),
        };
        rows.push(match record {
            Ok(record) => (
                line(record.position()),
                record
                    .deserialize(Some(&headers))
                    .map_err(|e| e.to_string()),
            ),
            Err(e) => (line(e.position()), Err(e.to_string())),
        });
    }
    Ok(rows)
}

/// The line a record starts on. The reader's position for it is where it began reading:
/// before the blank lines it skipped.
fn start_line(bytes: &[u8], position: &csv::Position) -> u64 {
    let from = usize::try_from(position.byte()).map_or(bytes.len(), |b| b.min(bytes.len()));
    let skipped = bytes[from..]
        .iter()
        .take_while(|b| matches!(b, b'\n' | b'\r'))
        .filter(|b| **b == b'\n')
        .count();
    position.line() + skipped as u64
}

/// What one row did: its subscription and the letter to send, or why it was refused.
type Applied = Result<(Subscribed, Option<Letter>), String>;

/// Applies one row on a blocking thread. A refused row is `Ok(Err(reason))`; only a
/// letter that cannot be written stops the import.
async fn apply(app: &Arc<Chapterhouse>, row: Row, confirmed: bool) -> anyhow::Result<Applied> {
    app.blocking(move |app| -> anyhow::Result<Applied> {
        let subscribe = || -> anyhow::Result<Subscribed> {
            let manuals: Vec<String> = row.manuals.split_whitespace().map(str::to_owned).collect();
            let new = NewSubscriber {
                email: row.email,
                manuals: app.known_manuals(&manuals)?,
                frequency: row.frequency.parse()?,
                confirmed,
            };
            Ok(app.db()?.subscribe(&new)?)
        };
        let outcome = match subscribe() {
            Ok(outcome) => outcome,
            Err(e) => return Ok(Err(e.to_string())),
        };
        let letter = subscription_letter(app.db()?, &app.links(), &outcome)?;
        Ok(Ok((outcome, letter)))
    })
    .await?
}

/// `subscribers import`: every good row is applied; each bad row is refused with its line
/// number and refuses nothing else. Confirmation emails are sent (unless `confirmed`).
async fn import_subscribers(
    app: &Arc<Chapterhouse>,
    file: &Path,
    confirmed: bool,
) -> anyhow::Result<String> {
    let file = file.to_owned();
    let rows = blocking(move || read_rows(&file)).await?;
    let mailer = Mailer::new(app.config(), app.clock())?;
    let (mut added, mut updated, mut unchanged) = (0, 0, 0);
    let mut refused = Vec::new();
    for (line, row) in rows {
        let applied = match row {
            Err(e) => Err(e),
            Ok(row) => apply(app, row, confirmed).await?,
        };
        let (outcome, letter) = match applied {
            Err(e) => {
                refused.push(format!("line {line}: {e}"));
                continue;
            }
            Ok(applied) => applied,
        };
        match &outcome {
            Subscribed::New { .. } => added += 1,
            Subscribed::Unconfirmed { .. } | Subscribed::Existing { updated: true, .. } => {
                updated += 1
            }
            Subscribed::Existing { updated: false, .. } => unchanged += 1,
        }
        if let Some(letter) = letter
            && let Err(e) = mailer.send(&letter).await
        {
            refused.push(format!(
                "line {line}: saved, but the confirmation email was not sent: {e}"
            ));
        }
    }
    let mut out = format!(
        "{added} added, {updated} updated, {unchanged} unchanged (confirmed already), {} refused\n",
        refused.len()
    );
    for r in refused {
        out.push_str(&r);
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
