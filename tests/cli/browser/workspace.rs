//! Editors at work in real browsers (SPEC §7a), over the bundled sample: one edits a chapter
//! with a preview and its redline; a colleague who opened it earlier saves from her stale
//! page, gets the conflict page and loses nothing; the release is proposed by an editor
//! (who may not approve it) and approved and published by a publisher; practitioners then
//! read it everywhere. Forms without the session's CSRF token change nothing.

use fantoccini::{Client, Locator};

use super::desk::{
    Editor, Session, add_editor, commits, draft, fetch, follow, marked, paste, press, retype,
    sign_in, status, type_after, value,
};
use super::driver::{Driver, arrive, element, eventually, text_with};
use crate::support::{Server, Workspace};

const CHAPTER: &str = "section-47-enquiries";
const TITLE: &str = "Child Protection Enquiries - Section 47 Children Act 1989";
const EDIT: &str = "/edit/manuals/children/chapters/section-47-enquiries";
const RELEASE: &str = "/edit/manuals/children/release";
const EVES_SECTION: &str = "\n\n## 14. Brightwater escalation\n\nThe Brightwater escalation \
    protocol applies when no strategy discussion can be held within one working day.";
const SAMS_SECTION: &str = "\n\n## 15. Kestrel contacts\n\nKestrel contacts are recorded on \
    the child's file the same day.";
const NOTE: &str = "Section 14 sets out the Brightwater escalation protocol.";

/// The editors and their browsers (separate sessions, separate cookies).
struct Office<'a> {
    server: &'a Server,
    eve: Editor,
    sam: Editor,
    pat: Editor,
}

#[test]
fn editors_edit_settle_a_conflict_and_publish_a_reviewed_release_in_browsers() {
    let Some(driver) = Driver::start() else {
        return;
    };
    let ws = Workspace::with_sample();
    let eve = add_editor(&ws, "Eve", "editor");
    let sam = add_editor(&ws, "Sam", "editor");
    let pat = add_editor(&ws, "Pat", "publisher");
    let server = Server::start(ws);
    let office = Office {
        server: &server,
        eve,
        sam,
        pat,
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let eves = driver.browser().await;
        let sams = driver.browser().await;
        office.eve_opens_the_chapter(&eves).await;
        let sams_base = office.sam_opens_the_chapter_too(&sams).await;
        office.eve_previews_and_saves(&eves).await;
        office
            .sam_saves_from_her_stale_page(&sams, &sams_base)
            .await;
        sams.close().await.unwrap();
        let name = office.eve_proposes_and_cannot_approve(&eves).await;
        let pats = driver.browser().await;
        office.pat_approves_and_publishes(&pats, &name).await;
        pats.close().await.unwrap();
        let reader = driver.browser().await;
        office.practitioners_read_the_release(&reader, &name).await;
        reader.close().await.unwrap();
        office.forms_without_the_token_change_nothing(&eves).await;
        eves.close().await.unwrap();
    });
}

