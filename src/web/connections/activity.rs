//! What one connection is doing, as its watchdog sees it: whether an answer is under way,
//! since when it has been quiet, whether the next request's head has begun to arrive and
//! when bytes last moved. The connection's reads and writes and its requests report here;
//! the watchdog ([`Activity::next_step`]) turns that into "finish" or "close now".

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use http_body::{Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::ConnectionLimits;

/// What the watchdog tells its connection to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Take no further requests: finish the one under way, then close.
    Finish,
    /// Close at once: nothing is under way (time is up, or room is needed), or bytes
    /// stopped moving while an answer was under way.
    Drop,
}

#[derive(Debug)]
struct Phase {
    /// Requests whose answers have not ended.
    busy: usize,
    /// An answer has ended but its last bytes may still be in hyper's buffer.
    unflushed: bool,
    /// When the connection was accepted, or when its last answer ended.
    quiet_since: Instant,
    /// Whether an answer was ever sent: until then the connection waits for its first
    /// request's head (header timeout), afterwards for the next request (idle timeout).
    answered: bool,
    /// When the first byte of the next request arrived, while nothing was under way.
    head_since: Option<Instant>,
    /// When bytes last moved either way.
    moved: Instant,
    /// Asked to close as soon as nothing is under way (room is needed, or the server stops).
    close: bool,
    /// [`Step::Finish`] was given.
    finishing: bool,
}

impl Phase {
    fn new(now: Instant) -> Phase {
        Phase {
            busy: 0,
            unflushed: false,
            quiet_since: now,
            answered: false,
            head_since: None,
            moved: now,
            close: false,
            finishing: false,
        }
    }

    /// Nothing under way: no request is being answered, and the last answer is written.
    fn is_quiet(&self) -> bool {
        self.busy == 0 && !self.unflushed
    }

    /// When the connection is to be closed if nothing changes.
    fn deadline(&self, limits: &ConnectionLimits) -> Instant {
        if !self.is_quiet() {
            return self.moved + limits.stall();
        }
        if !self.answered {
            return self.quiet_since + limits.header;
        }
        match self.head_since {
            Some(first_byte) => first_byte + limits.header,
            None => self.quiet_since + limits.idle,
        }
    }
}

/// One connection's activity, shared by its reads and writes, its requests and its
/// watchdog.
pub struct Activity {
    phase: Mutex<Phase>,
    /// Wakes the watchdog.
    changed: Notify,
    /// Wakes whoever waits for some connection to go quiet (a new one at the limit).
    quiet: Arc<Notify>,
}

impl Activity {
    pub fn new(quiet: Arc<Notify>) -> Activity {
        Activity {
            phase: Mutex::new(Phase::new(Instant::now())),
            changed: Notify::new(),
            quiet,
        }
    }

    fn phase(&self) -> MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A request's head was read: it is under way until its answer has been written.
    pub fn begin(self: &Arc<Self>) -> InFlight {
        let mut phase = self.phase();
        phase.busy += 1;
        phase.head_since = None;
        phase.moved = Instant::now();
        drop(phase);
        self.changed.notify_one();
        InFlight(self.clone())
    }

    /// When this connection would time out, if it can be closed at once to make room
    /// (nothing under way, not already closing).
    pub fn closable_at(&self, limits: &ConnectionLimits) -> Option<Instant> {
        let phase = self.phase();
        (phase.is_quiet() && !phase.close).then(|| phase.deadline(limits))
    }

    /// Asks the connection to close as soon as nothing is under way.
    pub fn close_when_done(&self) {
        self.phase().close = true;
        self.changed.notify_one();
    }

    /// Waits until the connection is to finish or close.
    pub async fn next_step(&self, limits: &ConnectionLimits) -> Step {
        loop {
            let changed = self.changed.notified();
            let wake = {
                let mut phase = self.phase();
                let now = Instant::now();
                let deadline = phase.deadline(limits);
                if phase.is_quiet() && (phase.close || deadline <= now) {
                    return Step::Drop;
                }
                if !phase.is_quiet() {
                    if deadline <= now {
                        return Step::Drop;
                    }
                    if phase.close && !phase.finishing {
                        phase.finishing = true;
                        return Step::Finish;
                    }
                }
                deadline
            };
            tokio::select! {
                () = changed => {}
                () = tokio::time::sleep_until(wake) => {}
            }
        }
    }

    fn read_some(&self) {
        let mut phase = self.phase();
        let now = Instant::now();
        phase.moved = now;
        if phase.busy == 0 && phase.head_since.is_none() {
            phase.head_since = Some(now);
            drop(phase);
            self.changed.notify_one();
        }
    }

    fn wrote_some(&self) {
        self.phase().moved = Instant::now();
    }

    fn flushed(&self) {
        let mut phase = self.phase();
        if !phase.unflushed {
            return;
        }
        phase.unflushed = false;
        let quiet = phase.busy == 0;
        drop(phase);
        if quiet {
            self.changed.notify_one();
            self.quiet.notify_one();
        }
    }
}

/// A request under way, until the answer's body has ended (or the request was dropped).
pub struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut phase = self.0.phase();
        phase.busy -= 1;
        if phase.busy == 0 {
            let now = Instant::now();
            phase.quiet_since = now;
            phase.moved = now;
            phase.answered = true;
            // hyper buffers the answer's last bytes after its body ends; the connection
            // is quiet once they are flushed.
            phase.unflushed = true;
        }
        drop(phase);
        self.0.changed.notify_one();
    }
}

/// An answer's body, holding its request [`InFlight`] until hyper has taken all of it.
pub struct Answering {
    body: Body,
    _in_flight: InFlight,
}

impl Answering {
    pub fn new(body: Body, in_flight: InFlight) -> Answering {
        Answering {
            body,
            _in_flight: in_flight,
        }
    }
}

impl HttpBody for Answering {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A connection's socket, reporting its reads, writes and flushes to its [`Activity`].
pub struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> Watched<S> {
    pub fn new(inner: S, activity: Arc<Activity>) -> Watched<S> {
        Watched { inner, activity }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read_some();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote_some();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote_some();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_flush(cx);
        if matches!(polled, Poll::Ready(Ok(()))) {
            self.activity.flushed();
        }
        polled
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
