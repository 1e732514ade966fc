//! Mail kept in memory: every message sent, whole, in the order sent. For tests and
//! rehearsals that want to read what would have gone out.

use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use lettre::Message;

use super::{SendError, Transport};

/// The messages sent through this transport. Clones share one list, so the handle kept
/// by a test sees what the mailer sent.
#[derive(Clone, Default)]
pub struct Memory {
    sent: Arc<Mutex<Vec<SentMail>>>,
}

/// One message as it would have gone to the relay.
#[derive(Clone)]
pub struct SentMail {
    /// The letter id.
    pub id: String,
    /// The envelope's recipients.
    pub to: Vec<String>,
    /// The whole message: headers, blank line, MIME body.
    pub raw: String,
}

impl Memory {
    /// Everything sent so far, oldest first.
    pub fn sent(&self) -> Vec<SentMail> {
        self.sent.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Transport for Memory {
    fn send<'a>(
        &'a self,
        message: &'a Message,
        id: &'a str,
    ) -> BoxFuture<'a, Result<(), SendError>> {
        let mail = SentMail {
            id: id.to_owned(),
            to: message
                .envelope()
                .to()
                .iter()
                .map(ToString::to_string)
                .collect(),
            raw: String::from_utf8_lossy(&message.formatted()).into_owned(),
        };
        self.sent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(mail);
        Box::pin(async { Ok(()) })
    }

    fn describe(&self) -> String {
        "memory".into()
    }
}

impl SentMail {
    /// A header's value, unfolded; `None` when the message has no such header.
    pub fn header(&self, name: &str) -> Option<String> {
        let mut value: Option<String> = None;
        for line in self.raw.lines() {
            if line.is_empty() {
                break; // the end of the headers
            }
            if line.starts_with([' ', '\t']) {
                if let Some(v) = value.as_mut() {
                    v.push_str(line);
                }
                continue;
            }
            if value.is_some() {
                break;
            }
            if let Some((n, v)) = line.split_once(':')
                && n.eq_ignore_ascii_case(name)
            {
                value = Some(v.trim_start().to_owned());
            }
        }
        value
    }

    /// The message with its quoted-printable parts decoded, to search for text.
    #[cfg(test)]
    pub fn decoded(&self) -> String {
        let bytes =
            quoted_printable::decode(self.raw.as_bytes(), quoted_printable::ParseMode::Robust)
                .expect("robust decoding does not fail");
        String::from_utf8_lossy(&bytes).into_owned()
    }
}
