//! The tests' SMTP server: real SMTP over TCP on 127.0.0.1, run on threads of the test
//! process, keeping every accepted message in memory, misbehaving on request (`Faults`).
//!
//! One thread per connection speaks SMTP (`smtp/session.rs`); this file owns the sink's
//! life, its faults and the messages it keeps. Replies and limits follow aiosmtpd, which
//! `tests/support/smtp_sink.py` (still used by the digest benchmark) runs: a message is kept
//! as it came after DATA, dot-unstuffed, with its CRLF line ends and the CRLF before the
//! final `.`, once per recipient.

mod session;

use std::collections::{BTreeMap, HashMap};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use regex::Regex;

/// How the sink misbehaves; `Faults::NONE` accepts everything at once.
#[derive(Clone, Debug)]
pub struct Faults {
    /// Answer the end of the first N messages' DATA with 451 (then accept).
    pub tempfail_first: u64,
    /// Drop the connection instead of answering every Nth message (0: never).
    pub drop_every: u64,
    /// Refuse recipients matching this pattern (anywhere in the address) with 550 at RCPT.
    pub reject: Option<&'static str>,
    /// Wait this long before accepting each message.
    pub delay: Duration,
}

impl Faults {
    pub const NONE: Faults = Faults {
        tempfail_first: 0,
        drop_every: 0,
        reject: None,
        delay: Duration::ZERO,
    };
}

/// An SMTP server on 127.0.0.1, stopped (its connections closed) when dropped. Messages are
/// counted in arrival order from 1 across connections, the ones refused or dropped too.
pub struct Sink {
    pub port: u16,
    state: Arc<State>,
    acceptor: Option<JoinHandle<()>>,
}

struct State {
    faults: Faults,
    reject: Option<Regex>,
    /// Messages whose content arrived so far.
    seen: AtomicU64,
    /// Accepted messages: (recipient, raw message), one per recipient.
    messages: Mutex<Vec<(String, Vec<u8>)>>,
    /// The open connections, to be shut down when the sink stops; `None` once it has.
    open: Mutex<Option<HashMap<usize, TcpStream>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Sink {
    /// Listens on a free port of 127.0.0.1; ready for connections when this returns.
    pub fn start(faults: Faults) -> Sink {
        let reject = faults
            .reject
            .map(|pattern| Regex::new(pattern).expect("the reject pattern is a regex"));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State {
            faults,
            reject,
            seen: AtomicU64::new(0),
            messages: Mutex::new(Vec::new()),
            open: Mutex::new(Some(HashMap::new())),
        });
        let shared = Arc::clone(&state);
        let acceptor = thread::Builder::new()
            .name(format!("smtp-sink-{port}"))
            .spawn(move || accept(listener, shared))
            .unwrap();
        Sink {
            port,
            state,
            acceptor: Some(acceptor),
        }
    }

    /// The `[smtp]` settings that send to this sink.
    pub fn config(&self) -> String {
        format!(
            "\n[smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\npool_size = 4\nattempts = 6\nretry_ms = 20\ntimeout_secs = 10\n\n[mail]\nfrom = \"Procedures <procedures@example.org>\"\nreply_to = \"team@example.org\"\n",
            self.port
        )
    }

    /// Every message received: (recipient, raw message), in arrival order. The recipient is
    /// shown with any character but `A-Za-z0-9@._-` as `_`.
    pub fn messages(&self) -> Vec<(String, String)> {
        lock(&self.state.messages)
            .iter()
            .map(|(rcpt, raw)| {
                let shown = rcpt
                    .chars()
                    .map(|c| match c {
                        'A'..='Z' | 'a'..='z' | '0'..='9' | '@' | '.' | '_' | '-' => c,
                        _ => '_',
                    })
                    .collect();
                let raw = String::from_utf8(raw.clone())
                    .unwrap_or_else(|e| panic!("a message to {rcpt} is not UTF-8: {e}"));
                (shown, raw)
            })
            .collect()
    }

    /// How many messages each recipient received.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for (rcpt, _) in self.messages() {
            *counts.entry(rcpt).or_insert(0) += 1;
        }
        counts
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let open = lock(&self.state.open).take();
        for stream in open.into_iter().flat_map(HashMap::into_values) {
            let _ = stream.shutdown(Shutdown::Both);
        }
        // The accept loop sees the sink stopped on its next connection: this one.
        if TcpStream::connect(("127.0.0.1", self.port)).is_ok()
            && let Some(acceptor) = self.acceptor.take()
        {
            let _ = acceptor.join();
        }
    }
}

/// Accepts connections, one thread each, until the sink stops; then waits for those threads.
fn accept(listener: TcpListener, state: Arc<State>) {
    let mut workers: Vec<JoinHandle<()>> = Vec::new();
    for (id, stream) in listener.incoming().enumerate() {
        let Ok(stream) = stream else {
            thread::sleep(Duration::from_millis(10));
            continue;
        };
        {
            let mut open = lock(&state.open);
            let Some(open) = open.as_mut() else { break };
            let Ok(handle) = stream.try_clone() else {
                continue;
            };
            open.insert(id, handle);
        }
        let state = Arc::clone(&state);
        workers.retain(|w| !w.is_finished());
        workers.push(thread::spawn(move || {
            let _ = session::converse(&state, &stream);
            let _ = stream.shutdown(Shutdown::Both);
            if let Some(open) = lock(&state.open).as_mut() {
                open.remove(&id);
            }
        }));
    }
    for worker in workers {
        let _ = worker.join();
    }
}

/// Numbers a message whose content arrived and applies the faults to it: the reply to send,
/// or `None` to drop the connection unanswered. Accepted messages are stored per recipient.
fn deliver(state: &State, recipients: Vec<String>, content: Vec<u8>) -> Option<&'static str> {
    let faults = &state.faults;
    let n = state.seen.fetch_add(1, Ordering::SeqCst) + 1;
    if n <= faults.tempfail_first {
        return Some("451 4.3.0 Try again later");
    }
    if faults.drop_every > 0 && n % faults.drop_every == 0 {
        return None;
    }
    if !faults.delay.is_zero() {
        thread::sleep(faults.delay);
    }
    let mut messages = lock(&state.messages);
    for rcpt in recipients {
        messages.push((rcpt, content.clone()));
    }
    Some("250 2.0.0 OK")
}
