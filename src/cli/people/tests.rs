//! The subscribers CSV import's parsing: any bytes give rows or a reason, and each row is
//! numbered by the line it starts on.

use proptest::prelude::*;

use super::*;
use crate::content::ManualId;
use crate::db::normalise_address;
use crate::props::{config, unicode};

/// A CSV field as a mailing-list export might hold it: plain, or quoted with commas,
/// quotes and line breaks inside.
fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z0-9.@ -]{0,20}",
        1 => unicode(12).prop_map(|s| format!("\"{}\"", s.replace('"', "\"\""))),
        1 => Just("\"a,\nb \"\"c\"\"\"".to_owned()),
        1 => Just("children adults".to_owned()),
        1 => Just("immediate".to_owned()),
        1 => Just("someone@example.org".to_owned()),
    ]
}

/// A file: a header naming `email` and maybe other columns, rows with a field for
/// each, blank lines between some; and the line each row starts on.
fn csv_file() -> impl Strategy<Value = (String, Vec<u64>)> {
    let columns = proptest::sample::subsequence(vec!["manuals", "frequency", "notes"], 0..=3)
        .prop_flat_map(|mut c| {
            c.push("email");
            Just(c).prop_shuffle()
        });
    columns
        .prop_flat_map(|columns| {
            let n = columns.len();
            let row = (prop::collection::vec(field(), n), 0usize..3);
            (
                Just(columns),
                prop::collection::vec(row, 0..8),
                any::<bool>(),
            )
        })
        .prop_map(|(columns, rows, crlf)| {
            let end = if crlf { "\r\n" } else { "\n" };
            let mut text = format!("{}{end}", columns.join(","));
            let mut starts = Vec::new();
            for (fields, blank) in rows {
                text.push_str(&end.repeat(blank));
                starts.push(1 + text.matches('\n').count() as u64);
                let line = fields.join(",");
                // An empty line is no row: a row of one empty field is written `""`.
                text.push_str(if line.is_empty() { "\"\"" } else { &line });
                text.push_str(end);
            }
            (text, starts)
        })
}

/// What importing does with a row before the database: the address, the manuals and
/// the frequency, each accepted or refused.
fn check_row(row: &Row) {
    let _ = normalise_address(&row.email);
    let _ = row.frequency.parse::<Frequency>();
    for m in row.manuals.split_whitespace() {
        let _ = m.parse::<ManualId>();
    }
}

// Found by `each_row_is_numbered_by_the_line_it_starts_on`: rows were numbered by
// their count, so a blank line or a quoted line break put every later refusal on
// the wrong line.
#[test]
fn rows_after_blank_lines_and_quoted_line_breaks_keep_their_lines() {
    let lines = |text: &str| -> Vec<u64> {
        let rows = parse_rows("list.csv", text.as_bytes()).unwrap();
        rows.into_iter().map(|(line, _)| line).collect()
    };
    assert_eq!(lines("email\n\n\"\"\n"), [3]);
    assert_eq!(
        lines("email,notes\r\na@b.org,\"two\r\nlines\"\r\n\r\nbad,row,here\r\nc@d.org,\r\n"),
        [2, 5, 6]
    );
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_bytes_give_rows_or_a_reason(bytes in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        unicode(200).prop_map(|s| format!("email,manuals\n{s}").into_bytes()),
    ]) {
        if let Ok(rows) = parse_rows("list.csv", &bytes) {
            let lines = bytes.iter().filter(|b| **b == b'\n').count() as u64 + 1;
            for (line, row) in &rows {
                prop_assert!((2..=lines).contains(line), "line {} of {}", line, lines);
                if let Ok(row) = row {
                    check_row(row);
                }
            }
        }
    }

    #[test]
    fn each_row_is_numbered_by_the_line_it_starts_on((text, starts) in csv_file()) {
        let rows = parse_rows("list.csv", text.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let lines: Vec<u64> = rows.iter().map(|(line, _)| *line).collect();
        prop_assert_eq!(lines, starts, "{}", text);
        for (_, row) in &rows {
            let row = row.as_ref().map_err(|e| TestCaseError::fail(e.clone()))?;
            check_row(row);
        }
    }
}
