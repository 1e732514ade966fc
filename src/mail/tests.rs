//! Messages as the relay would get them: headers, parts, the clock's date, and the
//! outbox and memory backends.

use super::*;

fn config() -> Config {
    let mut config = Config::default();
    config.mail.from = "Procedures <procedures@example.org>".into();
    config.mail.reply_to = Some("team@example.org".into());
    config
}

fn clock() -> Clock {
    Clock::starting_at(
        "2024-05-01T06:00:00Z".parse().unwrap(),
        chrono_tz::Europe::London,
    )
}

fn letter() -> Letter {
    Letter {
        to: "sam@example.org".into(),
        subject: "Procedure changes\r\nBcc: evil@example.org".into(),
        text: "Plain – part\nhttps://example.org/unsubscribe?token=1.abc\n".into(),
        html: "<p>HTML – part</p>".into(),
        id: "digest.2024-04.7".into(),
        unsubscribe: Some("https://example.org/unsubscribe?token=1.abc".into()),
    }
}

#[tokio::test]
async fn a_message_has_the_senders_the_list_headers_both_parts_and_the_clocks_date() {
    let (mailer, memory) = Mailer::in_memory(&config(), &clock()).unwrap();
    assert_eq!(mailer.describe(), "memory");
    mailer.send(&letter()).await.unwrap();
    let sent = memory.sent();
    assert_eq!(sent.len(), 1);
    let mail = &sent[0];
    assert_eq!(mail.id, "digest.2024-04.7");
    assert_eq!(mail.to, ["sam@example.org"]);
    let header = |name: &str| mail.header(name).unwrap_or_else(|| panic!("no {name}"));
    assert_eq!(header("From"), "Procedures <procedures@example.org>");
    assert_eq!(header("Reply-To"), "team@example.org");
    assert_eq!(header("To"), "sam@example.org");
    assert_eq!(header("Message-ID"), "<digest.2024-04.7@example.org>");
    assert_eq!(header("Date"), "Wed, 01 May 2024 06:00:00 +0000");
    assert_eq!(
        header("List-Unsubscribe"),
        "<https://example.org/unsubscribe?token=1.abc>"
    );
    assert_eq!(
        header("List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    // A line break in a subject cannot start a header of its own.
    assert_eq!(mail.header("Bcc"), None);
    assert!(header("Subject").starts_with("Procedure changes"));
    assert!(header("Content-Type").starts_with("multipart/alternative"));
    let body = mail.decoded();
    assert!(body.contains("Content-Type: text/plain; charset=utf-8"));
    assert!(body.contains("Content-Type: text/html; charset=utf-8"));
    assert!(body.contains("Plain – part"));
    assert!(body.contains("<p>HTML – part</p>"));
}

#[tokio::test]
async fn a_letter_without_an_unsubscribe_link_has_no_list_headers() {
    let mut config = config();
    config.mail.reply_to = Some("  ".into());
    let (mailer, memory) = Mailer::in_memory(&config, &clock()).unwrap();
    let mut letter = letter();
    letter.unsubscribe = None;
    mailer.send(&letter).await.unwrap();
    let mail = &memory.sent()[0];
    assert_eq!(mail.header("List-Unsubscribe"), None);
    assert_eq!(mail.header("List-Unsubscribe-Post"), None);
    assert_eq!(mail.header("Reply-To"), None, "a blank reply_to is none");
}

#[tokio::test]
async fn a_link_that_could_end_the_header_fails_for_good_and_sends_nothing() {
    let (mailer, memory) = Mailer::in_memory(&config(), &clock()).unwrap();
    for bad in ["https://x.org/a> b", "https://x.org/\r\nBcc: y@z.org"] {
        let mut letter = letter();
        letter.unsubscribe = Some(bad.into());
        let e = mailer.send(&letter).await.unwrap_err();
        assert!(!e.transient, "{e}");
        assert!(!e.reason.contains("x.org"), "the link is not repeated: {e}");
    }
    let mut letter = letter();
    letter.to = "not an address".into();
    assert!(!mailer.send(&letter).await.unwrap_err().transient);
    assert!(memory.sent().is_empty());
}

#[tokio::test]
async fn the_outbox_writes_one_file_per_letter_named_by_its_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config();
    config.data.dir = dir.path().to_owned();
    let mailer = Mailer::new(&config, &clock()).unwrap();
    assert!(mailer.describe().starts_with("the outbox "));
    let mut letter = letter();
    letter.id = "confirm.3/../x".into();
    mailer.send(&letter).await.unwrap();
    let written = std::fs::read_to_string(config.outbox_dir().join("confirm.3_.._x.eml")).unwrap();
    assert!(written.contains("Message-ID: <confirm.3/../x@example.org>"));
    let files = std::fs::read_dir(config.outbox_dir()).unwrap().count();
    assert_eq!(files, 1, "nothing is left aside");
}

#[test]
fn a_letters_debug_shows_no_token() {
    let shown = format!("{:?}", letter());
    assert!(!shown.contains("token=1.abc"), "{shown}");
    assert!(shown.contains("digest.2024-04.7"));
}

#[test]
fn settings_that_are_not_addresses_are_refused() {
    let mut config = config();
    config.mail.from = "nobody".into();
    assert!(matches!(
        Mailer::in_memory(&config, &clock()),
        Err(MailError::Config(_))
    ));
}
