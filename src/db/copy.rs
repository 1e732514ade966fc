//! Copying every record from one database into another, empty one, on either engine:
//! `chapterhouse db migrate-to` (SQLite to PostgreSQL), and the backup of a PostgreSQL
//! database as a SQLite file (and its restore). The source is read on one snapshot; the
//! copy is written in one transaction, so a failed copy leaves the destination empty.

use std::collections::BTreeMap;

use sqlx::any::AnyArguments;

use super::engine::{AssertSqlSafe, Conn, Engine, SqlResult, args};
use super::{Db, DbError, migrations};

/// Rows sent in one statement at most.
const ROWS_PER_INSERT: usize = 200;

/// What a column holds, as the destination declares it.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Int,
    Text,
    Bytes,
}

/// One value on its way across.
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

impl Value {
    fn bind(self, args: &mut AnyArguments) {
        use sqlx::Arguments as _;
        match self {
            Value::Int(v) => args.add(v),
            Value::Text(v) => args.add(v),
            Value::Bytes(v) => args.add(v),
        }
        .expect("a parameter of a known type");
    }
}

impl Db {
    /// Copies every record of this database into `to`, whose tables must all be empty,
    /// and checks the copy's row counts against the source's: the rows of each table.
    pub fn copy_into(&self, to: &Db) -> Result<BTreeMap<String, i64>, DbError> {
        if self.schema_version()? != self.schema_steps() {
            return Err(DbError::Refused(format!(
                "{}: the schema is not this chapterhouse's newest; open it with this version first",
                self.label()
            )));
        }
        let filled: Vec<String> = to
            .row_counts()?
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(table, n)| format!("{table} ({n} rows)"))
            .collect();
        if !filled.is_empty() {
            return Err(DbError::Refused(format!(
                "{} is not empty: {}; copy only into a new database",
                to.label(),
                filled.join(", ")
            )));
        }
        let counts = self
            .pool
            .snapshot(|source| {
                to.pool.write(|dest| {
                    let mut counts = BTreeMap::new();
                    for table in migrations::TABLES {
                        counts.insert(table.to_string(), copy_table(source, dest, table)?);
                    }
                    if dest.engine() == Engine::Postgres {
                        for table in migrations::TABLES_WITH_IDS {
                            dest.query_row(
                                AssertSqlSafe(format!(
                                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                                        coalesce(max(id), 0) + 1, false) FROM {table}"
                                )),
                                args![],
                                |_| Ok(()),
                            )?;
                        }
                    }
                    Ok(counts)
                })
            })
            .map_err(|source| DbError::Engine {
                path: format!("copying {} into {}", self.label(), to.label()),
                source,
            })?;
        let copied = to.row_counts()?;
        for (table, n) in &counts {
            let found = copied.get(table).copied().unwrap_or(0);
            if found != *n {
                return Err(DbError::Refused(format!(
                    "{}: {table} has {found} rows after the copy, the source {n}",
                    to.label()
                )));
            }
        }
        Ok(counts)
    }
}

/// Copies one table's rows; the number copied.
fn copy_table(source: &Conn<'_>, dest: &Conn<'_>, table: &str) -> SqlResult<i64> {
    let columns = columns(dest, table)?;
    let names: Vec<&str> = columns.iter().map(|(name, _)| name.as_str()).collect();
    let select = format!("SELECT {} FROM {table} ORDER BY 1, 2", names.join(", "));
    let rows: Vec<Vec<Value>> = source.query_map(AssertSqlSafe(select), args![], |row| {
        columns
            .iter()
            .enumerate()
            .map(|(i, (_, kind))| {
                Ok(match kind {
                    Kind::Int => Value::Int(row.get(i)?),
                    Kind::Text => Value::Text(row.get(i)?),
                    Kind::Bytes => Value::Bytes(row.get(i)?),
                })
            })
            .collect()
    })?;
    let copied = rows.len() as i64;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut args = AnyArguments::default();
        let mut tuples = Vec::new();
        for row in rows.by_ref().take(ROWS_PER_INSERT) {
            let first = tuples.len() * names.len() + 1;
            let marks: Vec<String> = (first..first + names.len())
                .map(|n| format!("${n}"))
                .collect();
            tuples.push(format!("({})", marks.join(", ")));
            for value in row {
                value.bind(&mut args);
            }
        }
        let insert = format!(
            "INSERT INTO {table} ({}) VALUES {}",
            names.join(", "),
            tuples.join(", ")
        );
        dest.execute(AssertSqlSafe(insert), args)?;
    }
    Ok(copied)
}

