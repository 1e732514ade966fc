//! A `chapterhouse serve` that can be killed and started again over the same workspace, and
//! a publisher's two requests to it: a chapter change, then a release.

use std::process::Child;

use crate::support::{Workspace, spawn_server};

/// The server process, killed when dropped.
pub struct Serving {
    child: Child,
    pub api: Api,
}

/// What a client needs to talk to the server, for another thread to use.
#[derive(Clone)]
pub struct Api {
    base: String,
    client: reqwest::blocking::Client,
}

impl Serving {
    /// Starts the server on a free port and waits for the line that says where.
    pub fn start(ws: &Workspace) -> Serving {
        let (child, base, client) = spawn_server(ws, "error");
        Serving {
            child,
            api: Api { base, client },
        }
    }

    /// SIGKILL, and the process reaped.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Api {
    /// `PUT` of chapter `id` of manual `m` over whatever revision it is at, then `POST` of
    /// release `name` dated `date`: the two statuses.
    pub fn publish(
        &self,
        token: &str,
        (id, file): (&str, &str),
        (name, date): (&str, &str),
    ) -> Result<(u16, u16), reqwest::Error> {
        let auth = format!("Bearer {token}");
        let put = self
            .client
            .put(format!("{}/api/v1/manuals/m/chapters/{id}", self.base))
            .header("authorization", &auth)
            .header("if-match", "*")
            .body(file.to_owned())
            .send()?;
        let put = put.status().as_u16();
        if put >= 300 {
            return Ok((put, 0));
        }
        let post = self
            .client
            .post(format!("{}/api/v1/manuals/m/releases", self.base))
            .header("authorization", &auth)
            .header("content-type", "application/json")
            .body(format!(r#"{{"name": "{name}", "date": "{date}"}}"#))
            .send()?;
        Ok((put, post.status().as_u16()))
    }

    /// True when a search of manual `m` for `word` finds it in a chapter in force today.
    pub fn finds(&self, word: &str) -> bool {
        let answer = self
            .client
            // The words are made of letters only: nothing to escape.
            .get(format!("{}/api/v1/search?q={word}&manual=m", self.base))
            .send()
            .unwrap();
        assert_eq!(answer.status().as_u16(), 200);
        super::found(&answer.json().unwrap(), word)
    }
}
