//! Email: messages built with lettre (plain text and HTML, the list headers of RFC 2369 and
//! RFC 8058), sent through a pooled SMTP connection or, with no relay configured, written
//! as `.eml` files to the outbox.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

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

/// One email to one subscriber.
#[derive(Debug, Clone)]
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

enum Transport {
    /// TLS relays, through lettre's pool.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// A relay spoken to in plain SMTP (a local MTA), over connections of our own.
    Plain(PlainRelay),
    Outbox(PathBuf),
}

/// Connections to a plain-SMTP relay, with `TCP_NODELAY` set. lettre writes a message and
/// its final `.` separately; without `TCP_NODELAY` the second write waits for the relay's
/// delayed ACK (40 ms on Linux), which capped delivery at about 25 messages a second per
/// connection. Connections are kept for reuse (at most the pool size) and dropped after
/// any error.
struct PlainRelay {
    host: String,
    port: u16,
    credentials: Option<Credentials>,
    timeout: Duration,
    idle: tokio::sync::Mutex<Vec<AsyncSmtpConnection>>,
    keep: usize,
}

impl PlainRelay {
    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let transient = |reason: String| SendError {
            transient: true,
            reason,
        };
        let tcp = tokio::time::timeout(
            self.timeout,
            tokio::net::TcpStream::connect((self.host.as_str(), self.port)),
        )
        .await
        .map_err(|_| transient(format!("{}:{}: connection timed out", self.host, self.port)))?
        .map_err(|e| transient(format!("{}:{}: {e}", self.host, self.port)))?;
        tcp.set_nodelay(true)
            .map_err(|e| transient(format!("{}:{}: {e}", self.host, self.port)))?;
        let hello = ClientId::default();
        let mut connection = AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &hello)
            .await
            .map_err(smtp_error)?;
        if let Some(credentials) = &self.credentials {
            connection
                .auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(smtp_error)?;
        }
        Ok(connection)
    }

    async fn send(&self, message: &Message) -> Result<(), SendError> {
        let kept = self.idle.lock().await.pop();
        let mut connection = match kept {
            Some(c) => c,
            None => self.connect().await?,
        };
        let sent = tokio::time::timeout(
            self.timeout,
            connection.send(message.envelope(), &message.formatted()),
        )
        .await
        .map_err(|_| SendError {
            transient: true,
            reason: "the relay did not answer in time".into(),
        })?;
        match sent {
            Ok(_) => {
                let mut idle = self.idle.lock().await;
                if idle.len() < self.keep {
                    idle.push(connection);
                }
                Ok(())
            }
            Err(e) => Err(smtp_error(e)),
        }
    }
}

fn smtp_error(e: lettre::transport::smtp::Error) -> SendError {
    SendError {
        transient: !e.is_permanent(),
        reason: e.to_string(),
    }
}

/// Where mail goes.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    reply_to: Option<Mailbox>,
    /// The domain of Message-IDs (the sender's).
    domain: String,
    pub pool_size: usize,
}

fn mailbox(label: &str, text: &str) -> Result<Mailbox, MailError> {
    text.parse()
        .map_err(|e| MailError::Config(format!("{label} {text:?} is not an address: {e}")))
}

