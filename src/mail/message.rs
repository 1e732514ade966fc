//! A letter as an email: sender, Message-ID, Date from the clock, the list headers, and
//! the plain-text and HTML parts.

use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};

use super::{Letter, MailError, Mailer};

impl Mailer {
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
            .date(self.clock.now().into());
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        if let Some(url) = &letter.unsubscribe {
            if url
                .chars()
                .any(|c| c.is_control() || c.is_whitespace() || c == '>')
            {
                // The link carries the subscriber's token: it is not repeated here.
                return Err(MailError::Message(
                    "the unsubscribe address is not a plain link".into(),
                ));
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
}
