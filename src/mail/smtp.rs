//! SMTP over TLS or STARTTLS, through lettre's connection pool.

use std::time::Duration;

use futures_util::future::BoxFuture;
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{MailError, SendError, Transport};
use crate::config::{SmtpConfig, SmtpSecurity};

/// A TLS relay, through lettre's pool (at most `smtp.pool_size` connections).
pub(super) struct Smtp(AsyncSmtpTransport<Tokio1Executor>);

impl Smtp {
    /// The relay at `host` as `smtp` describes it. The pool is made here and used on the
    /// runtime: call this within it.
    pub(super) fn new(host: &str, smtp: &SmtpConfig) -> Result<Smtp, MailError> {
        let tls = || {
            TlsParameters::new(host.to_owned())
                .map_err(|e| MailError::Config(format!("TLS for {host}: {e}")))
        };
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
        if let Some(credentials) = credentials(smtp) {
            builder = builder.credentials(credentials);
        }
        Ok(Smtp(builder.build()))
    }
}

impl Transport for Smtp {
    fn send<'a>(
        &'a self,
        message: &'a Message,
        _id: &'a str,
    ) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            self.0
                .send_raw(message.envelope(), &message.formatted())
                .await
                .map(|_| ())
                .map_err(smtp_error)
        })
    }

    fn describe(&self) -> String {
        "the SMTP relay".into()
    }
}

/// The configured login, if any.
pub(super) fn credentials(smtp: &SmtpConfig) -> Option<Credentials> {
    smtp.username
        .as_ref()
        .map(|user| Credentials::new(user.clone(), smtp.password.clone().unwrap_or_default()))
}

/// A relay's answer as a send error: permanent for a 5xx, transient otherwise.
pub(super) fn smtp_error(e: lettre::transport::smtp::Error) -> SendError {
    SendError {
        transient: !e.is_permanent(),
        reason: e.to_string(),
    }
}
