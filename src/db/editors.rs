//! Editors and their tokens. A token is shown once, when the editor is added; only its
//! SHA-256 is kept, and a presented token is compared with it in constant time.

use std::fmt;
use std::str::FromStr;

use sqlx::any::AnyArguments;

use super::engine::{AssertSqlSafe, OptionalExtension, args};

use super::{Db, DbError};
use crate::store::Author;
use crate::tokens::{Token, random_token, same, sha256};

/// What an editor may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Writes and deletes chapters.
    Editor,
    /// Also publishes releases.
    Publisher,
}

impl FromStr for Role {
    type Err = EditorError;
    fn from_str(s: &str) -> Result<Role, EditorError> {
        match s {
            "editor" => Ok(Role::Editor),
            "publisher" => Ok(Role::Publisher),
            other => Err(EditorError::Invalid(format!(
                "unknown role {:?}: use editor or publisher",
                other.chars().take(40).collect::<String>()
            ))),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Editor => "editor",
            Role::Publisher => "publisher",
        })
    }
}

/// An editor as the server knows them after checking their token.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Editor {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
}

impl Editor {
    /// The author of the commits this editor makes.
    pub fn author(&self) -> Author {
        Author {
            name: self.name.clone(),
            email: self.email.clone(),
        }
    }
}

/// An editor to add.
#[derive(Debug, Clone)]
pub struct NewEditor {
    pub name: String,
    pub email: String,
    pub role: Role,
}

#[derive(Debug, thiserror::Error)]
pub enum EditorError {
    #[error("{0}")]
    Invalid(String),
    #[error("no editor {0}")]
    Unknown(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Tokens look like `chx_<editor id>_<64 hex digits>`.
const TOKEN_PREFIX: &str = "chx_";

impl Db {
    /// Adds an editor; returns the editor and their token (shown this once).
    pub fn add_editor(&self, new: &NewEditor) -> Result<(Editor, Token), EditorError> {
        // The name and address become a git author: the same rules apply.
        let author: Author = format!("{} <{}>", new.name.trim(), new.email.trim())
            .parse()
            .map_err(EditorError::Invalid)?;
        let secret = random_token()
            .map_err(|e| EditorError::Invalid(format!("no randomness for a token: {e}")))?;
        let now = self.now();
        let id: i64 = self.write(|tx| {
            tx.query_row(
                "INSERT INTO editors (name, email, role, token_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                args![&author.name, &author.email, new.role.to_string(), &sha256(secret.as_str().as_bytes())[..], now],
                |r| r.get(0),
            )
        })?;
        Ok((
            Editor {
                id,
                name: author.name,
                email: author.email,
                role: new.role,
            },
            Token::new(format!("{TOKEN_PREFIX}{id}_{}", secret.as_str())),
        ))
    }

    /// The editor a token belongs to; `None` for a malformed, unknown or revoked token.
    pub fn editor_for_token(&self, token: &str) -> Result<Option<Editor>, EditorError> {
        let Some((id, secret)) = token
            .strip_prefix(TOKEN_PREFIX)
            .and_then(|rest| rest.split_once('_'))
        else {
            return Ok(None);
        };
        let Ok(id) = id.parse::<i64>() else {
            return Ok(None);
        };
        let row = self
            .conn()?
            .query_row(
                "SELECT name, email, role, token_hash FROM editors WHERE id = $1 AND revoked_at IS NULL",
                args![id],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, Vec<u8>>(3)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let Some((name, email, role, stored)) = row else {
            return Ok(None);
        };
        if !same(&sha256(secret.as_bytes()), &stored) {
            return Ok(None);
        }
        Ok(Some(Editor {
            id,
            name,
            email,
            role: role.parse()?,
        }))
    }

    /// The editor with this number, unless revoked.
    pub fn editor(&self, id: i64) -> Result<Option<Editor>, EditorError> {
        self.editor_where("id = $1", args![id])
    }

    /// The editor with this address (any case), unless revoked.
    pub fn editor_by_email(&self, email: &str) -> Result<Option<Editor>, EditorError> {
        let condition = match self.engine() {
            super::Engine::Sqlite => "email = $1 COLLATE NOCASE",
            super::Engine::Postgres => "lower(email) = lower($1)",
        };
        self.editor_where(condition, args![email.trim()])
    }

    fn editor_where(
        &self,
        condition: &'static str,
        value: AnyArguments,
    ) -> Result<Option<Editor>, EditorError> {
        let row = self
            .conn()?
            .query_row(
                AssertSqlSafe(format!(
                    "SELECT id, name, email, role FROM editors WHERE revoked_at IS NULL AND {condition} ORDER BY id LIMIT 1"
                )),
                value,
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, String>(3)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.err(e))?;
        row.map(|(id, name, email, role)| {
            Ok(Editor {
                id,
                name,
                email,
                role: role.parse()?,
            })
        })
        .transpose()
    }

    /// Every editor whose token still works.
    pub fn editors(&self) -> Result<Vec<Editor>, EditorError> {
        let rows = self
            .conn()?
            .query_map(
                "SELECT id, name, email, role FROM editors WHERE revoked_at IS NULL ORDER BY id",
                args![],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, String>(3)?,
                    ))
                },
            )
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for (id, name, email, role) in rows {
            out.push(Editor {
                id,
                name,
                email,
                role: role.parse()?,
            });
        }
        Ok(out)
    }

