//! Signing editors in without passwords: one-time sign-in links (emailed or printed by the
//! command line) and the browser sessions they open. Only hashes of links and session
//! tokens are kept; a session carries its own CSRF token for the forms it shows.

use crate::db::engine::{OptionalExtension, args};
use chrono::{DateTime, Duration, Utc};

use super::editors::{Editor, EditorError};
use super::{Db, DbError};
use crate::tokens::{Token, random_token, sha256};

/// How long a sign-in link works.
pub const SIGNIN_LINK_LIFETIME: Duration = Duration::hours(24);
/// A session ends after this long without a request.
pub const SESSION_IDLE: Duration = Duration::hours(12);
/// At most one emailed link per address in this long.
pub const SIGNIN_EMAIL_INTERVAL: Duration = Duration::minutes(10);
/// A session's last use is written down at most this often.
const SESSION_TOUCH: Duration = Duration::minutes(1);

/// Why a sign-in link opened nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigninRefused {
    /// Never issued, or its editor has been revoked.
    Unknown,
    /// It has signed in once already.
    Used,
    Expired,
}

/// A signed-in editor, as a request's session cookie finds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub editor: Editor,
    /// The token every form of this session carries (`csrf`).
    pub csrf: String,
}

/// What an emailed-link request came to. The answer shown is the same either way.
#[derive(Debug)]
pub enum SigninRequest {
    /// A link to email to this editor.
    Send(Editor, Token),
    /// Unknown address, revoked editor, or a link was emailed in the last ten minutes.
    Nothing,
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339()
}

