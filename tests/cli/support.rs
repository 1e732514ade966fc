//! Shared test helpers: a temporary data folder, the real `chapterhouse` binary, snapshot
//! folders written on the fly; the SMTP server the email tests send to is in `support/smtp.rs`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use chapterhouse::store::Store;
use tempfile::TempDir;

pub mod content_api;
#[path = "../support/postgres.rs"]
pub mod postgres;
mod smtp;
pub use smtp::{Faults, Sink};

/// A temporary workspace: config file, data folder and room for snapshot folders.
pub struct Workspace {
    pub dir: TempDir,
    pub config: PathBuf,
    pub data: PathBuf,
}

/// What a command printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Run {
    fn from(out: std::process::Output) -> Run {
        Run {
            success: out.status.success(),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }
}

impl Run {
    /// Asserts the command succeeded; returns it for further checks.
    #[track_caller]
    pub fn ok(self) -> Run {
        assert!(self.success, "command failed: {}", self.stderr);
        self
    }

    /// Asserts the command failed with a one-line reason containing `needle`.
    #[track_caller]
    pub fn refused(self, needle: &str) -> Run {
        assert!(
            !self.success,
            "command succeeded but should have failed:\n{}",
            self.stdout
        );
        assert_eq!(
            self.stderr.trim_end().lines().count(),
            1,
            "reason is not one line:\n{}",
            self.stderr
        );
        assert!(
            self.stderr.contains(needle),
            "expected {needle:?} in:\n{}",
            self.stderr
        );
        self
    }
}

const REMINDERS_OFF: &str = "[reviews]\nenabled = false\n";

impl Workspace {
    /// Lets `serve` send the weekly review reminder.
    pub fn enable_reminders(&self) {
        let text = std::fs::read_to_string(&self.config).unwrap();
        std::fs::write(&self.config, text.replace(REMINDERS_OFF, "")).unwrap();
    }

    /// An empty workspace whose config leaves the sample out.
    pub fn new() -> Workspace {
        Workspace::with_config("[data]\nseed_sample = false\n")
    }

    /// A workspace whose store is seeded with the bundled sample on first use.
    pub fn with_sample() -> Workspace {
        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("procedures");
        Workspace::with_config(&format!(
            "[data]\nseed_sample = true\nsample_dir = {:?}\n\n[server]\npublic_url = \"https://procedures.example.org\"\n",
            sample.display().to_string()
        ))
    }

    /// A sample workspace with more settings (TOML sections) appended to its config.
    pub fn with_sample_and(extra: &str) -> Workspace {
        let ws = Workspace::with_sample();
        let mut text = std::fs::read_to_string(&ws.config).unwrap();
        text.push_str(extra);
        std::fs::write(&ws.config, text).unwrap();
        ws
    }

    fn with_config(text: &str) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        // The weekly review reminder would mail the editors of any test whose chapters
        // are due; the tests of the reminder turn it on (`enable_reminders`).
        std::fs::write(&config, format!("{REMINDERS_OFF}\n{text}")).unwrap();
        let data = dir.path().join("data");
        Workspace { dir, config, data }
    }

    /// Runs `chapterhouse --config <config> --data <data> ARGS...`.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_env(args, &[])
    }

    /// Runs the command with extra environment variables (`CHAPTERHOUSE__...` settings).
    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_chapterhouse"))
            .envs(env.iter().copied())
            .arg("--config")
            .arg(&self.config)
            .arg("--data")
            .arg(&self.data)
            .args(args)
            .env_remove("CHAPTERHOUSE_LOG")
            .output()
            .unwrap();
        Run::from(out)
    }

    /// Writes a file under the workspace (creating folders) and returns its path.
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// A path under the workspace, as a string for arguments.
    pub fn path(&self, rel: &str) -> String {
        self.dir.path().join(rel).display().to_string()
    }

    /// Writes a snapshot folder `name` with a manual.toml and the given chapter files.
    pub fn snapshot(&self, name: &str, chapters: &[(&str, &str)]) -> String {
        self.write(
            &format!("{name}/manual.toml"),
            "title = \"Test Procedures\"\n",
        );
        for (file, text) in chapters {
            self.write(&format!("{name}/{file}"), text);
        }
        self.path(name)
    }

    /// Imports a snapshot folder as a release of manual `m`.
    #[track_caller]
    pub fn import(&self, snapshot: &str, release: &str, date: &str) -> Run {
        self.run(&[
            "import",
            snapshot,
            "--manual",
            "m",
            "--release",
            release,
            "--date",
            date,
        ])
    }

    /// Every ref of the store, HEAD included, and its target (what a refused change must
    /// leave alone).
    pub fn refs(&self) -> Vec<(String, String)> {
        let path = self.data.join("store.git");
        if !path.exists() {
            return Vec::new();
        }
        Store::open_or_init(&path).unwrap().refs().unwrap()
    }
}

