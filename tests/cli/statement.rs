//! What pages say of themselves: the accessibility statement from config, and the stamp a
//! printed chapter carries (SPEC §7).

use crate::support::{Server, Workspace};

#[test]
fn the_accessibility_statement_comes_from_config_and_every_page_links_it() {
    let server = Server::start(Workspace::with_sample_and(
        "\n[accessibility]\ncontact = \"access@partnership.example.org\"\nphone = \"0300 123 4567\"\n\
         prepared = \"2026-11-01\"\nlast_tested = \"2026-11-12, by the digital team\"\n\
         enforcement = \"northern-ireland\"\n",
    ));
    let page = server.fetch("/accessibility", &[]);
    assert_eq!(page.status, 200);
    for needle in [
        "mailto:access@partnership.example.org",
        "or call 0300 123 4567",
        "prepared on 2026-11-01",
        "last tested on 2026-11-12, by the digital team",
        "Equality Commission for Northern Ireland",
        "axe-core",
    ] {
        assert!(page.body.contains(needle), "{needle}");
    }
    assert!(!page.body.contains("EASS"));
    for path in ["/", "/manuals/children", "/search?q=lado", "/subscribe"] {
        let body = server.fetch(path, &[]).body;
        assert!(
            body.contains("<a href=\"/accessibility\">Accessibility statement</a>"),
            "{path}"
        );
    }

    let plain = Server::start(Workspace::with_sample());
    let page = plain.fetch("/accessibility", &[]).body;
    assert!(page.contains("Equality Advisory and Support Service (EASS)"));
    assert!(!page.contains("or call"));
}

#[test]
fn a_printed_chapter_is_stamped_with_its_release_the_date_and_where_to_check() {
    let server = Server::start(Workspace::with_sample_and(
        "\n[clock]\nnow = \"2026-12-01\"\n",
    ));
    let path = "/manuals/children/chapters/section-47-enquiries";
    let page = server.fetch(path, &[]).body;
    let stamp = page
        .split("<div class=\"print-stamp\"")
        .nth(1)
        .and_then(|rest| rest.split("</div>").next())
        .unwrap_or_else(|| panic!("no print stamp: {page}"));
    for needle in [
        "Safeguarding Children Procedures",
        "release 2024-04",
        "current as of 1 December 2026, when this copy was printed",
        "check for a later version at https://procedures.example.org/manuals/children/chapters/section-47-enquiries",
    ] {
        assert!(stamp.contains(needle), "{needle} in {stamp}");
    }
    // On screen only with ?print=1 (the print stylesheet shows it on paper).
    assert!(
        server
            .fetch(&format!("{path}?print=1"), &[])
            .body
            .contains("class=\"print-stamp shown\"")
    );
    let past = server.fetch(&format!("{path}?release=2024-03"), &[]).body;
    assert!(
        past.contains("a past version, printed 1 December 2026"),
        "{past}"
    );
}
