//! A relay spoken to in plain SMTP (a local MTA), over connections of our own with
//! `TCP_NODELAY` set.

use std::time::Duration;

use futures_util::future::BoxFuture;
use lettre::Message;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;

use super::smtp::{credentials, smtp_error};
use super::{SendError, Transport};
use crate::config::SmtpConfig;

/// Connections to a plain-SMTP relay, with `TCP_NODELAY` set. lettre writes a message and
/// its final `.` separately; without `TCP_NODELAY` the second write waits for the relay's
/// delayed ACK (40 ms on Linux), which capped delivery at about 25 messages a second per
/// connection. Connections are kept for reuse (at most the pool size) and dropped after
/// any error.
pub(super) struct PlainRelay {
    host: String,
    port: u16,
    credentials: Option<Credentials>,
    timeout: Duration,
    idle: tokio::sync::Mutex<Vec<AsyncSmtpConnection>>,
    keep: usize,
}

impl PlainRelay {
    pub(super) fn new(host: &str, smtp: &SmtpConfig) -> PlainRelay {
        PlainRelay {
            host: host.to_owned(),
            port: smtp.port.unwrap_or(25),
            credentials: credentials(smtp),
            timeout: Duration::from_secs(smtp.timeout_secs),
            idle: tokio::sync::Mutex::new(Vec::new()),
            keep: smtp.pool_size.max(1) as usize,
        }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let (host, port) = (&self.host, self.port);
        let tcp = tokio::time::timeout(
            self.timeout,
            tokio::net::TcpStream::connect((host.as_str(), port)),
        )
        .await
        .map_err(|_| SendError::transient(format!("{host}:{port}: connection timed out")))?
        .map_err(|e| SendError::transient(format!("{host}:{port}: {e}")))?;
        tcp.set_nodelay(true)
            .map_err(|e| SendError::transient(format!("{host}:{port}: {e}")))?;
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

    async fn deliver(&self, message: &Message) -> Result<(), SendError> {
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
        .map_err(|_| SendError::transient("the relay did not answer in time"))?;
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

impl Transport for PlainRelay {
    fn send<'a>(
        &'a self,
        message: &'a Message,
        _id: &'a str,
    ) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(self.deliver(message))
    }

    fn describe(&self) -> String {
        "the SMTP relay".into()
    }
}
