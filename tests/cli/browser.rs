//! Pages in a real browser: headless Chromium driven over WebDriver (chromedriver). A
//! practitioner searches for an acronym, opens the chapter, opens its changes and reads last
//! month's version; an editor publishes through the API and the page shows the new release.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Without them
//! the test says loudly that it was skipped — and fails under CI, where they must be present.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::support::{Server, Workspace};

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// Starts chromedriver, or explains why there is none.
fn driver() -> Option<(Driver, PathBuf)> {
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
        let message = "browser tests SKIPPED: no chromium/chromedriver found \
                       (apt-get install chromium chromium-driver, or set CHROMIUM and CHROMEDRIVER)";
        assert!(
            std::env::var_os("CI").is_none(),
            "{message}; under CI they must run"
        );
        eprintln!("\n*** {message} ***\n");
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
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some((Driver { child, url }, chromium))
}

async fn browser(driver: &Driver, chromium: &std::path::Path) -> Client {
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
        .connect(&driver.url)
        .await
        .expect("a WebDriver session")
}

/// How long one step waits for what it checks (the next page, an element on it).
const STEP: Duration = Duration::from_secs(20);

/// Runs `check` until it gives a value, for at most [`STEP`]; it says what it saw when it
/// gives none, and that is the failure's message.
async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Result<T, String>) -> T {
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
async fn arrive(client: &Client, part: &str) -> String {
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
async fn element(client: &Client, locator: Locator<'_>) -> Element {
    client
        .wait()
        .at_most(STEP)
        .for_element(locator)
        .await
        .unwrap_or_else(|e| panic!("waited {STEP:?} for {locator:?}: {e}"))
}

/// Waits until the element `css` shows `needle`, and returns all its text.
async fn text_with(client: &Client, css: &str, needle: &str) -> String {
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
async fn fits_the_width(client: &Client) -> bool {
    let fits = client
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    fits.as_bool().unwrap()
}

#[test]
fn a_practitioner_finds_reads_compares_and_sees_a_new_release() {
    let Some((driver, chromium)) = driver() else {
        return;
    };
    let ws = Workspace::with_sample();
    let token = ws
        .run(&[
            "editors",
            "add",
            "Pat",
            "--email",
            "pat@example.org",
            "--role",
            "publisher",
        ])
        .ok()
        .stdout
        .trim()
        .to_owned();
    let server = Server::start(ws);
    let base = server.base.clone();
    let runtime = tokio::runtime::Runtime::new().unwrap();

    let client = runtime.block_on(async {
        let c = browser(&driver, &chromium).await;
        // Search for an acronym from the home page.
        c.goto(&format!("{base}/")).await.unwrap();
        let search = element(&c, Locator::Id("home-q")).await;
        assert!(
            fits_the_width(&c).await,
            "the home page scrolls sideways at 360 px"
        );
        search.send_keys("LADO").await.unwrap();
        element(&c, Locator::Css("form.big-search button"))
            .await
            .click()
            .await
            .unwrap();
        arrive(&c, "/search?q=LADO").await;
        text_with(&c, "main", "chapters found").await;
        // Open the chapter.
        let title = "Allegations Against People who Work with Children";
        element(&c, Locator::LinkText(title))
            .await
            .click()
            .await
            .unwrap();
        arrive(&c, "/manuals/children/chapters/").await;
        assert_eq!(text_with(&c, "h1", title).await, title);
        assert!(
            fits_the_width(&c).await,
            "the chapter page scrolls sideways at 360 px"
        );
        // Its changes.
        c.goto(&format!(
            "{base}/manuals/children/chapters/section-47-enquiries"
        ))
        .await
        .unwrap();
        element(&c, Locator::LinkText("What changed last"))
            .await
            .click()
            .await
            .unwrap();
        arrive(&c, "/section-47-enquiries/diff").await;
        assert!(
            text_with(&c, "h1", "Changes to")
                .await
                .starts_with("Changes to")
        );
        element(&c, Locator::Css(".diff ins, .diff del")).await;
        // Last month's version, from the chapter's history.
        c.goto(&format!(
            "{base}/manuals/children/chapters/section-47-enquiries/history"
        ))
        .await
        .unwrap();
        element(&c, Locator::Css("a[href$='?release=2024-03']"))
            .await
            .click()
            .await
            .unwrap();
        arrive(&c, "/section-47-enquiries?release=2024-03").await;
        text_with(&c, ".past-banner", "release 2024-03").await;
        let banner = element(&c, Locator::Css(".past-banner")).await;
        assert!(banner.is_displayed().await.unwrap());
        // Keyboard users can skip to the content.
        let skip = element(&c, Locator::Css("a.skip")).await;
        assert_eq!(skip.attr("href").await.unwrap().as_deref(), Some("#main"));
        c
    });

    // An editor changes a chapter and publishes through the API.
    let (_, draft) = {
        let answer = server.fetch(
            "/api/v1/manuals/children/draft/chapters/section-47-enquiries",
            &[("authorization", &format!("Bearer {token}"))],
        );
        (answer.status, answer.json())
    };
    let revision = draft["revision"].as_str().unwrap().to_owned();
    let markdown = draft["markdown"].as_str().unwrap();
    let text_file = format!(
        "+++\ntitle = {:?}\n+++\n{markdown}\n## 14. Browser check\n\nA section added in the browser test.\n",
        draft["title"].as_str().unwrap()
    );
    let auth = format!("Bearer {token}");
    let put = server.send(
        "PUT",
        "/api/v1/manuals/children/chapters/section-47-enquiries",
        &[("authorization", &auth), ("if-match", &revision)],
        text_file,
    );
    assert_eq!(put.status, 200, "{}", put.body);
    let publish = server.send(
        "POST",
        "/api/v1/manuals/children/releases",
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        r#"{"name": "browser-1", "notes": {"section-47-enquiries": "Section 14 added."}}"#,
    );
    assert_eq!(publish.status, 201, "{}", publish.body);

    runtime.block_on(async {
        let c = client;
        c.goto(&format!(
            "{base}/manuals/children/chapters/section-47-enquiries"
        ))
        .await
        .unwrap();
        text_with(&c, "article .meta", "Current as of release browser-1").await;
        text_with(&c, ".toc", "14. Browser check").await;
        text_with(&c, ".history", "Section 14 added.").await;
        c.close().await.unwrap();
    });
}
