//! Words as the manuals write them: American spellings made British (`spelling`), and
//! the word families the English stemmer leaves apart put together (`families`).

mod families;
mod spelling;

pub use families::family;
pub use spelling::british;