/// A chapter file with the given title and body.
pub fn chapter(title: &str, body: &str) -> String {
    format!("+++\ntitle = \"{title}\"\n+++\n{body}")
}

/// A body long enough for rename detection, with numbered sections.
pub fn body(extra: &str) -> String {
    format!(
        "This chapter sets out what practitioners must do.\n\n## 1. Introduction\n\n\
         Practitioners must act without delay when a child may be at risk of significant harm, \
         sharing information with children's social care and the police.\n\n\
         ## 2. Strategy discussion\n\nA strategy discussion is held whenever there is reasonable \
         cause to suspect that a child is suffering significant harm.{extra}\n"
    )
}

/// An HTTP client's builder. TLS (unused against 127.0.0.1, but built into every client)
/// goes through the ring provider, as chapterhouse's own client does.
pub fn client_builder() -> reqwest::blocking::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
}

/// Starts `chapterhouse serve` on a free port over `ws` (logging at `log`), waits for the
/// line that says where; the process, its address and a client that follows no redirects.
pub fn spawn_server(ws: &Workspace, log: &str) -> (Child, String, reqwest::blocking::Client) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chapterhouse"))
        .arg("--config")
        .arg(&ws.config)
        .arg("--data")
        .arg(&ws.data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("CHAPTERHOUSE_LOG", log)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("chapterhouse listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    let client = client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    (child, base, client)
}

/// `chapterhouse serve` on a free port over a workspace, stopped when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    pub client: reqwest::blocking::Client,
    pub ws: Workspace,
}

/// An answer: status, headers and body.
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl Server {
    pub fn start(ws: Workspace) -> Server {
        let (child, base, client) = spawn_server(&ws, "warn");
        Server {
            child,
            base,
            client,
            ws,
        }
    }

    /// GET, JSON expected.
    pub fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let answer = self.fetch(path, &[]);
        (answer.status, answer.json())
    }

    /// GET with extra request headers.
    pub fn fetch(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = self.client.get(format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Answer::from(request.send().unwrap())
    }

    /// Any request, with headers and a body.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<reqwest::blocking::Body>,
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Answer::from(request.body(body).send().unwrap())
    }

    /// Like [`Server::send`], but a connection the server closed while the body was still
    /// being sent (as it may after refusing an oversized body) comes back as `Err`. The
    /// request goes over a connection of its own, never kept for the next request: the
    /// server may close it right after answering.
    pub fn try_send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<reqwest::blocking::Body>,
    ) -> Result<Answer, reqwest::Error> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let client = client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        let mut request = client.request(method, format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(body).send().map(Answer::from)
    }
}

impl From<reqwest::blocking::Response> for Answer {
    fn from(response: reqwest::blocking::Response) -> Answer {
        Answer {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().unwrap(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A message with its quoted-printable parts decoded (enough to search it for text and
/// links).
pub fn decoded(raw: &str) -> String {
    let bytes = quoted_printable::decode(raw.as_bytes(), quoted_printable::ParseMode::Robust)
        .unwrap_or_else(|_| raw.as_bytes().to_vec());
    String::from_utf8_lossy(&bytes).into_owned()
}