    /// Revokes an editor's token at once, and ends their sessions.
    pub fn revoke_editor(&self, id: i64) -> Result<(), EditorError> {
        let now = self.now();
        let changed = self.write(|tx| {
            let changed = tx.execute(
                "UPDATE editors SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                args![id, now],
            )?;
            tx.execute(
                "UPDATE sessions SET ended_at = $2 WHERE editor_id = $1 AND ended_at IS NULL",
                args![id, now],
            )?;
            Ok(changed)
        })?;
        if changed == 0 {
            return Err(EditorError::Unknown(id.to_string()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::db::Engine;
    use crate::db::testing::{Scratch, on_each_engine, scratch};

    on_each_engine!(
        a_token_finds_its_editor_and_nothing_else_does,
        names_and_addresses_that_cannot_be_git_authors_are_refused,
    );

    fn db(engine: Engine) -> (Scratch, Db) {
        scratch(
            engine,
            crate::clock::Clock::system(chrono_tz::Europe::London),
        )
    }

    fn a_token_finds_its_editor_and_nothing_else_does(engine: Engine) {
        let (_dir, db) = db(engine);
        let (editor, token) = db
            .add_editor(&NewEditor {
                name: "Sam Editor".into(),
                email: "sam@example.org".into(),
                role: Role::Publisher,
            })
            .unwrap();
        let token = token.as_str();
        assert_eq!(db.editor_for_token(token).unwrap(), Some(editor.clone()));
        let mut wrong = token.to_owned();
        wrong.pop();
        wrong.push(if token.ends_with('0') { '1' } else { '0' });
        for bad in [
            wrong.as_str(),
            "",
            "chx_",
            "chx_1_",
            "chx_x_00",
            "Bearer",
            "chx_99_00",
        ] {
            assert_eq!(db.editor_for_token(bad).unwrap(), None, "{bad}");
        }
        db.revoke_editor(editor.id).unwrap();
        assert_eq!(db.editor_for_token(token).unwrap(), None);
    }

    fn names_and_addresses_that_cannot_be_git_authors_are_refused(engine: Engine) {
        let (_dir, db) = db(engine);
        for (name, email) in [
            ("", "a@b.org"),
            ("Sam", "not-an-address"),
            ("Sam\nX", "a@b.org"),
            ("Sam", "a@b.org>\nX"),
        ] {
            let new = NewEditor {
                name: name.into(),
                email: email.into(),
                role: Role::Editor,
            };
            assert!(
                matches!(db.add_editor(&new), Err(EditorError::Invalid(_))),
                "{name:?} {email:?}"
            );
        }
        assert!(db.editors().unwrap().is_empty());
    }
}
