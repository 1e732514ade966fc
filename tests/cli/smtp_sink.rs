//! The email tests' own SMTP server (support/smtp.rs) spoken to by hand over TCP: the
//! dialogue, dot-unstuffing, a copy per recipient, each fault it injects, and its stop.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::support::{Faults, Sink};

/// A hand-driven SMTP client.
struct Client {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    fn connect(sink: &Sink) -> Client {
        let stream = TcpStream::connect(("127.0.0.1", sink.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let reader = BufReader::new(stream.try_clone().unwrap());
        let mut client = Client { stream, reader };
        assert!(client.reply().starts_with("220 sink.test "));
        client
    }

    /// Sends one command line; the whole reply, its lines joined by `\n`.
    fn say(&mut self, line: &str) -> String {
        self.send(&format!("{line}\r\n"));
        self.reply()
    }

    fn send(&mut self, raw: &str) {
        self.stream.write_all(raw.as_bytes()).unwrap();
    }

    fn reply(&mut self) -> String {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).unwrap();
            assert!(line.ends_with("\r\n"), "reply line {line:?}");
            let line = line.trim_end().to_owned();
            let last = line.as_bytes().get(3) != Some(&b'-');
            lines.push(line);
            if last {
                return lines.join("\n");
            }
        }
    }

    /// MAIL, RCPT for each recipient, DATA and the content: the reply to the content.
    fn message(&mut self, to: &[&str], content: &str) -> String {
        assert_eq!(self.say("MAIL FROM:<from@example.org>"), "250 OK");
        for rcpt in to {
            assert_eq!(self.say(&format!("RCPT TO:<{rcpt}>")), "250 OK");
        }
        assert!(self.say("DATA").starts_with("354 "));
        self.send(&format!("{content}\r\n.\r\n"));
        self.reply()
    }

    /// Whether the sink closed the connection (without a word).
    fn closed(&mut self) -> bool {
        let mut rest = Vec::new();
        matches!(self.reader.read_to_end(&mut rest), Ok(0))
    }
}

#[test]
fn the_sink_speaks_smtp_and_keeps_each_message_as_sent_once_per_recipient() {
    let sink = Sink::start(Faults::NONE);
    let mut c = Client::connect(&sink);
    assert_eq!(
        c.say("MAIL FROM:<a@example.org>"),
        "503 Error: send HELO first"
    );
    assert_eq!(
        c.say("ehlo client.test"),
        "250-sink.test\n250-SIZE 10485760\n250 8BITMIME"
    );
    assert_eq!(
        c.say("RCPT TO:<x@example.org>"),
        "503 Error: need MAIL command"
    );
    assert_eq!(c.say("MAIL FROM:<a@example.org> BODY=8BITMIME"), "250 OK");
    assert_eq!(
        c.say("MAIL FROM:<a@example.org>"),
        "503 Error: nested MAIL command"
    );
    assert_eq!(c.say("DATA"), "503 Error: need RCPT command");
    assert_eq!(c.say("RSET"), "250 OK");
    assert_eq!(c.say("NOOP"), "250 OK");
    assert!(c.say("VRFY x").starts_with("500 "));
    // Stuffed as a client must: each line that starts with a dot gets one more.
    let content = "Subject: dots\r\n\r\n..leading dot\r\n..\r\nlast line\r\n";
    assert_eq!(
        c.message(&["one@example.org", "Two+x@example.org"], content),
        "250 2.0.0 OK"
    );
    // Pipelined, and after HELO.
    c.send("HELO client.test\r\nNOOP\r\n");
    assert_eq!(c.reply(), "250 sink.test");
    assert_eq!(c.reply(), "250 OK");
    assert_eq!(
        c.message(&["three@example.org"], "Subject: 3\r\n"),
        "250 2.0.0 OK"
    );
    assert_eq!(c.say("QUIT"), "221 Bye");
    assert!(c.closed());

    let unstuffed = "Subject: dots\r\n\r\n.leading dot\r\n.\r\nlast line\r\n\r\n";
    assert_eq!(
        sink.messages(),
        [
            ("one@example.org".to_owned(), unstuffed.to_owned()),
            ("Two_x@example.org".to_owned(), unstuffed.to_owned()),
            (
                "three@example.org".to_owned(),
                "Subject: 3\r\n\r\n".to_owned()
            ),
        ]
    );
    assert_eq!(sink.counts()["one@example.org"], 1);
}

#[test]
fn the_sink_refuses_tempfails_drops_and_delays_as_asked() {
    let sink = Sink::start(Faults {
        tempfail_first: 2,
        drop_every: 4,
        reject: Some("^bounce@"),
        delay: Duration::from_millis(200),
    });
    let mut c = Client::connect(&sink);
    c.say("EHLO client.test");
    assert_eq!(c.say("MAIL FROM:<a@example.org>"), "250 OK");
    assert_eq!(
        c.say("RCPT TO:<bounce@example.org>"),
        "550 5.1.1 No such user here"
    );
    assert_eq!(c.say("RCPT TO:<no-bounce@example.org>"), "250 OK");
    assert_eq!(c.say("RSET"), "250 OK");
    for _ in 0..2 {
        assert_eq!(
            c.message(&["a@example.org"], "Subject: 1\r\n"),
            "451 4.3.0 Try again later"
        );
    }
    let started = Instant::now();
    assert_eq!(
        c.message(&["a@example.org"], "Subject: 3\r\n"),
        "250 2.0.0 OK"
    );
    assert!(started.elapsed() >= Duration::from_millis(200));
    // The fourth message is never answered: the connection just ends.
    c.say("MAIL FROM:<a@example.org>");
    c.say("RCPT TO:<a@example.org>");
    c.say("DATA");
    c.send("Subject: 4\r\n\r\n.\r\n");
    assert!(c.closed());
    let mut c = Client::connect(&sink);
    c.say("HELO client.test");
    assert_eq!(
        c.message(&["b@example.org"], "Subject: 5\r\n"),
        "250 2.0.0 OK"
    );
    let kept: Vec<_> = sink.messages().into_iter().map(|(to, _)| to).collect();
    assert_eq!(kept, ["a@example.org", "b@example.org"]);
}

#[test]
fn a_dropped_sink_closes_its_connections() {
    // (Whether its port still answers is not checked: tests running beside this one may
    // be given the same port at once.)
    let sink = Sink::start(Faults::NONE);
    let mut idle = Client::connect(&sink);
    idle.say("EHLO client.test");
    drop(sink);
    assert!(idle.closed());
}
