//! The workspace's emails: a sign-in link, and a request to review a proposed release.
//! They go through the mailer like every other email (the outbox without SMTP).

use crate::content::markdown::escape_html as escape;
use crate::db::{Editor, Proposal};
use crate::mail::Letter;
use crate::tokens::{hex, random_bytes};

/// A letter id no other letter has (the outbox names files by it).
fn letter_id(kind: &str, editor: &Editor) -> String {
    let nonce = random_bytes::<6>().map(|b| hex(&b)).unwrap_or_default();
    format!("{kind}.{}.{nonce}", editor.id)
}

/// A one-time sign-in link for an editor.
pub fn signin_letter(editor: &Editor, link: &str) -> Letter {
    let text = format!(
        "Hello {name},\n\nSign in to the editors' workspace of the safeguarding procedures with this link:\n\n{link}\n\nIt works once, within 24 hours. If you did not ask for it, ignore this email: nobody can sign in without the link.\n",
        name = editor.name
    );
    let html = format!(
        "<p>Hello {name},</p><p><a href=\"{link}\">Sign in to the editors' workspace</a> of the safeguarding procedures.</p><p>The link works once, within 24 hours. If you did not ask for it, ignore this email: nobody can sign in without the link.</p>",
        name = escape(&editor.name),
        link = escape(link)
    );
    Letter {
        to: editor.email.clone(),
        subject: "Your sign-in link for the procedures workspace".into(),
        text,
        html,
        id: letter_id("signin", editor),
        unsubscribe: None,
    }
}

/// Asks a publisher to review a proposed release.
pub fn review_letter(
    publisher: &Editor,
    proposal: &Proposal,
    manual_title: &str,
    link: &str,
    changes: usize,
) -> Letter {
    let proposer = &proposal.proposed_by.1;
    let text = format!(
        "Hello {name},\n\n{proposer} has proposed release {release} of {manual_title} ({changes} chapter change{s}). Please review it, and approve it if it is ready:\n\n{link}\n\nAny edit to the manual before it is published withdraws the proposal.\n",
        name = publisher.name,
        release = proposal.name,
        s = if changes == 1 { "" } else { "s" },
    );
    let html = format!(
        "<p>Hello {name},</p><p>{proposer} has proposed release <strong>{release}</strong> of {manual} ({changes} chapter change{s}).</p><p><a href=\"{link}\">Review the release</a>, and approve it if it is ready.</p><p>Any edit to the manual before it is published withdraws the proposal.</p>",
        name = escape(&publisher.name),
        proposer = escape(proposer),
        release = escape(&proposal.name),
        manual = escape(manual_title),
        s = if changes == 1 { "" } else { "s" },
        link = escape(link),
    );
    Letter {
        to: publisher.email.clone(),
        subject: format!("Please review release {} of {manual_title}", proposal.name),
        text,
        html,
        id: letter_id("review", publisher),
        unsubscribe: None,
    }
}
