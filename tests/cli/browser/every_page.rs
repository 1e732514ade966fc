//! axe-core on every page type a practitioner can reach, over the bundled sample (and a
//! digest of it, for the page of a read link).

use super::axe::check_pages;
use super::driver::Driver;
use crate::support::{Server, Workspace};

/// One address of each page type practitioners read, in the sample data.
const PRACTITIONERS_PAGES: &[&str] = &[
    "/",
    "/search?q=LADO",
    "/search?q=zzzzqqqq",
    "/manuals/children",
    "/manuals/children/chapters/section-47-enquiries",
    "/manuals/children/chapters/section-47-enquiries?release=2024-03",
    "/manuals/children/chapters/section-47-enquiries/history",
    "/manuals/children/chapters/section-47-enquiries/diff?from=2024-03&to=2024-04",
    "/manuals/children/releases",
    "/manuals/children/releases/2024-04",
    "/subscribe",
    "/subscriptions/confirm?token=not-a-token",
    "/unsubscribe?token=not-a-token",
    "/manuals/children/chapters/e-safety",
    "/manuals/children/chapters/no-such-chapter",
    "/accessibility",
];

#[test]
fn every_practitioners_page_passes_axe_on_a_desktop_and_a_phone() {
    let Some(driver) = Driver::start() else {
        return;
    };
    let ws = Workspace::with_sample();
    // A digest, for the page of its "I have read this change" links.
    ws.run(&["subscribers", "add", "kids@example.org", "--confirmed"])
        .ok();
    ws.run(&["digest", "--period", "2024-04"]).ok();
    let letters = crate::workspace::outbox(&ws, 1);
    let (_, read) = crate::reads::read_links(&letters[0]).remove(0);
    let server = Server::start(ws);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = driver.browser().await;
        check_pages(&client, &server.base, PRACTITIONERS_PAGES).await;
        check_pages(&client, &server.base, &[&read, "/acknowledge?token=1.0"]).await;
        client.close().await.unwrap();
    });
}