impl Office<'_> {
    fn base(&self) -> &str {
        &self.server.base
    }

    /// From the workspace's front page, through the manual, to the chapter's form.
    async fn eve_opens_the_chapter(&self, c: &Client) {
        sign_in(c, self.base(), &self.eve).await;
        follow(
            c,
            "Safeguarding Children Procedures",
            "/edit/manuals/children",
        )
        .await;
        follow(c, TITLE, EDIT).await;
        text_with(c, "h1", &format!("Edit: {TITLE}")).await;
        assert_eq!(value(c, "title").await, TITLE);
        assert!(
            value(c, "body")
                .await
                .contains("## 13. National multi-agency")
        );
    }

    /// Sam opens the same chapter before Eve saves; returns the revision her page holds.
    async fn sam_opens_the_chapter_too(&self, c: &Client) -> String {
        sign_in(c, self.base(), &self.sam).await;
        c.goto(&format!("{}{EDIT}", self.base())).await.unwrap();
        text_with(c, "h1", "Edit: ").await;
        let base = value(c, "base").await;
        assert!(!base.is_empty(), "the form has no base revision");
        base
    }

    async fn eve_previews_and_saves(&self, c: &Client) {
        type_after(c, "body", EVES_SECTION).await;
        press(c, "preview").await;
        assert_eq!(status(c).await, 200);
        text_with(c, ".preview h2#preview-h", "Preview").await;
        element(
            c,
            Locator::XPath("//*[@class='preview']//h2[contains(., '14. Brightwater escalation')]"),
        )
        .await;
        text_with(
            c,
            ".preview .body",
            "Brightwater escalation protocol applies",
        )
        .await;
        let inserted = marked(c, ".redline ins", "protocol applies").await;
        assert!(inserted.contains("Brightwater"), "{inserted}");
        assert!(
            value(c, "body")
                .await
                .contains("## 14. Brightwater escalation"),
            "the preview lost the text being edited"
        );

        let before = commits(&self.server.ws);
        press(c, "save").await;
        arrive(c, "?saved=1").await;
        text_with(c, ".notice", "Saved.").await;
        let after = commits(&self.server.ws);
        assert_eq!(after.len(), before.len() + 1, "one save, one commit");
        assert!(
            after[0].starts_with("Eve|"),
            "authored by the editor: {after:?}"
        );
        assert!(
            value(c, "body")
                .await
                .contains("Brightwater escalation protocol")
        );
        assert!(
            draft(self.server, &self.eve, CHAPTER)
                .0
                .contains("Brightwater")
        );
    }

    /// Sam saves over Eve's save from the page she opened before it: the conflict page keeps
    /// her text and shows Eve's; she brings Eve's section in and saves again.
    async fn sam_saves_from_her_stale_page(&self, c: &Client, stale_base: &str) {
        type_after(c, "body", SAMS_SECTION).await;
        press(c, "save").await;
        assert_eq!(status(c).await, 409, "a stale save is a conflict");
        text_with(c, ".notice", "saved this chapter after you opened it").await;
        text_with(c, "#theirs-h", "Your colleague's version").await;
        text_with(c, "pre.theirs", "Brightwater escalation protocol").await;
        marked(c, ".conflict .diff del", "Brightwater escalation").await;
        marked(c, ".conflict .diff ins", "Kestrel contacts").await;
        let mine = value(c, "body").await;
        assert!(mine.contains("## 15. Kestrel contacts"), "her text is kept");
        assert!(!mine.contains("Brightwater"), "her text is hers alone");
        let base = value(c, "base").await;
        assert_ne!(
            base, stale_base,
            "the form is now based on the colleague's save"
        );
        let sams_commits = commits(&self.server.ws);
        assert!(sams_commits[0].starts_with("Eve|"), "nothing was saved");

        let theirs = element(c, Locator::Css("pre.theirs"))
            .await
            .prop("textContent")
            .await
            .unwrap()
            .unwrap();
        paste(c, "body", &format!("{}{SAMS_SECTION}\n", theirs.trim_end())).await;
        press(c, "save").await;
        arrive(c, "?saved=1").await;
        text_with(c, ".notice", "Saved.").await;
        let log = commits(&self.server.ws);
        assert_eq!(log.len(), sams_commits.len() + 1);
        assert!(
            log[0].starts_with("Sam|") && log[1].starts_with("Eve|"),
            "{log:?}"
        );
        let (text, _) = draft(self.server, &self.sam, CHAPTER);
        assert!(text.contains("## 14. Brightwater escalation"), "{text}");
        assert!(text.contains("## 15. Kestrel contacts"), "{text}");
    }

    /// Eve proposes the release with a note; she is offered no approval, and a forged one
    /// is refused.
    async fn eve_proposes_and_cannot_approve(&self, c: &Client) -> String {
        c.goto(&format!("{}/edit/manuals/children", self.base()))
            .await
            .unwrap();
        follow(c, "Review and publish the next release", RELEASE).await;
        text_with(c, ".release-form", TITLE).await;
        retype(c, &format!("note.{CHAPTER}"), NOTE).await;
        let name = value(c, "name").await;
        assert!(!name.is_empty(), "the release has a name to start from");
        assert!(no_button(c, "approve").await && no_button(c, "publish").await);
        press(c, "propose").await;
        arrive(c, "done=proposed").await;
        text_with(c, ".proposal", &format!("Release {name} is proposed")).await;
        text_with(c, ".proposal", "Proposed by Eve").await;
        text_with(c, ".note-fixed", NOTE).await;
        assert!(
            no_button(c, "approve").await,
            "an editor is offered Approve"
        );
        assert!(
            no_button(c, "publish").await,
            "an editor is offered Publish"
        );
        element(c, Locator::Css("button[value=withdraw]")).await;

        let session = Session::of(c).await;
        let forged = session.post(
            self.server,
            RELEASE,
            &[("csrf", &session.csrf), ("action", "approve")],
        );
        assert_eq!(forged.status, 403, "{}", forged.body);
        let forged = session.post(
            self.server,
            RELEASE,
            &[("csrf", &session.csrf), ("action", "publish")],
        );
        assert_eq!(forged.status, 403, "{}", forged.body);
        c.refresh().await.unwrap();
        text_with(c, ".proposal", "Approvals: 0 of 1").await;
        name
    }

    async fn pat_approves_and_publishes(&self, c: &Client, name: &str) {
        sign_in(c, self.base(), &self.pat).await;
        follow(c, &format!("Release {name} proposed by Eve"), RELEASE).await;
        text_with(c, ".note-fixed", NOTE).await;
        assert!(
            no_button(c, "publish").await,
            "publishing needs an approval first"
        );
        press(c, "approve").await;
        arrive(c, "done=approved").await;
        text_with(c, ".proposal", "Approved by Pat").await;
        press(c, "publish").await;
        arrive(c, "done=published").await;
        text_with(c, ".notice", "The release is published.").await;
    }

    async fn practitioners_read_the_release(&self, c: &Client, name: &str) {
        let base = self.base();
        c.goto(&format!("{base}/manuals/children/chapters/{CHAPTER}"))
            .await
            .unwrap();
        text_with(c, "article .meta", &format!("Current as of release {name}")).await;
        text_with(c, ".toc", "14. Brightwater escalation").await;
        text_with(c, ".toc", "15. Kestrel contacts").await;
        text_with(
            c,
            "article .body",
            "Brightwater escalation protocol applies",
        )
        .await;

        c.goto(&format!("{base}/manuals/children/releases/{name}"))
            .await
            .unwrap();
        text_with(c, "main", TITLE).await;
        text_with(c, "main", NOTE).await;

        let feed = fetch(self.server, "/manuals/children/feed.atom", &[]);
        assert_eq!(feed.status, 200);
        assert!(
            feed.body
                .contains(&format!("/manuals/children/releases/{name}")),
            "{}",
            feed.body
        );

        let search = format!("{base}/search?q=Brightwater");
        eventually("search to find the new words", async || {
            c.goto(&search).await.map_err(|e| e.to_string())?;
            let main = c
                .find(Locator::Css("main"))
                .await
                .map_err(|e| e.to_string())?;
            let text = main.text().await.map_err(|e| e.to_string())?;
            if text.contains(TITLE) {
                Ok(())
            } else {
                Err(text)
            }
        })
        .await;

        let releases = fetch(self.server, "/api/v1/manuals/children/releases", &[]).json();
        let entry = releases
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no release {name} in {releases}"));
        assert_eq!(entry["proposed_by"], "Eve", "{entry}");
        assert_eq!(entry["approved_by"], serde_json::json!(["Pat"]), "{entry}");
        assert_eq!(entry["published_by"], "Pat", "{entry}");
        assert_eq!(entry["notes"][CHAPTER], NOTE, "{entry}");
    }

    /// A save, a release step and signing out, each without the right token: 403, and the
    /// chapter, the store and the session stay as they were.
    async fn forms_without_the_token_change_nothing(&self, c: &Client) {
        c.goto(&format!("{}{EDIT}", self.base())).await.unwrap();
        let session = Session::of(c).await;
        let base = value(c, "base").await;
        let before = (
            draft(self.server, &self.eve, CHAPTER),
            commits(&self.server.ws),
        );
        let save = [
            ("title", TITLE),
            ("body", "Overwritten by a forged form."),
            ("base", base.as_str()),
            ("action", "save"),
        ];
        for csrf in [None, Some(""), Some("not-the-token")] {
            let mut fields = save.to_vec();
            fields.extend(csrf.map(|t| ("csrf", t)));
            let answer = session.post(self.server, EDIT, &fields);
            assert_eq!(answer.status, 403, "csrf {csrf:?}: {}", answer.body);
        }
        let release = session.post(
            self.server,
            RELEASE,
            &[("action", "propose"), ("name", "x")],
        );
        assert_eq!(release.status, 403, "{}", release.body);
        let signout = session.post(self.server, "/signout", &[]);
        assert_eq!(signout.status, 403, "{}", signout.body);
        let after = (
            draft(self.server, &self.eve, CHAPTER),
            commits(&self.server.ws),
        );
        assert_eq!(after, before, "a refused form changed something");
        c.refresh().await.unwrap();
        text_with(c, ".desk .who", "Signed in as Eve").await;
        assert!(!value(c, "body").await.contains("forged"));
    }
}

/// True when the page offers no button `action=value`.
async fn no_button(c: &Client, value: &str) -> bool {
    element(c, Locator::Css("footer")).await;
    c.find_all(Locator::Css(&format!("button[name=action][value={value}]")))
        .await
        .unwrap()
        .is_empty()
}
