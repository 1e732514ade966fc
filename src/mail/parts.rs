//! A letter's two parts, plain text and HTML, rendered from one set of fields.

/// Gives a fields struct (one lifetime parameter) a `parts()` method rendering the
/// plain-text and the HTML template named, in that order. Each template sees the fields
/// directly (`{{ email }}`) through two thin wrappers that deref to the one struct, so a
/// letter's fields are written once for both of its parts.
macro_rules! two_parts {
    ($fields:ident, $text:literal, $html:literal) => {
        const _: () = {
            use askama::Template as _;

            #[derive(askama::Template)]
            #[template(path = $text)]
            struct Text<'a>(&'a $fields<'a>);

            #[derive(askama::Template)]
            #[template(path = $html)]
            struct Html<'a>(&'a $fields<'a>);

            impl<'a> std::ops::Deref for Text<'a> {
                type Target = $fields<'a>;
                fn deref(&self) -> &$fields<'a> {
                    self.0
                }
            }

            impl<'a> std::ops::Deref for Html<'a> {
                type Target = $fields<'a>;
                fn deref(&self) -> &$fields<'a> {
                    self.0
                }
            }

            impl $fields<'_> {
                /// The plain-text part and the HTML part.
                fn parts(&self) -> Result<(String, String), askama::Error> {
                    Ok((Text(self).render()?, Html(self).render()?))
                }
            }
        };
    };
}

pub(crate) use two_parts;