impl Mailer {
    pub fn new(config: &Config) -> Result<Mailer, MailError> {
        let from = mailbox("mail.from", &config.mail.from)?;
        let reply_to = config
            .mail
            .reply_to
            .as_deref()
            .filter(|r| !r.trim().is_empty())
            .map(|r| mailbox("mail.reply_to", r))
            .transpose()?;
        let domain = from.email.domain().to_owned();
        let smtp = &config.smtp;
        let transport = match smtp.host.as_deref().filter(|h| !h.trim().is_empty()) {
            None => Transport::Outbox(config.outbox_dir()),
            Some(host) => {
                let tls = || {
                    TlsParameters::new(host.to_owned())
                        .map_err(|e| MailError::Config(format!("TLS for {host}: {e}")))
                };
                if smtp.security == SmtpSecurity::None {
                    return Ok(Mailer {
                        transport: Transport::Plain(PlainRelay {
                            host: host.to_owned(),
                            port: smtp.port.unwrap_or(25),
                            credentials: smtp.username.as_ref().map(|user| {
                                Credentials::new(
                                    user.clone(),
                                    smtp.password.clone().unwrap_or_default(),
                                )
                            }),
                            timeout: Duration::from_secs(smtp.timeout_secs),
                            idle: tokio::sync::Mutex::new(Vec::new()),
                            keep: smtp.pool_size.max(1) as usize,
                        }),
                        from,
                        reply_to,
                        domain,
                        pool_size: smtp.pool_size.max(1) as usize,
                    });
                }
                let (tls, default_port) = match smtp.security {
                    SmtpSecurity::None => (Tls::None, 25),
                    SmtpSecurity::Starttls => (Tls::Required(tls()?), 587),
                    SmtpSecurity::Tls => (Tls::Wrapper(tls()?), 465),
                };
                let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                    .port(smtp.port.unwrap_or(default_port))
                    .tls(tls)
                    .timeout(Some(Duration::from_secs(smtp.timeout_secs)))
                    .pool_config(PoolConfig::new().max_size(smtp.pool_size.max(1)));
                if let Some(user) = &smtp.username {
                    builder = builder.credentials(Credentials::new(
                        user.clone(),
                        smtp.password.clone().unwrap_or_default(),
                    ));
                }
                Transport::Smtp(builder.build())
            }
        };
        Ok(Mailer {
            transport,
            from,
            reply_to,
            domain,
            pool_size: smtp.pool_size.max(1) as usize,
        })
    }

    /// Where mail goes, for people: the relay, or the outbox folder.
    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp(_) | Transport::Plain(_) => "the SMTP relay".into(),
            Transport::Outbox(dir) => format!("the outbox {}", dir.display()),
        }
    }

    /// The full Message-ID for a letter id.
    pub fn message_id(&self, id: &str) -> String {
        format!("<{id}@{}>", self.domain)
    }

    /// Builds the message. Addresses were checked when they were stored; every header
    /// value is encoded by lettre or built here from checked parts, so no field can add a
    /// header of its own.
    pub fn message(&self, letter: &Letter) -> Result<Message, MailError> {
        let to: Mailbox = letter
            .to
            .parse()
            .map_err(|e| MailError::Message(format!("{:?}: {e}", letter.to)))?;
        let subject: String = letter
            .subject
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(self.message_id(&letter.id)))
            .date_now();
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        if let Some(url) = &letter.unsubscribe {
            if url
                .chars()
                .any(|c| c.is_control() || c.is_whitespace() || c == '>')
            {
                return Err(MailError::Message(format!("{url:?} is not a link")));
            }
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".into(),
                ));
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                letter.text.clone(),
                letter.html.clone(),
            ))
            .map_err(|e| MailError::Message(e.to_string()))
    }

    /// Sends one message (or writes it to the outbox).
    pub async fn send(&self, message: Message, id: &str) -> Result<(), SendError> {
        match &self.transport {
            Transport::Smtp(smtp) => smtp.send(message).await.map(|_| ()).map_err(smtp_error),
            Transport::Plain(relay) => relay.send(&message).await,
            Transport::Outbox(dir) => {
                let dir = dir.clone();
                let name: String = id
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                let bytes = message.formatted();
                tokio::task::spawn_blocking(move || write_eml(&dir, &name, &bytes))
                    .await
                    .map_err(|e| SendError {
                        transient: true,
                        reason: e.to_string(),
                    })?
            }
        }
    }
}

/// Writes a message file whole or not at all (write aside, then rename).
fn write_eml(dir: &std::path::Path, name: &str, bytes: &[u8]) -> Result<(), SendError> {
    let fail = |e: std::io::Error| SendError {
        transient: true,
        reason: format!("outbox {}: {e}", dir.display()),
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let aside = dir.join(format!(".{name}.tmp"));
    std::fs::write(&aside, bytes).map_err(fail)?;
    std::fs::rename(&aside, dir.join(format!("{name}.eml"))).map_err(fail)
}
