//! The markup limits: the inputs that took the renderer minutes are refused at the line
//! where they go too far, and what procedures are made of passes.

use super::*;

fn refusal(body: &str) -> MarkupError {
    check(body).expect_err("accepted")
}

#[test]
fn a_hundred_thousand_nested_quotes_are_refused_on_their_line() {
    let body = format!("Intro.\n\n{}x\n", "> ".repeat(100_000));
    let e = refusal(&body);
    assert_eq!(e.line, 3);
    assert!(
        e.rule.contains("100000 levels of block quotes"),
        "{}",
        e.rule
    );
    assert!(e.rule.contains("at most 48"), "{}", e.rule);
}

#[test]
fn ninety_thousand_nested_divs_are_refused_on_their_line() {
    let body = format!("Intro.\n\n{}x\n", "<div>".repeat(90_000));
    let e = refusal(&body);
    assert_eq!(e.line, 3);
    assert!(
        e.rule
            .contains("raw HTML elements not yet closed (the last <div>)"),
        "{}",
        e.rule
    );
    // The same, one per line, and inline in a paragraph.
    let e = refusal(&format!("Intro.\n\n{}", "<div>\n".repeat(90_000)));
    assert_eq!(e.line, 3 + MAX_NESTING);
    let e = refusal(&format!("x {}\n", "<span>".repeat(90_000)));
    assert_eq!(e.line, 1);
}

#[test]
fn nesting_by_indentation_and_emphasis_is_counted_too() {
    // A staircase of lists, each item one level deeper: no line alone goes too far.
    let stairs: String = (0..200)
        .map(|k| format!("{}- x\n", "  ".repeat(k)))
        .collect();
    let e = refusal(&stairs);
    assert!(
        e.rule.contains("markup nested 49 levels deep"),
        "{}",
        e.rule
    );
    assert_eq!(e.line, 25, "{}", e.rule);
    let quotes: String = (1..200).map(|k| format!("{} x\n", ">".repeat(k))).collect();
    assert_eq!(refusal(&quotes).line, 49);
    let emphasis = format!("{}x{}\n", "*a _a ".repeat(5000), " a_ a*".repeat(5000));
    assert!(refusal(&emphasis).rule.contains("markup nested 49 levels"));
    let strong = format!(
        "Intro.\n\n{}x{}\n",
        "**a ~~a ".repeat(5000),
        " a~~ a**".repeat(5000)
    );
    assert_eq!(refusal(&strong).line, 3);
    // Links do not nest in Markdown: brackets alone are text.
    let links = format!(
        "{}x{}\n",
        "[a ".repeat(5000),
        "](https://a.example)".repeat(5000)
    );
    assert!(check(&links).is_ok());
}

#[test]
fn lists_nested_on_one_line_are_refused_before_parsing() {
    let e = check_line_starts(&format!("a\n{}x\n", "- ".repeat(500_000))).unwrap_err();
    assert_eq!(e.line, 2);
    assert!(e.rule.contains("1000000 levels"), "{}", e.rule);
    let e = check_line_starts(&format!("{}x\n", "1. > ".repeat(100))).unwrap_err();
    assert!(e.rule.contains("300 levels"), "{}", e.rule);
}

#[test]
fn rules_code_and_fences_are_not_nesting() {
    let rule = format!("{}\n", "- ".repeat(1000));
    assert!(check(&rule).is_ok());
    assert!(check(&format!("{}\n", "* ".repeat(1000))).is_ok());
    assert!(check(&format!("    {}\n", "> ".repeat(1000))).is_ok());
    let fenced = format!("```\n{}\n```\n\nAfter.\n", "> ".repeat(1000));
    assert!(check(&fenced).is_ok());
}

#[test]
fn more_elements_than_the_limit_are_refused() {
    // The list and its items: the last item is one too many.
    let body = "- x\n".repeat(MAX_ELEMENTS);
    let e = refusal(&body);
    assert!(e.rule.contains("more than 50000 elements"), "{}", e.rule);
    assert_eq!(e.line, MAX_ELEMENTS);
    let mut table = String::from("|a|b|\n|-|-|\n");
    table.push_str(&"|x|y|\n".repeat(MAX_ELEMENTS / 3 + 1));
    assert!(refusal(&table).rule.contains("elements"));
    assert!(
        refusal(&"<br>".repeat(MAX_ELEMENTS + 1))
            .rule
            .contains("elements")
    );
}

