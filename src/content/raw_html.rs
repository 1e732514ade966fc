//! Raw HTML in a chapter body, read for its tags: enough of HTML's tokenizer to find start
//! and end tags and count their attributes, quoted values and comments included, for the
//! markup limits.

/// The most attributes one raw HTML tag may carry; real tags carry a handful.
pub const MAX_ATTRIBUTES: usize = 64;

/// A tag the lexer finished reading.
pub(super) enum Found {
    Start(String),
    End(String),
}

/// Longer tag names are kept cut: no element has one.
const MAX_NAME: usize = 32;

/// Where raw HTML reading stands: enough of HTML's tokenizer to find tags and count their
/// attributes, quoted values and comments included.
#[derive(Default)]
pub(super) enum Lexer {
    #[default]
    Text,
    /// After `<`.
    Open,
    StartName(String),
    EndName(String, bool),
    /// Inside a start tag: its name, its attributes so far, and where in them.
    Attributes(String, usize, Attr),
    /// After `<!`, with the dashes seen (`<!--` opens a comment).
    Bang(u8),
    /// Inside a comment, with the dashes just seen.
    Comment(u8),
    /// `<?…>`, `<!DOCTYPE…>`: up to `>`.
    Bogus,
}

/// Where in a start tag's attributes a character falls.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Attr {
    Between,
    Name,
    AfterName,
    BeforeValue,
    Quoted(u8),
    Unquoted,
}

impl Lexer {
    /// Reads one byte; the tag it finishes, if any, or the rule a tag breaks.
    pub(super) fn step(&mut self, c: u8) -> Result<Option<Found>, String> {
        let space = c.is_ascii_whitespace();
        let state = std::mem::take(self);
        let (next, found) = match state {
            Lexer::Text => (if c == b'<' { Lexer::Open } else { Lexer::Text }, None),
            Lexer::Bogus => (if c == b'>' { Lexer::Text } else { Lexer::Bogus }, None),
            Lexer::Open => match c {
                b'/' => (Lexer::EndName(String::new(), false), None),
                b'!' => (Lexer::Bang(0), None),
                b'?' => (Lexer::Bogus, None),
                b'<' => (Lexer::Open, None),
                c if c.is_ascii_alphabetic() => (Lexer::StartName(name_of(c)), None),
                _ => (Lexer::Text, None),
            },
            Lexer::StartName(mut name) => match c {
                b'>' => (Lexer::Text, Some(Found::Start(name))),
                c if space || c == b'/' => (Lexer::Attributes(name, 0, Attr::Between), None),
                c => {
                    push_name(&mut name, c);
                    (Lexer::StartName(name), None)
                }
            },
            Lexer::EndName(mut name, done) => match c {
                b'>' => (Lexer::Text, Some(Found::End(name))),
                c if done || space || c == b'/' => (Lexer::EndName(name, true), None),
                c => {
                    push_name(&mut name, c);
                    (Lexer::EndName(name, false), None)
                }
            },
            Lexer::Attributes(name, count, at) => {
                if c == b'>' && !matches!(at, Attr::Quoted(_)) {
                    (Lexer::Text, Some(Found::Start(name)))
                } else {
                    let (count, at) = attribute_step(count, at, c);
                    if count > MAX_ATTRIBUTES {
                        return Err(format!(
                            "raw HTML: a <{name}> tag with more than {MAX_ATTRIBUTES} attributes"
                        ));
                    }
                    (Lexer::Attributes(name, count, at), None)
                }
            }
            Lexer::Bang(dashes) => match c {
                b'-' if dashes == 1 => (Lexer::Comment(0), None),
                b'-' => (Lexer::Bang(1), None),
                b'>' => (Lexer::Text, None),
                _ => (Lexer::Bogus, None),
            },
            Lexer::Comment(dashes) => match c {
                b'>' if dashes >= 2 => (Lexer::Text, None),
                b'-' => (Lexer::Comment(dashes.saturating_add(1)), None),
                _ => (Lexer::Comment(0), None),
            },
        };
        *self = next;
        Ok(found)
    }
}

/// One character inside a start tag, after its name: the attributes counted so far and
/// where among them the character leaves the tag.
fn attribute_step(count: usize, at: Attr, c: u8) -> (usize, Attr) {
    let space = c.is_ascii_whitespace();
    match at {
        Attr::Between | Attr::AfterName if space || c == b'/' => (count, at),
        Attr::AfterName if c == b'=' => (count, Attr::BeforeValue),
        Attr::Between | Attr::AfterName => (count + 1, Attr::Name),
        Attr::Name if space => (count, Attr::AfterName),
        Attr::Name if c == b'=' => (count, Attr::BeforeValue),
        Attr::Name if c == b'/' => (count, Attr::Between),
        Attr::Name => (count, Attr::Name),
        Attr::BeforeValue if space => (count, at),
        Attr::BeforeValue if c == b'"' || c == b'\'' => (count, Attr::Quoted(c)),
        Attr::BeforeValue => (count, Attr::Unquoted),
        Attr::Quoted(q) if c == q => (count, Attr::Between),
        Attr::Quoted(_) => (count, at),
        Attr::Unquoted if space => (count, Attr::Between),
        Attr::Unquoted => (count, at),
    }
}

fn name_of(c: u8) -> String {
    let mut name = String::with_capacity(8);
    push_name(&mut name, c);
    name
}

fn push_name(name: &mut String, c: u8) {
    if name.len() < MAX_NAME {
        name.push(char::from(c.to_ascii_lowercase()));
    }
}
