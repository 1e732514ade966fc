//! One SMTP session of the tests' sink: EHLO/HELO, MAIL, RCPT, DATA (dot-unstuffed), RSET,
//! NOOP and QUIT, with aiosmtpd's replies and limits; what to do with a message is the sink's.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::{State, deliver};

/// The name the sink gives itself in its greeting and EHLO reply.
const HOSTNAME: &str = "sink.test";
/// The largest message accepted (what smtp_sink.py sets), advertised as SIZE.
const DATA_SIZE_LIMIT: usize = 10 * 1024 * 1024;
/// The longest line of message content, CRLF included (RFC 5321 §4.5.3.1.6).
const DATA_LINE_LIMIT: usize = 1001;
/// The longest command line (RFC 5321 §4.5.3.1.4), and MAIL's after EHLO (RFC 1870 SIZE).
const COMMAND_LIMIT: usize = 512;
const MAIL_LIMIT: usize = COMMAND_LIMIT + 26;
/// How long a connection may stay silent before the sink closes it.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// What the client has said of the message in progress.
#[derive(Default)]
struct Envelope {
    from: Option<String>,
    to: Vec<String>,
}

/// One SMTP session, until QUIT, the end of the stream, an error or a dropped message.
pub(super) fn converse(state: &State, stream: &TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(IDLE_TIMEOUT))?;
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream);
    let mut out = stream;
    let mut say = |text: &str| -> io::Result<()> {
        out.write_all(format!("{}\r\n", text.replace('\n', "\r\n")).as_bytes())
    };
    say(&format!("220 {HOSTNAME} chapterhouse test sink"))?;
    let mut extended = false;
    let mut greeted = false;
    let mut envelope = Envelope::default();
    loop {
        let Some(line) = read_line(&mut reader, 64 * 1024)? else {
            return Ok(());
        };
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end_matches("\r\n");
        let (verb, arg) = match line.split_once(' ') {
            Some((verb, arg)) => (verb.to_ascii_uppercase(), arg.trim()),
            None => (line.to_ascii_uppercase(), ""),
        };
        let limit = if verb == "MAIL" && extended {
            MAIL_LIMIT
        } else {
            COMMAND_LIMIT
        };
        if line.len() + 2 > limit {
            say("500 Command line too long")?;
            continue;
        }
        let needs_helo = matches!(verb.as_str(), "MAIL" | "RCPT" | "DATA");
        if needs_helo && !greeted {
            say("503 Error: send HELO first")?;
            continue;
        }
        match verb.as_str() {
            "HELO" | "EHLO" if arg.is_empty() => say(&format!("501 Syntax: {verb} hostname"))?,
            "HELO" => {
                (greeted, extended, envelope) = (true, false, Envelope::default());
                say(&format!("250 {HOSTNAME}"))?;
            }
            "EHLO" => {
                (greeted, extended, envelope) = (true, true, Envelope::default());
                say(&format!(
                    "250-{HOSTNAME}\n250-SIZE {DATA_SIZE_LIMIT}\n250 8BITMIME"
                ))?;
            }
            "NOOP" => say("250 OK")?,
            "RSET" if !arg.is_empty() => say("501 Syntax: RSET")?,
            "RSET" => {
                envelope = Envelope::default();
                say("250 OK")?;
            }
            "QUIT" if !arg.is_empty() => say("501 Syntax: QUIT")?,
            "QUIT" => return say("221 Bye"),
            "MAIL" if envelope.from.is_some() => say("503 Error: nested MAIL command")?,
            "MAIL" => match mail_from(arg, extended) {
                Ok(from) => {
                    envelope.from = Some(from);
                    say("250 OK")?;
                }
                Err(reply) => say(reply)?,
            },
            "RCPT" if envelope.from.is_none() => say("503 Error: need MAIL command")?,
            "RCPT" => match address(arg, "TO:") {
                Some((to, params)) if !to.is_empty() && params.is_empty() => {
                    if state.reject.as_ref().is_some_and(|r| r.is_match(&to)) {
                        say("550 5.1.1 No such user here")?;
                    } else {
                        envelope.to.push(to);
                        say("250 OK")?;
                    }
                }
                Some((to, _)) if !to.is_empty() => {
                    say("555 RCPT TO parameters not recognized or not implemented")?
                }
                _ => say("501 Syntax: RCPT TO: <address>")?,
            },
            "DATA" if envelope.to.is_empty() => say("503 Error: need RCPT command")?,
            "DATA" if !arg.is_empty() => say("501 Syntax: DATA")?,
            "DATA" => {
                say("354 End data with <CR><LF>.<CR><LF>")?;
                let content = read_content(&mut reader)?;
                let recipients = std::mem::take(&mut envelope).to;
                match content {
                    Err(reply) => say(reply)?,
                    Ok(content) => match deliver(state, recipients, content) {
                        Some(reply) => say(reply)?,
                        // Dropped: no answer, and the connection closes.
                        None => return Ok(()),
                    },
                }
            }
            _ => say(&format!("500 Error: command \"{verb}\" not recognized"))?,
        }
    }
}