#[test]
fn text_cut_into_too_many_runs_is_refused() {
    let lines = "a\n".repeat(MAX_TEXT_RUNS / 2 + 1);
    let e = refusal(&lines);
    assert!(
        e.rule.contains("cut into more than 200000 runs"),
        "{}",
        e.rule
    );
    assert_eq!(e.line, MAX_TEXT_RUNS / 2 + 1);
    assert!(check(&format!("{}\n", "\\*".repeat(MAX_TEXT_RUNS + 1))).is_err());
    // Long lines of prose are few runs, however long the chapter.
    let prose = "Practitioners must share information without delay.\n".repeat(20_000);
    assert!(check(&prose).is_ok());
}

#[test]
fn floods_of_characters_html_escapes_are_refused() {
    let e = refusal(&format!("Intro.\n\n{}\n", "<&\"".repeat(MAX_ESCAPES)));
    assert!(
        e.rule
            .contains("more than 50000 characters that HTML writes as references")
    );
    assert_eq!(e.line, 3);
    assert!(check(&format!("{}\n", "&amp;&lt;".repeat(MAX_ESCAPES / 2 + 1))).is_err());
    let alt = format!("![{}](x.png)\n", "\"".repeat(MAX_ESCAPES + 1));
    assert!(check(&alt).is_err());
    let url = format!(
        "[a]: https://a.example/?{}\n\n{}",
        "&".repeat(1000),
        "[a] ".repeat(100)
    );
    assert!(check(&url).is_err());
    // Prose quotes and apostrophes are no references.
    assert!(check(&"The child's \"own words\" & more. ".repeat(10_000)).is_ok());
}

#[test]
fn a_tag_with_too_many_attributes_is_refused() {
    let attributes: String = (0..100_000).map(|k| format!(" a{k}")).collect();
    let e = refusal(&format!("x <span{attributes}>\n"));
    assert!(
        e.rule.contains("<span> tag with more than 64 attributes"),
        "{}",
        e.rule
    );
    // A block's tag spread over many lines is one tag.
    let lines: String = (0..1000).map(|k| format!("a{k}\n")).collect();
    let e = refusal(&format!("<div\n{lines}>\n"));
    assert!(e.rule.contains("<div> tag"), "{}", e.rule);
    // Words in a quoted value are one attribute.
    let title = "word ".repeat(500);
    assert!(check(&format!("x <abbr title=\"{title}\">A</abbr>\n")).is_ok());
}

#[test]
fn balanced_html_voids_and_comments_do_not_nest() {
    let balanced = "<div><span>x</span></div>\n\n".repeat(1000);
    assert!(check(&balanced).is_ok());
    let voids = format!("x {}\n", "<br><img src=x><hr>".repeat(1000));
    assert!(check(&voids).is_ok());
    let items = format!("<ul>{}</ul>\n", "<li>x".repeat(1000));
    assert!(check(&items).is_ok());
    let comment = format!("<!-- {} -->\n", "<div>".repeat(1000));
    assert!(check(&comment).is_ok());
}

#[test]
fn procedures_as_written_pass() {
    let body = "Intro with **bold**, _emphasis_ and [a link](https://www.gov.uk).\n\n\
        ## 1. Scope\n\n\
        > Note: see [the guidance](https://www.gov.uk/x).\n\n\
        1. First\n   - a\n     - b\n       - c\n         - d **with _nested_ emphasis** and `code`\n\
        2. Second\n\n\
        | Agency | Contact |\n|---|---|\n| Police | 101 |\n\n\
        <details><summary>More</summary>\n\nText.\n\n</details>\n\n\
        ---\n\n```\n> > > quoted in code\n```\n";
    assert_eq!(check(body), Ok(()));
}
