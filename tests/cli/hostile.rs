//! Hostile and careless clients: headers sent a byte at a time, connections left idle or
//! opened by the hundred, a body that never arrives. Each is cut off in its time, and the
//! other clients are served meanwhile. Timeouts are shortened through the config; bounds
//! on how long things take are generous, for a loaded machine.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::support::{Server, Workspace};

/// The longest any test waits for something that should happen much sooner.
const PATIENCE: Duration = Duration::from_secs(30);

/// A server over an empty store, with these `[server]` settings.
fn server(settings: &str) -> Server {
    let ws = Workspace::new();
    let mut text = std::fs::read_to_string(&ws.config).unwrap();
    text.push_str("\n[server]\n");
    text.push_str(settings);
    std::fs::write(&ws.config, text).unwrap();
    Server::start(ws)
}

fn connect(server: &Server) -> TcpStream {
    let address = server.base.strip_prefix("http://").unwrap();
    TcpStream::connect(address).unwrap()
}

/// What a read found within `wait`.
#[derive(Debug, PartialEq)]
enum Heard {
    Closed,
    Bytes(Vec<u8>),
    Silence,
}

fn read_for(stream: &mut TcpStream, wait: Duration) -> Heard {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 4096];
    match stream.read(&mut buf) {
        Ok(0) => Heard::Closed,
        Ok(n) => Heard::Bytes(buf[..n].to_vec()),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Heard::Silence,
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe
            ) =>
        {
            Heard::Closed
        }
        Err(e) => panic!("reading: {e}"),
    }
}

/// Waits (up to [`PATIENCE`]) for the server to close the connection; panics if it
/// answers anything first.
fn wait_for_close(stream: &mut TcpStream) -> Instant {
    let until = Instant::now() + PATIENCE;
    while Instant::now() < until {
        match read_for(stream, Duration::from_millis(200)) {
            Heard::Closed => return Instant::now(),
            Heard::Silence => {}
            Heard::Bytes(b) => panic!("unexpected answer: {}", String::from_utf8_lossy(&b)),
        }
    }
    panic!("the server kept the connection open for {PATIENCE:?}");
}

/// Reads one whole answer (head and a body of Content-Length bytes).
fn read_answer(stream: &mut TcpStream) -> String {
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().unwrap())
                })
                .expect("a Content-Length");
            if body.len() >= length {
                return text;
            }
        }
        let n = stream.read(&mut buf).expect("an answer");
        assert!(
            n > 0,
            "closed mid-answer: {}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
    }
}

const HEALTH: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n";

#[test]
fn a_client_sending_its_headers_a_byte_at_a_time_is_disconnected_after_the_header_timeout() {
    let s =
        server("header_timeout_secs = 2\nidle_timeout_secs = 120\nrequest_timeout_secs = 120\n");
    let started = Instant::now();
    let mut stream = connect(&s);
    let head = b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Padding: ".iter();
    let mut bytes = head.chain(std::iter::repeat(&b'a'));
    let closed = loop {
        if stream.write_all(&[*bytes.next().unwrap()]).is_err() {
            break Instant::now();
        }
        match read_for(&mut stream, Duration::from_millis(500)) {
            Heard::Closed => break Instant::now(),
            Heard::Silence => {}
            Heard::Bytes(b) => panic!("unexpected answer: {}", String::from_utf8_lossy(&b)),
        }
        assert!(
            started.elapsed() < PATIENCE,
            "still connected after {PATIENCE:?}"
        );
    };
    let took = closed - started;
    assert!(
        took >= Duration::from_millis(1900),
        "closed too soon: {took:?}"
    );
    // Others are served meanwhile and after.
    assert_eq!(s.get("/healthz").0, 200);
}

#[test]
fn a_connection_that_never_sends_a_request_is_closed_after_the_header_timeout() {
    let s = server("header_timeout_secs = 2\nidle_timeout_secs = 120\n");
    let started = Instant::now();
    let mut stream = connect(&s);
    let took = wait_for_close(&mut stream) - started;
    assert!(
        took >= Duration::from_millis(1900),
        "closed too soon: {took:?}"
    );
}

#[test]
fn a_kept_alive_connection_serves_more_requests_then_closes_after_the_idle_timeout() {
    let s = server("header_timeout_secs = 120\nidle_timeout_secs = 2\n");
    let mut stream = connect(&s);
    stream.write_all(HEALTH).unwrap();
    assert!(read_answer(&mut stream).starts_with("HTTP/1.1 200"));
    // Within the idle time the same connection takes another request.
    std::thread::sleep(Duration::from_millis(300));
    stream.write_all(HEALTH).unwrap();
    let answered = Instant::now();
    assert!(read_answer(&mut stream).starts_with("HTTP/1.1 200"));
    let idle = wait_for_close(&mut stream) - answered;
    assert!(
        idle >= Duration::from_millis(1900),
        "closed too soon: {idle:?}"
    );
}

#[test]
fn at_the_connection_limit_idle_connections_make_room_for_a_request_at_once() {
    // Timeouts far longer than the test: only making room can serve the request.
    let s = server(
        "header_timeout_secs = 300\nidle_timeout_secs = 300\nrequest_timeout_secs = 300\nmax_connections = 8\n",
    );
    let mut idle: Vec<TcpStream> = (0..12).map(|_| connect(&s)).collect();
    let client = crate::support::client_builder()
        .timeout(PATIENCE)
        .build()
        .unwrap();
    let answer = client
        .get(format!("{}/healthz", s.base))
        .send()
        .expect("served while the idle connections are open");
    assert_eq!(answer.status(), 200);
    // The connections that waited longest were closed to make room; the newest are open.
    wait_for_close(&mut idle[0]);
    assert_eq!(
        read_for(idle.last_mut().unwrap(), Duration::from_millis(500)),
        Heard::Silence
    );
}

#[test]
fn healthz_answers_while_hundreds_of_idle_sockets_are_open() {
    let s = server("header_timeout_secs = 300\nidle_timeout_secs = 300\nmax_connections = 64\n");
    let _idle: Vec<TcpStream> = (0..500).map(|_| connect(&s)).collect();
    let client = crate::support::client_builder()
        .timeout(PATIENCE)
        .build()
        .unwrap();
    for _ in 0..3 {
        let answer = client.get(format!("{}/healthz", s.base)).send().unwrap();
        assert_eq!(answer.status(), 200);
    }
}

#[test]
fn a_request_body_that_never_arrives_is_answered_503_after_the_request_timeout() {
    let s =
        server("header_timeout_secs = 120\nidle_timeout_secs = 120\nrequest_timeout_secs = 2\n");
    let mut stream = connect(&s);
    stream
        .write_all(
            b"POST /api/v1/subscriptions HTTP/1.1\r\nHost: test\r\n\
              Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{",
        )
        .unwrap();
    let answer = read_answer(&mut stream);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("\"error\""), "{answer}");
}
