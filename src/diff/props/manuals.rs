//! Generated manuals for the release-diff properties: chapters whose bodies are sections
//! of words from a small vocabulary (so that edits keep most of them and renames happen),
//! laid out in many ways, and the changes a later release makes to them.

use proptest::prelude::*;
use proptest::sample::{Index, select};

use crate::content::{Chapter, ChapterKind};

pub(super) const WORDS: &[&str] = &[
    "child", "risk", "police", "health", "strategy", "plan", "review", "school", "family", "harm",
    "record", "share", "assess", "meeting", "referral", "consent", "Neglect", "LADO", "s47",
    "(see", "below)", "must", "should", "the", "a", "of",
];

pub(super) fn words(range: std::ops::Range<usize>) -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(select(WORDS), range)
}

/// A section number as editors write them: "3." or "4.3".
#[derive(Debug, Clone, Copy)]
pub(super) enum Number {
    Whole(u8),
    Dotted(u8, u8),
}

#[derive(Debug, Clone)]
pub(super) struct Section {
    pub(super) number: Number,
    pub(super) heading: Vec<&'static str>,
    pub(super) words: Vec<&'static str>,
}

#[derive(Debug, Clone)]
pub(super) struct Body {
    pub(super) opening: Vec<&'static str>,
    pub(super) sections: Vec<Section>,
}

/// How a body is laid out: none of it changes its words.
#[derive(Debug, Clone)]
pub(super) struct Layout {
    /// Longest line of a paragraph, in characters (at least one word a line).
    pub(super) width: usize,
    /// Blank lines between blocks.
    pub(super) blank: usize,
    /// Spaces between words.
    pub(super) gap: usize,
    pub(super) trailing: bool,
    /// Spaces after `##` and after the number.
    pub(super) heading_gap: usize,
}

pub(super) fn number() -> impl Strategy<Value = Number> {
    prop_oneof![
        (1u8..20).prop_map(Number::Whole),
        (1u8..20, 1u8..10).prop_map(|(a, b)| Number::Dotted(a, b)),
    ]
}

pub(super) fn section() -> impl Strategy<Value = Section> {
    (number(), words(0..4), words(0..30)).prop_map(|(number, heading, words)| Section {
        number,
        heading,
        words,
    })
}

pub(super) fn body() -> impl Strategy<Value = Body> {
    (words(0..15), prop::collection::vec(section(), 0..5))
        .prop_map(|(opening, sections)| Body { opening, sections })
}

pub(super) fn layout() -> impl Strategy<Value = Layout> {
    (1usize..100, 1usize..4, 1usize..3, any::<bool>(), 1usize..3).prop_map(
        |(width, blank, gap, trailing, heading_gap)| Layout {
            width,
            blank,
            gap,
            trailing,
            heading_gap,
        },
    )
}

impl Body {
    fn render(&self, layout: &Layout) -> String {
        let gap = " ".repeat(layout.gap);
        let end = if layout.trailing { "  \n" } else { "\n" };
        let paragraph = |words: &[&str]| {
            let mut out = String::new();
            let mut line = String::new();
            for w in words {
                if !line.is_empty() && line.len() + w.len() > layout.width {
                    out.push_str(&line);
                    out.push_str(end);
                    line.clear();
                }
                if !line.is_empty() {
                    line.push_str(&gap);
                }
                line.push_str(w);
            }
            if !line.is_empty() {
                out.push_str(&line);
                out.push_str(end);
            }
            out
        };
        let mut blocks = vec![paragraph(&self.opening)];
        for s in &self.sections {
            let number = match s.number {
                Number::Whole(n) => format!("{n}."),
                Number::Dotted(a, b) => format!("{a}.{b}"),
            };
            let hg = " ".repeat(layout.heading_gap);
            let heading = std::iter::once(number.as_str())
                .chain(s.heading.iter().copied())
                .collect::<Vec<_>>()
                .join(&hg);
            blocks.push(format!("##{hg}{heading}{end}"));
            blocks.push(paragraph(&s.words));
        }
        blocks.retain(|b| !b.is_empty());
        blocks.join(&"\n".repeat(layout.blank))
    }
}

#[derive(Debug, Clone)]
pub(super) struct Model {
    pub(super) id: String,
    pub(super) title: Vec<&'static str>,
    pub(super) url: Option<&'static str>,
    pub(super) body: Body,
    pub(super) layout: Layout,
}

impl Model {
    pub(super) fn chapter(&self) -> Chapter {
        Chapter {
            id: self.id.parse().unwrap(),
            title: self.title.join(" "),
            kind: if self.url.is_some() {
                ChapterKind::Link
            } else {
                ChapterKind::Chapter
            },
            url: self.url.map(str::to_owned),
            section: None,
            tags: vec![],
            review_due: None,
            owner: None,
            sources: Vec::new(),
            body: self.body.render(&self.layout),
            path: format!("{}.md", self.id),
        }
    }
}

pub(super) const URLS: &[&str] = &["https://www.gov.uk/a", "https://www.gov.uk/b"];

