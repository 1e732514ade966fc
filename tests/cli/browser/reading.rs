//! A practitioner searches for an acronym, opens the chapter, opens its changes and reads
//! last month's version; an editor publishes through the API and the page shows the new
//! release.

use fantoccini::Locator;

use super::desk::add_editor;
use super::driver::{Driver, arrive, element, fits_the_width, text_with};
use crate::support::{Server, Workspace};

#[test]
fn a_practitioner_finds_reads_compares_and_sees_a_new_release() {
    let Some(driver) = Driver::start() else {
        return;
    };
    let ws = Workspace::with_sample();
    let token = add_editor(&ws, "Pat", "publisher").token;
    let server = Server::start(ws);
    let base = server.base.clone();
    let runtime = tokio::runtime::Runtime::new().unwrap();

    let client = runtime.block_on(async {
        let c = driver.browser().await;
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
