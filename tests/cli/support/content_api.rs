//! A stand-in for the GOV.UK Content API (and legislation.gov.uk) on 127.0.0.1, for the
//! national-guidance tests: no test reaches the internet.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// What the stand-in API answers for a path: status, extra headers, body.
type Answer = (u16, Vec<(String, String)>, String);

/// A request as the stand-in saw it: path, `If-Modified-Since`, `User-Agent`.
pub type Seen = (String, Option<String>, String);

/// The stand-in Content API: answers from a table that tests change as they go, and
/// keeps every request's path, `If-Modified-Since` and `User-Agent`.
pub struct Api {
    pub port: u16,
    answers: Arc<Mutex<HashMap<String, Answer>>>,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Api {
    pub fn start() -> Api {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let answers: Arc<Mutex<HashMap<String, Answer>>> = Arc::default();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let (table, log) = (answers.clone(), seen.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap_or(0);
                let path = line.split(' ').nth(1).unwrap_or("").to_owned();
                let (mut since, mut agent) = (None, String::new());
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
                        break;
                    }
                    let (name, value) = header.split_once(':').unwrap_or(("", ""));
                    match name.to_ascii_lowercase().as_str() {
                        "if-modified-since" => since = Some(value.trim().to_owned()),
                        "user-agent" => agent = value.trim().to_owned(),
                        _ => {}
                    }
                }
                log.lock()
                    .unwrap()
                    .push((path.clone(), since.clone(), agent));
                let (status, headers, body) = table
                    .lock()
                    .unwrap()
                    .get(&path)
                    .cloned()
                    .unwrap_or((404, vec![], "{}".into()));
                let status = if since.is_some() && headers.iter().any(|(n, _)| n == "x-answer-304")
                {
                    304
                } else {
                    status
                };
                let mut out = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nConnection: close\r\n"
                );
                for (name, value) in headers.iter().filter(|(n, _)| !n.starts_with("x-")) {
                    out.push_str(&format!("{name}: {value}\r\n"));
                }
                let body = if status == 304 { String::new() } else { body };
                out.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
                let _ = stream.write_all(out.as_bytes());
            }
        });
        Api {
            port,
            answers,
            seen,
        }
    }

    /// Answers `status`, `headers` and `body` for the API path of a gov.uk `path`
    /// (a header `x-answer-304` makes it answer 304 to a conditional request).
    pub fn answer(&self, path: &str, status: u16, headers: &[(&str, &str)], body: &str) {
        self.answer_at(&format!("/api/content{path}"), status, headers, body);
    }

    /// Answers `status`, `headers` and `body` for a request path as it is.
    pub fn answer_at(&self, path: &str, status: u16, headers: &[(&str, &str)], body: &str) {
        self.answers.lock().unwrap().insert(
            path.to_owned(),
            (
                status,
                headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect(),
                body.to_owned(),
            ),
        );
    }
}