/// A table's columns in the destination, with what each holds.
fn columns(conn: &Conn<'_>, table: &str) -> SqlResult<Vec<(String, Kind)>> {
    let rows: Vec<(String, String)> = match conn.engine() {
        Engine::Sqlite => conn.query_map(
            "SELECT name, type FROM pragma_table_info($1) ORDER BY cid",
            args![table],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?,
        Engine::Postgres => conn.query_map(
            "SELECT column_name::text, data_type::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1
             ORDER BY ordinal_position",
            args![table],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?,
    };
    Ok(rows
        .into_iter()
        .map(|(name, declared)| {
            let kind = match declared.to_ascii_lowercase().as_str() {
                "integer" | "bigint" => Kind::Int,
                "blob" | "bytea" => Kind::Bytes,
                _ => Kind::Text,
            };
            (name, kind)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::clock::Clock;
    use crate::db::testing::{postgres_url, scratch};
    use crate::db::{
        DeliveryState, Frequency, NewEditor, NewProposal, NewSubscriber, Role, SigninRequest,
    };

    fn clock() -> Clock {
        Clock::starting_at(
            "2026-03-02T09:00:00Z".parse().unwrap(),
            chrono_tz::Europe::London,
        )
    }

    /// A SQLite database with rows in every table, and the tokens that open some.
    fn filled() -> (crate::db::testing::Scratch, Db, String) {
        let (dir, db) = scratch(Engine::Sqlite, clock());
        let (sam, sam_token) = db
            .add_editor(&NewEditor {
                name: "Sam".into(),
                email: "sam@example.org".into(),
                role: Role::Editor,
            })
            .unwrap();
        let (pat, _) = db
            .add_editor(&NewEditor {
                name: "Pat".into(),
                email: "pat@example.org".into(),
                role: Role::Publisher,
            })
            .unwrap();
        assert!(matches!(
            db.request_signin_link("sam@example.org").unwrap(),
            SigninRequest::Send(..)
        ));
        let link = db.new_signin_link(pat.id).unwrap();
        db.sign_in(link.as_str()).unwrap().unwrap();
        let mut ids = Vec::new();
        for (email, confirmed) in [("a@example.org", true), ("b@example.org", false)] {
            db.subscribe(&NewSubscriber {
                email: email.into(),
                manuals: vec!["children".parse().unwrap()],
                frequency: Frequency::Monthly,
                confirmed,
            })
            .unwrap();
            ids.push(db.subscriber_by_email(email).unwrap().unwrap().id);
        }
        db.subscribe(&NewSubscriber {
            email: "gone@example.org".into(),
            manuals: vec![],
            frequency: Frequency::Immediate,
            confirmed: true,
        })
        .unwrap();
        let gone = db.subscriber_by_email("gone@example.org").unwrap().unwrap();
        let token = db.subscriber_token(&gone).unwrap();
        assert!(db.unsubscribe(token.as_str()).unwrap());
        db.plan_deliveries("2026-02", &ids).unwrap();
        let first = db.deliveries("2026-02").unwrap().remove(0);
        let release = crate::db::SentRelease {
            manual: "children".into(),
            release: "2026-02".into(),
        };
        let carried = [(first.subscriber_id, vec![release])].into();
        db.record_deliveries(&[(first, DeliveryState::Sent, None)], &carried)
            .unwrap();
        let change = crate::db::Change {
            manual: "children",
            release: "2026-02",
            chapter: "lado",
        };
        let a = db.subscriber_by_email("a@example.org").unwrap().unwrap();
        let read = db.subscriber_token_key().unwrap().read_token(&a, &change);
        db.acknowledge(read.as_str(), &change).unwrap();
        db.finish_period("2026-01").unwrap();
        db.plan_reminders("2026-W10", &["pat@example.org".to_owned()])
            .unwrap();
        db.record_source_check(
            "https://www.gov.uk/x",
            &crate::db::SourceAnswer::Failed("HTTP 500".into()),
        )
        .unwrap();
        db.mark_source_reviewed("children", "lado", "https://www.gov.uk/x", "Pat")
            .unwrap();
        assert!(
            db.may_mail(
                "reminder",
                "pat@example.org",
                chrono::TimeDelta::minutes(10)
            )
            .unwrap()
        );
        let notes = BTreeMap::from([("lado".to_owned(), "New contacts.".to_owned())]);
        let new = NewProposal {
            manual: "children",
            name: "2026-03",
            date: None,
            notes: &notes,
            base: "abc",
        };
        db.propose(&new, &sam).unwrap();
        let proposal = db.open_proposal("children").unwrap().unwrap();
        db.approve(&proposal, &pat).unwrap();
        (dir, db, sam_token.as_str().to_owned())
    }

    #[test]
    fn every_record_moves_to_postgresql_and_new_ids_follow_the_copied_ones() {
        let (_dir, sqlite, token) = filled();
        let before = sqlite.row_counts().unwrap();
        for table in migrations::TABLES {
            assert!(before[*table] > 0, "the fixture fills {table}");
        }
        let postgres = Db::connect(&postgres_url(), clock()).unwrap();
        let counts = sqlite.copy_into(&postgres).unwrap();
        assert_eq!(counts, before);
        assert_eq!(postgres.row_counts().unwrap(), before);

        let sam = postgres.editor_for_token(&token).unwrap().unwrap();
        assert_eq!(sam.email, "sam@example.org");
        let a = sqlite
            .subscriber_by_email("a@example.org")
            .unwrap()
            .unwrap();
        let manage = sqlite.subscriber_token(&a).unwrap();
        assert_eq!(
            postgres.subscriber_for_token(manage.as_str()).unwrap(),
            Some(a)
        );
        let (_, _) = postgres
            .add_editor(&NewEditor {
                name: "Lee".into(),
                email: "lee@example.org".into(),
                role: Role::Editor,
            })
            .unwrap();
        let ids: Vec<i64> = postgres.editors().unwrap().iter().map(|e| e.id).collect();
        assert_eq!(ids, [1, 2, 3]);
        assert_eq!(
            postgres.open_proposal("children").unwrap(),
            sqlite.open_proposal("children").unwrap()
        );
    }

    #[test]
    fn a_database_with_records_is_never_copied_into() {
        let (_dir, sqlite, _) = filled();
        let postgres = Db::connect(&postgres_url(), clock()).unwrap();
        postgres
            .add_editor(&NewEditor {
                name: "Lee".into(),
                email: "lee@example.org".into(),
                role: Role::Editor,
            })
            .unwrap();
        let before = postgres.row_counts().unwrap();
        let err = sqlite.copy_into(&postgres).unwrap_err().to_string();
        assert!(
            err.contains("not empty") && err.contains("editors (1 rows)"),
            "{err}"
        );
        assert_eq!(postgres.row_counts().unwrap(), before);
    }

    #[test]
    fn a_postgresql_database_copies_back_into_sqlite() {
        let (_dir, sqlite, token) = filled();
        let postgres = Db::connect(&postgres_url(), clock()).unwrap();
        sqlite.copy_into(&postgres).unwrap();
        let (_back_dir, back) = scratch(Engine::Sqlite, clock());
        assert_eq!(
            postgres.copy_into(&back).unwrap(),
            sqlite.row_counts().unwrap()
        );
        assert!(back.editor_for_token(&token).unwrap().is_some());
        assert!(back.problems().unwrap().is_empty());
    }
}
