//! The outbox: with no relay configured, each message is written to `<data>/outbox/` as
//! an `.eml` file named by its letter id.

use std::path::{Path, PathBuf};

use futures_util::future::BoxFuture;
use lettre::Message;

use super::{SendError, Transport};

/// A folder of `.eml` files; a message sent again overwrites its file.
pub struct Outbox {
    dir: PathBuf,
}

impl Outbox {
    pub fn new(dir: PathBuf) -> Outbox {
        Outbox { dir }
    }
}

impl Transport for Outbox {
    fn send<'a>(
        &'a self,
        message: &'a Message,
        id: &'a str,
    ) -> BoxFuture<'a, Result<(), SendError>> {
        let dir = self.dir.clone();
        let name: String = id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let bytes = message.formatted();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || write_eml(&dir, &name, &bytes))
                .await
                .map_err(|e| SendError::transient(e.to_string()))?
        })
    }

    fn describe(&self) -> String {
        format!("the outbox {}", self.dir.display())
    }
}

/// Writes a message file whole or not at all (write aside, then rename).
fn write_eml(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), SendError> {
    let fail = |e: std::io::Error| SendError::transient(format!("outbox {}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let aside = dir.join(format!(".{name}.tmp"));
    std::fs::write(&aside, bytes).map_err(fail)?;
    std::fs::rename(&aside, dir.join(format!("{name}.eml"))).map_err(fail)
}