pub(super) fn model(id: String) -> impl Strategy<Value = Model> {
    (
        words(1..5),
        prop::option::weighted(0.2, select(URLS)),
        body(),
        layout(),
    )
        .prop_map(move |(title, url, body, layout)| Model {
            id: id.clone(),
            title,
            url,
            body,
            layout,
        })
}

/// A manual of up to six chapters, ids `a`..`f`.
pub(super) fn manual() -> impl Strategy<Value = Vec<Model>> {
    prop::collection::vec(any::<bool>(), 6).prop_flat_map(|present| {
        present
            .iter()
            .enumerate()
            .filter(|(_, p)| **p)
            .map(|(i, _)| model(((b'a' + i as u8) as char).to_string()))
            .collect::<Vec<_>>()
    })
}

/// A change to one word of a body.
#[derive(Debug, Clone)]
pub(super) enum WordEdit {
    Replace(Index, Index, &'static str),
    Insert(Index, Index, &'static str),
    Delete(Index, Index),
}

impl WordEdit {
    fn apply(&self, body: &mut Body) {
        let mut blocks: Vec<&mut Vec<&'static str>> = std::iter::once(&mut body.opening)
            .chain(body.sections.iter_mut().map(|s| &mut s.words))
            .collect();
        let (Self::Replace(b, _, _) | Self::Insert(b, _, _) | Self::Delete(b, _)) = self;
        let block = &mut **b.get_mut(&mut blocks);
        match *self {
            Self::Replace(_, at, w) if !block.is_empty() => *at.get_mut(block) = w,
            Self::Insert(_, at, w) => block.insert(at.index(block.len() + 1), w),
            Self::Delete(_, at) if !block.is_empty() => drop(block.remove(at.index(block.len()))),
            _ => {}
        }
    }
}

pub(super) fn word_edit() -> impl Strategy<Value = WordEdit> {
    prop_oneof![
        (any::<Index>(), any::<Index>(), select(WORDS))
            .prop_map(|(b, a, w)| WordEdit::Replace(b, a, w)),
        (any::<Index>(), any::<Index>(), select(WORDS))
            .prop_map(|(b, a, w)| WordEdit::Insert(b, a, w)),
        (any::<Index>(), any::<Index>()).prop_map(|(b, a)| WordEdit::Delete(b, a)),
    ]
}

/// What happens to a chapter between two releases.
#[derive(Debug, Clone)]
pub(super) enum Op {
    Keep,
    Edit(Vec<WordEdit>),
    Retitle(Vec<&'static str>),
    Relink(&'static str),
    /// A new id, the body edited a little or not at all.
    NewId(Vec<WordEdit>),
    Rewrite(Body),
    Relayout(Layout),
    Drop,
}

pub(super) fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Keep),
        3 => prop::collection::vec(word_edit(), 1..4).prop_map(Op::Edit),
        1 => words(1..5).prop_map(Op::Retitle),
        1 => select(URLS).prop_map(Op::Relink),
        2 => prop::collection::vec(word_edit(), 0..3).prop_map(Op::NewId),
        1 => body().prop_map(Op::Rewrite),
        1 => layout().prop_map(Op::Relayout),
        1 => Just(Op::Drop),
    ]
}

/// A manual and a later release of it: chapters kept, edited, renamed, dropped, added.
pub(super) fn two_releases() -> impl Strategy<Value = (Vec<Model>, Vec<Model>)> {
    manual()
        .prop_flat_map(|earlier| {
            let n = earlier.len();
            let added = prop::collection::vec(any::<bool>(), 3).prop_flat_map(|present| {
                present
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| **p)
                    .map(|(i, _)| model(format!("x{i}")))
                    .collect::<Vec<_>>()
            });
            (Just(earlier), prop::collection::vec(op(), n), added)
        })
        .prop_map(|(earlier, ops, added)| {
            let mut later = Vec::new();
            for (i, (m, op)) in earlier.iter().zip(ops).enumerate() {
                let mut m = m.clone();
                match op {
                    Op::Keep => {}
                    Op::Edit(edits) => edits.iter().for_each(|e| e.apply(&mut m.body)),
                    Op::Retitle(title) => m.title = title,
                    Op::Relink(url) => m.url = m.url.map(|_| url),
                    Op::NewId(edits) => {
                        m.id = format!("n{i}");
                        edits.iter().for_each(|e| e.apply(&mut m.body));
                    }
                    Op::Rewrite(body) => m.body = body,
                    Op::Relayout(layout) => m.layout = layout,
                    Op::Drop => continue,
                }
                later.push(m);
            }
            later.extend(added);
            (earlier, later)
        })
}

/// A chapter of one line, for bodies made up elsewhere.
pub(super) fn plain_chapter() -> Chapter {
    Chapter {
        id: "a".parse().unwrap(),
        title: "A".into(),
        kind: ChapterKind::Chapter,
        url: None,
        section: None,
        tags: vec![],
        review_due: None,
        owner: None,
        sources: Vec::new(),
        body: String::new(),
        path: "a.md".into(),
    }
}

pub(super) fn chapters(models: &[Model]) -> Vec<Chapter> {
    models.iter().map(Model::chapter).collect()
}
