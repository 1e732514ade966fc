//! Long notices: a window of a notice's entries (one page of it), and the one-line count
//! that stands for a notice too long to list (a big manual's first release).

use super::Notice;
use crate::diff::ReleaseDiff;

/// Notices reporting more chapters than this are summarised in one line where many are
/// shown together (the home page, digests) rather than listed.
pub const LISTED_AT_MOST: usize = 100;

impl Notice {
    /// How many chapters the notice reports.
    pub fn len(&self) -> usize {
        self.diff.updated.len() + self.diff.added.len() + self.diff.removed.len()
    }

    /// True when no chapter is reported.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when the notice is too long to list among others.
    pub fn is_long(&self) -> bool {
        self.len() > LISTED_AT_MOST
    }

    /// The notice's entries from the `skip`-th, at most `take` of them, in the order they
    /// are printed (updated, then new, then removed chapters), with their notes.
    pub fn window(&self, skip: usize, take: usize) -> Notice {
        fn part<T: Clone>(items: &[T], skip: &mut usize, take: &mut usize) -> Vec<T> {
            let start = (*skip).min(items.len());
            let end = start + (*take).min(items.len() - start);
            *skip -= start;
            *take -= end - start;
            items[start..end].to_vec()
        }
        let (mut skip, mut take) = (skip, take);
        let diff = ReleaseDiff {
            updated: part(&self.diff.updated, &mut skip, &mut take),
            added: part(&self.diff.added, &mut skip, &mut take),
            removed: part(&self.diff.removed, &mut skip, &mut take),
        };
        let ids = diff
            .updated
            .iter()
            .map(|c| &c.id)
            .chain(diff.added.iter().map(|c| &c.id));
        let notes = ids
            .filter_map(|id| Some((id.clone(), self.notes.get(id)?.clone())))
            .collect();
        Notice {
            manual: self.manual.clone(),
            manual_title: self.manual_title.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            diff,
            notes,
        }
    }

    /// What the notice reports, counted: "60,000 chapters published" for a first
    /// release, else "1,204 chapters updated, 3 new and 1 removed".
    pub fn counts(&self) -> String {
        let (updated, added, removed) = (
            self.diff.updated.len(),
            self.diff.added.len(),
            self.diff.removed.len(),
        );
        if self.from.is_none() {
            return format!("{} published", chapters(added));
        }
        let mut parts = Vec::new();
        if updated > 0 {
            parts.push(format!("{} updated", chapters(updated)));
        }
        if added > 0 {
            parts.push(match parts.is_empty() {
                true if added == 1 => "1 new chapter".to_owned(),
                true => format!("{} new chapters", thousands(added)),
                false => format!("{} new", thousands(added)),
            });
        }
        if removed > 0 {
            parts.push(match parts.is_empty() {
                true => format!("{} removed", chapters(removed)),
                false => format!("{} removed", thousands(removed)),
            });
        }
        match parts.as_slice() {
            [] => "No chapters changed".to_owned(),
            [one] => one.clone(),
            [first @ .., last] => format!("{} and {last}", first.join(", ")),
        }
    }
}

/// "1 chapter", "60,000 chapters".
fn chapters(n: usize) -> String {
    if n == 1 {
        "1 chapter".to_owned()
    } else {
        format!("{} chapters", thousands(n))
    }
}

/// A count with thousands separated: 60000 -> "60,000".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::ChapterKind;
    use crate::diff::{NewChapter, RemovedChapter};
    use crate::notice::ReleaseRef;

    fn notice(added: usize, removed: usize, first: bool) -> Notice {
        let new = |i: usize| NewChapter {
            id: format!("new-{i:05}").parse().unwrap(),
            title: format!("New {i}"),
            kind: ChapterKind::Chapter,
        };
        let gone = |i: usize| RemovedChapter {
            id: format!("old-{i:05}").parse().unwrap(),
            title: format!("Old {i}"),
            kind: ChapterKind::Chapter,
        };
        let release = |name: &str| ReleaseRef {
            name: name.parse().unwrap(),
            date: chrono::NaiveDate::from_ymd_opt(2024, 4, 2).unwrap(),
        };
        Notice {
            manual: "children".parse().unwrap(),
            manual_title: "Children".into(),
            from: (!first).then(|| release("2024-03")),
            to: release("2024-04"),
            diff: ReleaseDiff {
                updated: Vec::new(),
                added: (0..added).map(new).collect(),
                removed: (0..removed).map(gone).collect(),
            },
            notes: [("new-00003".parse().unwrap(), "Read this.".to_owned())].into(),
        }
    }

    #[test]
    fn windows_run_through_the_groups_in_printed_order() {
        let n = notice(5, 3, false);
        let w = n.window(3, 4);
        let ids: Vec<_> = w.diff.added.iter().map(|c| c.id.to_string()).collect();
        assert_eq!(ids, ["new-00003", "new-00004"]);
        assert_eq!(w.diff.removed.len(), 2);
        assert_eq!(
            w.notes.len(),
            1,
            "the note of a chapter in the window goes with it"
        );
        assert!(n.window(5, 10).notes.is_empty());
        assert_eq!(n.window(7, 10).len(), 1);
        assert!(n.window(8, 10).is_empty());
        assert!(n.window(100, 10).is_empty());
        let all: usize = (0..8).map(|i| n.window(i, 1).len()).sum();
        assert_eq!(all, n.len());
    }

    #[test]
    fn counts_read_as_a_newsletter_line() {
        assert_eq!(
            notice(60_000, 0, true).counts(),
            "60,000 chapters published"
        );
        assert_eq!(notice(1, 0, true).counts(), "1 chapter published");
        assert_eq!(
            notice(1204, 1, false).counts(),
            "1,204 new chapters and 1 removed"
        );
        assert_eq!(notice(0, 2, false).counts(), "2 chapters removed");
        assert_eq!(notice(0, 0, false).counts(), "No chapters changed");
        assert!(notice(LISTED_AT_MOST + 1, 0, true).is_long());
        assert!(!notice(LISTED_AT_MOST, 0, true).is_long());
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