/// The sender of `MAIL FROM:<address> [BODY=7BIT|8BITMIME] [SIZE=n]`, or the reply refusing it.
fn mail_from(arg: &str, extended: bool) -> Result<String, &'static str> {
    let syntax = if extended {
        "501 Syntax: MAIL FROM: <address> [SP <mail-parameters>]"
    } else {
        "501 Syntax: MAIL FROM: <address>"
    };
    let Some((from, params)) = address(arg, "FROM:") else {
        return Err(syntax);
    };
    if !extended && !params.is_empty() {
        return Err(syntax);
    }
    for param in params {
        let (key, value) = param.split_once('=').unwrap_or((param.as_str(), ""));
        match key.to_ascii_uppercase().as_str() {
            "BODY" if matches!(value.to_ascii_uppercase().as_str(), "7BIT" | "8BITMIME") => {}
            "BODY" => return Err("501 Error: BODY can only be one of 7BIT, 8BITMIME"),
            "SIZE" => match value.parse::<usize>() {
                Ok(size) if size > DATA_SIZE_LIMIT => {
                    return Err("552 Error: message size exceeds fixed maximum message size");
                }
                Ok(_) => {}
                Err(_) => return Err(syntax),
            },
            "SMTPUTF8" => return Err("501 Error: SMTPUTF8 disabled"),
            _ => return Err("555 MAIL FROM parameters not recognized or not implemented"),
        }
    }
    Ok(from)
}

/// Splits `KEYWORD <address> params...` (the keyword in any case, the brackets optional)
/// into the address and its parameters; `None` when the keyword is missing.
fn address(arg: &str, keyword: &str) -> Option<(String, Vec<String>)> {
    let head = arg.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = arg[keyword.len()..].trim_start();
    let (address, params) = match rest.strip_prefix('<') {
        Some(inner) => inner.split_once('>')?,
        None => rest.split_once(' ').unwrap_or((rest, "")),
    };
    let params = params.split_whitespace().map(str::to_owned).collect();
    Some((address.trim().to_owned(), params))
}

/// The content after DATA up to the lone `.` line, dot-unstuffed; or, once all of it was
/// read, the reply refusing it for a line or a whole too long.
fn read_content(reader: &mut impl BufRead) -> io::Result<Result<Vec<u8>, &'static str>> {
    let mut content = Vec::new();
    let mut refusal = None;
    loop {
        let line = read_line(reader, DATA_SIZE_LIMIT + 3)?
            .ok_or_else(|| io::Error::from(io::ErrorKind::UnexpectedEof))?;
        if line == b".\r\n" {
            break;
        }
        if refusal.is_some() {
            continue;
        }
        let text = line.strip_prefix(b".").unwrap_or(&line);
        if line.len() > DATA_LINE_LIMIT {
            refusal = Some("500 Line too long (see RFC5321 4.5.3.1.6)");
        } else if content.len() + text.len() > DATA_SIZE_LIMIT {
            refusal = Some("552 Error: Too much mail data");
        } else {
            content.extend_from_slice(text);
        }
    }
    Ok(match refusal {
        Some(reply) => {
            content.clear();
            Err(reply)
        }
        None => Ok(content),
    })
}

/// Reads up to and including the next CRLF (a bare LF does not end a line). `None` at the
/// end of the stream before any byte; an error for a line longer than `max` or cut short.
fn read_line(reader: &mut impl BufRead, max: usize) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    while !line.ends_with(b"\r\n") {
        let room = (max + 1).saturating_sub(line.len());
        if room == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "line too long"));
        }
        if reader
            .by_ref()
            .take(room as u64)
            .read_until(b'\n', &mut line)?
            == 0
        {
            if line.is_empty() {
                return Ok(None);
            }
            return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
        }
    }
    Ok(Some(line))
}
