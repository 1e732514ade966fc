//! The WebDriver plumbing the browser tests share: chromedriver on a free port, a headless
//! Chromium session, and waiting for what a step checks.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// chromedriver on a free port, stopped with its browsers when dropped.
pub struct Driver {
    child: Child,
    port: u16,
    chromium: PathBuf,
}

impl Drop for Driver {
    /// Asks chromedriver to quit its sessions first: a test that failed before closing its
    /// session would otherwise leave a headless Chromium running after the test.
    fn drop(&mut self) {
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = stream.write_all(
                b"GET /shutdown HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
            );
            let _ = stream.read_to_end(&mut Vec::new());
        }
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// Says loudly that (part of) a test was skipped for want of something, or fails under CI
/// (the `CI` variable set), where everything the browser tests need must be installed.
pub fn skipped(message: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "{message}; under CI they must run"
    );
    eprintln!("\n*** {message} ***\n");
}

impl Driver {
    /// Starts chromedriver, or explains why there is none.
    pub fn start() -> Option<Driver> {
        let chromedriver = std::env::var_os("CHROMEDRIVER")
            .map(PathBuf::from)
            .or_else(|| find(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]));
        let chromium = std::env::var_os("CHROMIUM").map(PathBuf::from).or_else(|| {
            find(&[
                "/usr/bin/chromium",
                "/usr/bin/chromium-browser",
                "/usr/bin/google-chrome",
            ])
        });
        let (Some(chromedriver), Some(chromium)) = (chromedriver, chromium) else {
            skipped(
                "browser tests SKIPPED: no chromium/chromedriver found \
                 (apt-get install chromium chromium-driver, or set CHROMIUM and CHROMEDRIVER)",
            );
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(Driver {
            child,
            port,
            chromium,
        })
    }

    /// A new headless browser session, 360 px wide (a phone) until told otherwise.
    pub async fn browser(&self) -> Client {
        let url = format!("http://127.0.0.1:{}", self.port);
        browser_at(&url, &self.chromium).await
    }
}

async fn browser_at(url: &str, chromium: &Path) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=360,800"],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(url)
        .await
        .expect("a WebDriver session")
}

/// How long one step waits for what it checks (the next page, an element on it).
pub const STEP: Duration = Duration::from_secs(20);

/// Runs `check` until it gives a value, for at most [`STEP`]; it says what it saw when it
/// gives none, and that is the failure's message.
pub async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Result<T, String>) -> T {
    let started = Instant::now();
    loop {
        match check().await {
            Ok(value) => return value,
            Err(seen) if started.elapsed() > STEP => {
                panic!("waited {STEP:?} for {what}; last saw {seen}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Waits until the browser is at an address containing `part` (a click's navigation has
/// happened), and returns the address.
pub async fn arrive(client: &Client, part: &str) -> String {
    eventually(&format!("an address containing {part:?}"), async || {
        let url = client.current_url().await.map_err(|e| e.to_string())?;
        if url.as_str().contains(part) {
            Ok(url.to_string())
        } else {
            Err(url.to_string())
        }
    })
    .await
}

/// Waits for an element of the page, and returns it.
pub async fn element(client: &Client, locator: Locator<'_>) -> Element {
    client
        .wait()
        .at_most(STEP)
        .for_element(locator)
        .await
        .unwrap_or_else(|e| panic!("waited {STEP:?} for {locator:?}: {e}"))
}

/// Waits until the element `css` shows `needle`, and returns all its text.
pub async fn text_with(client: &Client, css: &str, needle: &str) -> String {
    eventually(&format!("{css} showing {needle:?}"), async || {
        let found = client
            .find(Locator::Css(css))
            .await
            .map_err(|e| format!("no {css}: {e}"))?;
        let text = found.text().await.map_err(|e| e.to_string())?;
        if text.contains(needle) {
            Ok(text)
        } else {
            Err(format!("{text:?}"))
        }
    })
    .await
}

/// True when the page fits the window's width (no sideways scrolling on a phone).
pub async fn fits_the_width(client: &Client) -> bool {
    let fits = client
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    fits.as_bool().unwrap()
}