fn parse_stamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl Db {
    /// A fresh one-time sign-in link for an editor whose token works.
    pub fn new_signin_link(&self, editor_id: i64) -> Result<Token, EditorError> {
        let editor = self
            .editor(editor_id)?
            .ok_or_else(|| EditorError::Unknown(editor_id.to_string()))?;
        let token = self.issue_link(editor.id)?;
        Ok(token)
    }

    fn issue_link(&self, editor_id: i64) -> Result<Token, EditorError> {
        let token = random_token()
            .map_err(|e| EditorError::Invalid(format!("no randomness for a link: {e}")))?;
        let now = self.clock.now();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO signin_links (token_hash, editor_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                args![&sha256(token.as_str().as_bytes())[..], editor_id, stamp(now), stamp(now + SIGNIN_LINK_LIFETIME)],
            )
        })?;
        Ok(token)
    }

    /// A link for whoever has this address, unless one was emailed to it in the last ten
    /// minutes. Requests for unknown addresses are remembered the same way, so nothing
    /// about the answer (or its timing) tells whether an address belongs to an editor.
    pub fn request_signin_link(&self, email: &str) -> Result<SigninRequest, EditorError> {
        let email = email.trim().to_lowercase();
        if email.is_empty() || email.len() > 254 {
            return Ok(SigninRequest::Nothing);
        }
        let now = self.clock.now();
        let allowed = self.write(|tx| {
            let last: Option<String> = tx
                .query_row(
                    "SELECT last_sent_at FROM signin_requests WHERE email = $1",
                    args![email],
                    |row| row.get(0),
                )
                .optional()?;
            if let Some(last) = last.as_deref().and_then(parse_stamp)
                && now - last < SIGNIN_EMAIL_INTERVAL
                && now >= last
            {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO signin_requests (email, last_sent_at) VALUES ($1, $2)
                 ON CONFLICT (email) DO UPDATE SET last_sent_at = excluded.last_sent_at",
                args![email, stamp(now)],
            )?;
            Ok(true)
        })?;
        if !allowed {
            return Ok(SigninRequest::Nothing);
        }
        match self.editor_by_email(&email)? {
            Some(editor) => {
                let token = self.issue_link(editor.id)?;
                Ok(SigninRequest::Send(editor, token))
            }
            None => Ok(SigninRequest::Nothing),
        }
    }

    /// Uses a sign-in link, once: opens a session and returns its token (for the cookie)
    /// with the session. Nothing is written when the link is refused.
    pub fn sign_in(
        &self,
        link: &str,
    ) -> Result<Result<(Token, Session), SigninRefused>, EditorError> {
        let now = self.clock.now();
        let session_token = random_token()
            .map_err(|e| EditorError::Invalid(format!("no randomness for a session: {e}")))?;
        let csrf = random_token()
            .map_err(|e| EditorError::Invalid(format!("no randomness for a session: {e}")))?;
        let opened = self.write(|tx| {
            let row: Option<(i64, String, Option<String>)> = tx
                .query_row(
                    "SELECT l.editor_id, l.expires_at, l.used_at FROM signin_links l
                     JOIN editors e ON e.id = l.editor_id AND e.revoked_at IS NULL
                     WHERE l.token_hash = $1",
                    args![&sha256(link.trim().as_bytes())[..]],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()?;
            let Some((editor_id, expires, used)) = row else {
                return Ok(Err(SigninRefused::Unknown));
            };
            if used.is_some() {
                return Ok(Err(SigninRefused::Used));
            }
            if parse_stamp(&expires).is_none_or(|expires| expires <= now) {
                return Ok(Err(SigninRefused::Expired));
            }
            tx.execute(
                "UPDATE signin_links SET used_at = $2 WHERE token_hash = $1",
                args![&sha256(link.trim().as_bytes())[..], stamp(now)],
            )?;
            tx.execute(
                "INSERT INTO sessions (token_hash, editor_id, csrf, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)",
                args![&sha256(session_token.as_str().as_bytes())[..], editor_id, csrf.as_str(), stamp(now)],
            )?;
            Ok(Ok(editor_id))
        })?;
        let editor_id = match opened {
            Ok(id) => id,
            Err(refused) => return Ok(Err(refused)),
        };
        let editor = self
            .editor(editor_id)?
            .ok_or_else(|| EditorError::Unknown(editor_id.to_string()))?;
        Ok(Ok((
            session_token,
            Session {
                editor,
                csrf: csrf.as_str().to_owned(),
            },
        )))
    }

    /// The session a cookie's token opens: `None` once it has ended, been idle for twelve
    /// hours, or its editor has been revoked. Its use is noted, keeping it alive.
    pub fn session(&self, token: &str) -> Result<Option<Session>, EditorError> {
        let hash = sha256(token.trim().as_bytes());
        let row: Option<(i64, String, String)> = self
            .conn()?
            .query_row(
                "SELECT s.editor_id, s.csrf, s.last_seen_at FROM sessions s
                 JOIN editors e ON e.id = s.editor_id AND e.revoked_at IS NULL
                 WHERE s.token_hash = $1 AND s.ended_at IS NULL",
                args![&hash[..]],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let Some((editor_id, csrf, last_seen)) = row else {
            return Ok(None);
        };
        let now = self.clock.now();
        let Some(last_seen) = parse_stamp(&last_seen) else {
            return Ok(None);
        };
        if now - last_seen >= SESSION_IDLE {
            return Ok(None);
        }
        if now - last_seen >= SESSION_TOUCH {
            self.write(|tx| {
                tx.execute(
                    "UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1",
                    args![&hash[..], stamp(now)],
                )
            })?;
        }
        let Some(editor) = self.editor(editor_id)? else {
            return Ok(None);
        };
        Ok(Some(Session { editor, csrf }))
    }

    /// Ends a session (signing out). Ending one that has ended already is no error.
    pub fn end_session(&self, token: &str) -> Result<(), DbError> {
        let now = stamp(self.clock.now());
        self.write(|tx| {
            tx.execute(
                "UPDATE sessions SET ended_at = $2 WHERE token_hash = $1 AND ended_at IS NULL",
                args![&sha256(token.trim().as_bytes())[..], now],
            )
        })?;
        Ok(())
    }
}
