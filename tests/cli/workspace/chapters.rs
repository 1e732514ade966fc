//! The workspace's chapter forms (SPEC §7a): preview, save, a colleague's edit kept in a
//! conflict, and chapters added with an id and deleted with a confirmation.

use super::*;

#[test]
fn the_chapter_form_previews_saves_and_keeps_a_colleagues_edit() {
    let ws = Workspace::with_sample();
    let (_, sam) = add_editor(&ws, "Sam", "editor");
    let (_, kim) = add_editor(&ws, "Kim", "editor");
    let server = Server::start(ws);
    let sam = Desk::sign_in(&server, &sam);
    let kim = Desk::sign_in(&server, &kim);
    let form = sam.get(CHAPTER);
    assert_eq!(form.status, 200);
    let kims_page = kim.get(CHAPTER).body;
    let (csrf, base, body) = (
        input(&form.body, "csrf"),
        input(&form.body, "base"),
        textarea(&form.body, "body"),
    );
    let title = input(&form.body, "title");
    let edited = format!(
        "{body}\r\n\r\n## 14. Working with interpreters\r\n\r\nBook an interpreter before the visit.\r\n"
    );
    let fields = |action: &'static str, base: &str, text: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("base", base.to_owned()),
            ("title", title.clone()),
            ("section", "Child protection processes".to_owned()),
            ("tags", "section 47, enquiries".to_owned()),
            ("review_due", "2027-03-31".to_owned()),
            ("body", text.to_owned()),
            ("action", action.to_owned()),
        ]
    };
    let send = |desk: &Desk, fields: Vec<(&str, String)>| {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        desk.post(CHAPTER, &pairs)
    };
    let before = commits(&server.ws).len();
    let preview = send(&sam, fields("preview", &base, &edited));
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(
        preview.body.contains("Working with interpreters</h2>"),
        "rendered"
    );
    assert!(preview.body.contains("<ins>"), "redline");
    assert_eq!(
        commits(&server.ws).len(),
        before,
        "a preview writes nothing"
    );

    let saved = send(&sam, fields("save", &base, &edited));
    assert_eq!(saved.status, 303);
    assert!(saved.header("location").starts_with(CHAPTER));
    let log = commits(&server.ws);
    assert_eq!(log.len(), before + 1);
    assert_eq!(log[0], "Sam|Edit children/section-47-enquiries");

    // Kim saves from the page she opened before Sam saved.
    let kim_base = input(&kims_page, "base");
    let kim_csrf = input(&kims_page, "csrf");
    let kims_text = format!("{body}\r\n\r\n## 15. Kim's section\r\n\r\nKim's words.");
    let mut kim_fields = fields("save", &kim_base, &kims_text);
    kim_fields[0].1 = kim_csrf;
    let conflict = send(&kim, kim_fields.clone());
    assert_eq!(conflict.status, 409);
    assert!(
        textarea(&conflict.body, "body").contains("Kim's words."),
        "her text is kept"
    );
    let new_base = input(&conflict.body, "base");
    assert_ne!(new_base, kim_base);
    assert!(
        conflict.body.contains("Your colleague's version")
            && conflict.body.contains("Book an interpreter")
    );
    assert_eq!(commits(&server.ws).len(), before + 1, "nothing written");
    kim_fields[1].1 = new_base;
    assert_eq!(send(&kim, kim_fields).status, 303);
    let draft = kim.get(CHAPTER).body;
    assert!(textarea(&draft, "body").contains("Kim's words."));
    assert_eq!(
        commits(&server.ws)[0],
        "Kim|Edit children/section-47-enquiries"
    );

    // Bad input comes back on the form with the reason, and writes nothing.
    let base = input(&draft, "base");
    let count = commits(&server.ws).len();
    let mut bad = fields("save", &base, "Text.");
    bad[5].1 = "31/03/2027".into();
    let answer = send(&sam, bad);
    assert_eq!(answer.status, 422);
    assert!(answer.body.contains("YYYY-MM-DD") && answer.body.contains(r#"aria-invalid="true""#));
    let mut bad = fields("save", &base, "Text.");
    bad[2].1 = " ".into();
    assert_eq!(send(&sam, bad).status, 422);
    let huge = "word ".repeat(220_000);
    let answer = send(&sam, fields("save", &base, &huge));
    assert_eq!(
        answer.status,
        422,
        "{}",
        &answer.body[..200.min(answer.body.len())]
    );
    assert!(answer.body.contains("at most"));
    // Without the session's token nothing is done.
    let mut forged = fields("save", &base, "Forged.");
    forged[0].1 = "0".repeat(64);
    assert_eq!(send(&sam, forged).status, 403);
    let mut forged = fields("save", &base, "Forged.");
    forged.remove(0);
    assert_eq!(send(&sam, forged).status, 403);
    assert_eq!(commits(&server.ws).len(), count);
}

#[test]
fn chapters_are_added_with_an_id_and_deleted_with_a_confirmation() {
    let ws = Workspace::with_sample();
    let (_, sam) = add_editor(&ws, "Sam", "editor");
    let server = Server::start(ws);
    let sam = Desk::sign_in(&server, &sam);
    let new = "/edit/manuals/children/chapters/new";
    let page = sam.get(new);
    assert_eq!(page.status, 200);
    let csrf = input(&page.body, "csrf");
    let add = |id: &str, title: &str| {
        sam.post(
            new,
            &[
                ("csrf", &csrf),
                ("id", id),
                ("title", title),
                ("kind", "chapter"),
                ("section", "Practice guidance"),
                ("body", "## 1. About\r\n\r\nInterpreters."),
                ("base", ""),
                ("action", "save"),
            ],
        )
    };
    for (id, why) in [
        ("../etc", "id"),
        ("section-47-enquiries", "already"),
        ("", "id"),
    ] {
        let answer = add(id, "Interpreters");
        assert_eq!(answer.status, 422, "{id}");
        assert!(answer.body.contains(why), "{id}: {why}");
    }
    let made = add("interpreters", "Working with Interpreters");
    assert_eq!(made.status, 303);
    assert_eq!(
        made.header("location"),
        "/edit/manuals/children/chapters/interpreters?saved=1"
    );
    let overview = sam.get("/edit/manuals/children").body;
    assert!(overview.contains("Working with Interpreters") && overview.contains(">New<"));

    let confirm = sam.get("/edit/manuals/children/chapters/interpreters/delete");
    assert_eq!(confirm.status, 200);
    let base = input(&confirm.body, "base");
    let delete = "/edit/manuals/children/chapters/interpreters/delete";
    assert_eq!(
        sam.post(delete, &[("csrf", &csrf), ("base", "stale")])
            .status,
        409
    );
    assert_eq!(sam.post(delete, &[("base", &base)]).status, 403);
    let gone = sam.post(delete, &[("csrf", &csrf), ("base", &base)]);
    assert_eq!(gone.status, 303);
    assert_eq!(
        sam.get("/edit/manuals/children/chapters/interpreters")
            .status,
        404
    );
    let activity = sam.get("/edit/manuals/children/activity").body;
    assert!(
        activity.contains("Delete children/interpreters")
            && activity.contains("Add children/interpreters")
    );
}
