//! Email: messages built with lettre (plain text and HTML, the list headers of RFC 2369 and
//! RFC 8058) and handed to one [`Transport`]: a pooled SMTP connection (STARTTLS or TLS),
//! a plain relay, the outbox folder of `.eml` files, or memory.

mod memory;
mod message;
mod outbox;
mod parts;
mod relay;
mod smtp;
#[cfg(test)]
mod tests;

pub use memory::{Memory, SentMail};
pub use outbox::Outbox;
pub(crate) use parts::two_parts;

use std::fmt;

use futures_util::future::BoxFuture;
use lettre::Message;
use lettre::message::Mailbox;

use crate::clock::Clock;
use crate::config::{Config, SmtpSecurity};

/// What went wrong setting up mail.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail settings: {0}")]
    Config(String),
    #[error("cannot build the message: {0}")]
    Message(String),
}

/// Why one message was not sent.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{reason}")]
pub struct SendError {
    /// Worth trying again later (a 4xx answer, no connection, a timeout); otherwise the
    /// relay refused the message for good (a 5xx answer).
    pub transient: bool,
    pub reason: String,
}

impl SendError {
    /// A failure worth trying again.
    pub fn transient(reason: impl Into<String>) -> SendError {
        SendError {
            transient: true,
            reason: reason.into(),
        }
    }
}

/// One email to one subscriber. Its parts and its unsubscribe link carry the subscriber's
/// token, so `Debug` shows only who it is to, its subject and its id.
#[derive(Clone)]
pub struct Letter {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The left part of the Message-ID: the same for the same (subscriber, period), so a
    /// message sent twice is recognisably the same message.
    pub id: String,
    /// The one-click unsubscribe address (RFC 8058), when the letter is to a subscriber.
    pub unsubscribe: Option<String>,
}

impl fmt::Debug for Letter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Letter")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .field("id", &self.id)
            .field("text", &"[redacted]")
            .field("html", &"[redacted]")
            .field(
                "unsubscribe",
                &self.unsubscribe.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// Where messages go: one backend of the mailer.
pub trait Transport: Send + Sync {
    /// Hands one message over. `id` is the letter's id (the outbox names files by it).
    fn send<'a>(
        &'a self,
        message: &'a Message,
        id: &'a str,
    ) -> BoxFuture<'a, Result<(), SendError>>;

    /// Where mail goes, for people: "the SMTP relay", "the outbox ...".
    fn describe(&self) -> String;
}

/// Builds letters into messages from the configured sender and sends them through its
/// transport.
pub struct Mailer {
    transport: Box<dyn Transport>,
    from: Mailbox,
    reply_to: Option<Mailbox>,
    /// The domain of Message-IDs (the sender's).
    domain: String,
    /// Messages in flight at once: the relay's pooled connections.
    pool_size: usize,
    /// The Date of every message.
    clock: Clock,
}

/// The user and domain of a plain address (`local@domain`, as SMTP takes it), or `None`
/// when `text` is not one.
pub fn address_parts(text: &str) -> Option<(String, String)> {
    let address: lettre::Address = text.parse().ok()?;
    Some((address.user().to_owned(), address.domain().to_owned()))
}

fn mailbox(label: &str, text: &str) -> Result<Mailbox, MailError> {
    text.parse()
        .map_err(|e| MailError::Config(format!("{label} {text:?} is not an address: {e}")))
}

impl Mailer {
    /// The mailer the configuration asks for: with no `smtp.host`, the outbox; with
    /// `smtp.security = none`, a plain relay; otherwise SMTP over TLS or STARTTLS.
    pub fn new(config: &Config, clock: &Clock) -> Result<Mailer, MailError> {
        let smtp = &config.smtp;
        let transport: Box<dyn Transport> =
            match smtp.host.as_deref().filter(|h| !h.trim().is_empty()) {
                None => Box::new(Outbox::new(config.outbox_dir())),
                Some(host) if smtp.security == SmtpSecurity::None => {
                    Box::new(relay::PlainRelay::new(host, smtp))
                }
                Some(host) => Box::new(smtp::Smtp::new(host, smtp)?),
            };
        Mailer::with_transport(config, clock, transport)
    }

    /// A mailer with the configured sender and a transport of the caller's.
    pub fn with_transport(
        config: &Config,
        clock: &Clock,
        transport: Box<dyn Transport>,
    ) -> Result<Mailer, MailError> {
        let from = mailbox("mail.from", &config.mail.from)?;
        let reply_to = config
            .mail
            .reply_to
            .as_deref()
            .filter(|r| !r.trim().is_empty())
            .map(|r| mailbox("mail.reply_to", r))
            .transpose()?;
        Ok(Mailer {
            transport,
            domain: from.email.domain().to_owned(),
            from,
            reply_to,
            pool_size: config.smtp.pool_size.max(1) as usize,
            clock: clock.clone(),
        })
    }

    /// A mailer that keeps what it sends in memory, and the handle that reads it.
    pub fn in_memory(config: &Config, clock: &Clock) -> Result<(Mailer, Memory), MailError> {
        let memory = Memory::default();
        let mailer = Mailer::with_transport(config, clock, Box::new(memory.clone()))?;
        Ok((mailer, memory))
    }

    /// Where mail goes, for people: the relay, or the outbox folder.
    pub fn describe(&self) -> String {
        self.transport.describe()
    }

    /// Where people write to the team that runs the site (the accessibility statement names
    /// it): the `mail.reply_to` address when there is one, else the sender's, without a name.
    pub fn contact_address(&self) -> String {
        self.reply_to
            .as_ref()
            .unwrap_or(&self.from)
            .email
            .to_string()
    }

    /// How many messages to have in flight at once.
    pub fn pool_size(&self) -> usize {
        self.pool_size
    }

    /// Sends one letter (or writes it to the outbox). A letter that cannot be built into a
    /// message fails for good.
    pub async fn send(&self, letter: &Letter) -> Result<(), SendError> {
        let message = self.message(letter).map_err(|e| SendError {
            transient: false,
            reason: e.to_string(),
        })?;
        let sent = self.transport.send(&message, &letter.id).await;
        if let Err(e) = &sent {
            let kind = if e.transient {
                "transient"
            } else {
                "permanent"
            };
            metrics::counter!("chapterhouse_smtp_errors_total", "kind" => kind).increment(1);
        }
        sent
    }
}
