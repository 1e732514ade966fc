//! axe-core on every page type of the editors' workspace, signed in, over the bundled
//! sample: the lists, a chapter's form and what its buttons answer (a preview, a refusal, a
//! conflict), the new-chapter form, the delete confirmation, the release page before and
//! after a proposal, the activity, reviews and reads pages, and the sign-in page signed out.

use fantoccini::{Client, Locator};

use super::axe::{check_current, check_pages};
use super::desk::{Editor, add_editor, draft, press, retype, sign_in, status, type_after};
use super::driver::{Driver, arrive, element, text_with};
use crate::support::{Server, Workspace};

const EDIT: &str = "/edit/manuals/children/chapters/section-47-enquiries";

#[test]
fn every_editors_page_passes_axe_on_a_desktop_and_a_phone() {
    let Some(driver) = Driver::start() else {
        return;
    };
    let ws = Workspace::with_sample();
    let eve = add_editor(&ws, "Eve", "editor");
    let sam = add_editor(&ws, "Sam", "editor");
    let server = Server::start(ws);
    let base = server.base.as_str();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let c = driver.browser().await;
        sign_in(&c, base, &eve).await;
        answers_to_the_chapter_form(&c, &server, &sam).await;
        check_pages(
            &c,
            base,
            &[
                "/edit",
                "/edit/manuals/children",
                "/edit/manuals/children?section=Child+protection+processes",
                EDIT,
                &format!("{EDIT}?saved=1"),
                "/edit/manuals/children/chapters/e-safety",
                "/edit/manuals/children/chapters/new",
                &format!("{EDIT}/delete"),
                "/edit/manuals/children/release",
                "/edit/manuals/children/activity",
                "/edit/manuals/children/reviews",
                "/edit/manuals/children/reads",
                "/edit/manuals/children/reads/2024-04",
                "/edit/manuals/children/chapters/no-such-chapter",
            ],
        )
        .await;

        c.goto(&format!("{base}/edit/manuals/children/release"))
            .await
            .unwrap();
        press(&c, "propose").await;
        arrive(&c, "done=proposed").await;
        check_pages(
            &c,
            base,
            &[
                "/edit/manuals/children/release?done=proposed",
                "/edit/manuals/children",
            ],
        )
        .await;

        c.goto(&format!("{base}/edit")).await.unwrap();
        element(&c, Locator::Css(".desk button"))
            .await
            .click()
            .await
            .unwrap();
        arrive(&c, "/signin").await;
        text_with(&c, "h1", "Sign in").await;
        check_pages(&c, base, &["/signin", "/signin?token=not-a-token", "/edit"]).await;
        c.close().await.unwrap();
    });
}

/// The pages a chapter form's buttons answer with, each checked where it stands: the
/// preview, a refusal of what was typed (422) and a conflict with a colleague (409). Leaves
/// the chapter changed in the draft, so that the release page has something to propose.
async fn answers_to_the_chapter_form(c: &Client, server: &Server, colleague: &Editor) {
    c.goto(&format!("{}{EDIT}", server.base)).await.unwrap();
    press(c, "preview").await;
    text_with(
        c,
        ".redline",
        "The text reads as it did in release 2024-04.",
    )
    .await;
    type_after(
        c,
        "body",
        "\n\n## 14. Checked pages\n\nEvery page type is checked with axe-core.",
    )
    .await;
    press(c, "preview").await;
    text_with(c, ".redline", "Checked pages").await;
    check_current(c, "a chapter's preview").await;

    // The browser would not send a malformed date: the server's answer is what is checked.
    c.execute(
        "document.querySelector('form.chapter-form').noValidate = true;",
        vec![],
    )
    .await
    .unwrap();
    retype(c, "review_due", "30/09/2025").await;
    press(c, "preview").await;
    assert_eq!(status(c).await, 422);
    text_with(c, ".error-summary", "Nothing was saved").await;
    check_current(c, "a refused chapter form").await;

    retype(c, "review_due", "").await;
    press(c, "save").await;
    arrive(c, "?saved=1").await;

    type_after(c, "body", "\n\nA sentence the colleague never saw.").await;
    colleague_saves(server, colleague);
    press(c, "save").await;
    assert_eq!(status(c).await, 409);
    text_with(c, "#theirs-h", "Your colleague's version").await;
    check_current(c, "a conflict with a colleague's save").await;
}

/// A colleague saves the chapter through the API (the browser's page is then stale).
fn colleague_saves(server: &Server, colleague: &Editor) {
    let (markdown, revision) = draft(server, colleague, "section-47-enquiries");
    let text = format!(
        "+++\ntitle = \"Child Protection Enquiries - Section 47 Children Act 1989\"\n+++\n\
         {markdown}\nA colleague's sentence.\n"
    );
    let auth = format!("Bearer {}", colleague.token);
    let put = tokio::task::block_in_place(|| {
        server.send(
            "PUT",
            "/api/v1/manuals/children/chapters/section-47-enquiries",
            &[("authorization", &auth), ("if-match", &revision)],
            text,
        )
    });
    assert_eq!(put.status, 200, "{}", put.body);
}
