//! The schema of each engine, one numbered step per migration. SQLite records the steps
//! taken in its `user_version`, PostgreSQL in the one-row table `schema_version`.

/// Every table of chapterhouse's records, each after the tables its rows refer to (the
/// order a copy fills them in). A new table is added here as well as to both schemas.
pub const TABLES: &[&str] = &[
    "editors",
    "subscribers",
    "subscriber_manuals",
    "confirmations",
    "deliveries",
    "periods",
    "secrets",
    "signin_links",
    "signin_requests",
    "sessions",
    "proposals",
    "release_events",
    "mail_sent",
    "ended_links",
    "review_reminders",
    "source_checks",
    "source_reviews",
    "sent_releases",
    "acknowledgements",
];

/// The tables whose `id` the database gives (an identity on PostgreSQL).
pub const TABLES_WITH_IDS: &[&str] = &[
    "editors",
    "subscribers",
    "deliveries",
    "proposals",
    "release_events",
];

/// SQLite's schema, one step per migration, oldest first. Never edit a published step:
/// add one, here and in [`POSTGRES`].
pub const SQLITE: &[&str] = &[
    // 1: editors and their token hashes.
    "CREATE TABLE editors (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL,
        email       TEXT NOT NULL,
        role        TEXT NOT NULL CHECK (role IN ('editor', 'publisher')),
        token_hash  BLOB NOT NULL,
        created_at  TEXT NOT NULL,
        revoked_at  TEXT
    );",
    // 2: subscribers, the manuals they follow, confirmations, and the delivery ledger.
    "CREATE TABLE subscribers (
        id            INTEGER PRIMARY KEY,
        email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
        frequency     TEXT NOT NULL CHECK (frequency IN ('monthly', 'immediate')),
        all_manuals   INTEGER NOT NULL DEFAULT 0,
        confirmed_at  TEXT,
        created_at    TEXT NOT NULL,
        failures      INTEGER NOT NULL DEFAULT 0,
        flagged_at    TEXT
    );
    CREATE TABLE subscriber_manuals (
        subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        manual        TEXT NOT NULL,
        PRIMARY KEY (subscriber_id, manual)
    ) WITHOUT ROWID;
    CREATE TABLE confirmations (
        token_hash    BLOB PRIMARY KEY,
        subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        expires_at    TEXT NOT NULL
    );
    CREATE TABLE deliveries (
        id            INTEGER PRIMARY KEY,
        subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        period        TEXT NOT NULL,
        state         TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
        attempts      INTEGER NOT NULL DEFAULT 0,
        last_error    TEXT,
        updated_at    TEXT NOT NULL,
        UNIQUE (subscriber_id, period)
    );
    CREATE INDEX deliveries_by_period ON deliveries (period, state);
    CREATE TABLE periods (
        period        TEXT PRIMARY KEY,
        finished_at   TEXT
    );
    CREATE TABLE secrets (
        name          TEXT PRIMARY KEY,
        value         BLOB NOT NULL
    );",
    // 3: the editors' workspace: sign-in links, browser sessions, and the review of
    // releases (proposals and their events: proposed, approved, withdrawn, published).
    "CREATE TABLE signin_links (
        token_hash    BLOB PRIMARY KEY,
        editor_id     INTEGER NOT NULL REFERENCES editors(id) ON DELETE CASCADE,
        created_at    TEXT NOT NULL,
        expires_at    TEXT NOT NULL,
        used_at       TEXT
    );
    CREATE TABLE signin_requests (
        email         TEXT PRIMARY KEY,
        last_sent_at  TEXT NOT NULL
    );
    CREATE TABLE sessions (
        token_hash    BLOB PRIMARY KEY,
        editor_id     INTEGER NOT NULL REFERENCES editors(id) ON DELETE CASCADE,
        csrf          TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        last_seen_at  TEXT NOT NULL,
        ended_at      TEXT
    );
    CREATE TABLE proposals (
        id            INTEGER PRIMARY KEY,
        manual        TEXT NOT NULL,
        name          TEXT NOT NULL,
        date          TEXT,
        notes         TEXT NOT NULL,
        base          TEXT NOT NULL,
        proposed_by   INTEGER NOT NULL REFERENCES editors(id),
        proposed_at   TEXT NOT NULL,
        state         TEXT NOT NULL CHECK (state IN ('open', 'withdrawn', 'published'))
    );
    CREATE UNIQUE INDEX one_open_proposal ON proposals (manual) WHERE state = 'open';
    CREATE TABLE release_events (
        id            INTEGER PRIMARY KEY,
        manual        TEXT NOT NULL,
        release       TEXT NOT NULL,
        proposal_id   INTEGER REFERENCES proposals(id),
        kind          TEXT NOT NULL CHECK (kind IN ('proposed', 'approved', 'withdrawn', 'published')),
        editor_id     INTEGER REFERENCES editors(id),
        editor_name   TEXT NOT NULL,
        at            TEXT NOT NULL,
        reason        TEXT
    );
    CREATE INDEX release_events_by_manual ON release_events (manual, release);
    CREATE UNIQUE INDEX one_approval_each ON release_events (proposal_id, editor_id) WHERE kind = 'approved';",
    // 4: when each kind of email last went to an address (at most one per address in a
    // while), the version of a subscriber's manage/unsubscribe links (rotated on request;
    // version 0 is the links made before), and the unsubscribe links already used (so a
    // second click is answered as the first, and a made-up link is not).
    "CREATE TABLE mail_sent (
        kind          TEXT NOT NULL,
        email         TEXT NOT NULL,
        last_sent_at  TEXT NOT NULL,
        PRIMARY KEY (kind, email)
    ) WITHOUT ROWID;
    ALTER TABLE subscribers ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE ended_links (
        token_hash    BLOB PRIMARY KEY,
        ended_at      TEXT NOT NULL
    );",
    // 5: claims on deliveries, so instances sharing a database send each row once: who
    // claimed it (an instance's run) and until when (milliseconds since 1970).
    "ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
    ALTER TABLE deliveries ADD COLUMN claimed_until INTEGER;",
    // 6: the weekly review reminders, one row per week and address.
    "CREATE TABLE review_reminders (
        week          TEXT NOT NULL,
        email         TEXT NOT NULL,
        state         TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
        updated_at    TEXT NOT NULL,
        PRIMARY KEY (week, email)
    );",
    // 7: what national guidance's publishers last said of each source, and the sources
    // editors marked reviewed with no change needed.
    "CREATE TABLE source_checks (
        url           TEXT PRIMARY KEY,
        checked_at    TEXT NOT NULL,
        error         TEXT,
        seen_at       TEXT,
        updated_at    TEXT,
        notes         TEXT NOT NULL DEFAULT '[]',
        last_modified TEXT
    );
    CREATE TABLE source_reviews (
        manual        TEXT NOT NULL,
        chapter       TEXT NOT NULL,
        url           TEXT NOT NULL,
        reviewed_by   TEXT NOT NULL,
        reviewed_at   TEXT NOT NULL,
        PRIMARY KEY (manual, chapter, url)
    );",
    // 8: which releases each subscriber was sent (a digest or an immediate notice that
    // carried the release's notice), and the changes they confirmed they have read.
    "CREATE TABLE sent_releases (
        subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        manual        TEXT NOT NULL,
        release_name  TEXT NOT NULL,
        period        TEXT NOT NULL,
        sent_at       TEXT NOT NULL,
        PRIMARY KEY (subscriber_id, manual, release_name)
    );
    CREATE INDEX sent_releases_by_release ON sent_releases (manual, release_name);
    CREATE TABLE acknowledgements (
        subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        manual        TEXT NOT NULL,
        release_name  TEXT NOT NULL,
        chapter       TEXT NOT NULL,
        read_at       TEXT NOT NULL,
        PRIMARY KEY (subscriber_id, manual, release_name, chapter)
    );
    CREATE INDEX acknowledgements_by_release ON acknowledgements (manual, release_name);",
];

/// PostgreSQL's schema, step for step the same as [`SQLITE`]: the same tables, columns
/// and constraints, in PostgreSQL's types (times stay RFC 3339 text, as on SQLite, so both
/// engines compare and return them alike). Ids are given by default, never always, so
/// `chapterhouse db migrate-to` can copy rows with their ids.
pub const POSTGRES: &[&str] = &[
    // 1
    "CREATE TABLE editors (
        id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        name        TEXT NOT NULL,
        email       TEXT NOT NULL,
        role        TEXT NOT NULL CHECK (role IN ('editor', 'publisher')),
        token_hash  BYTEA NOT NULL,
        created_at  TEXT NOT NULL,
        revoked_at  TEXT
    );",
    // 2: SQLite's NOCASE on addresses is a unique index on lower(email) here.
    "CREATE TABLE subscribers (
        id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        email         TEXT NOT NULL,
        frequency     TEXT NOT NULL CHECK (frequency IN ('monthly', 'immediate')),
        all_manuals   BIGINT NOT NULL DEFAULT 0,
        confirmed_at  TEXT,
        created_at    TEXT NOT NULL,
        failures      BIGINT NOT NULL DEFAULT 0,
        flagged_at    TEXT
    );
    CREATE UNIQUE INDEX subscribers_email ON subscribers (lower(email));
    CREATE TABLE subscriber_manuals (
        subscriber_id BIGINT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        manual        TEXT NOT NULL,
        PRIMARY KEY (subscriber_id, manual)
    );
    CREATE TABLE confirmations (
        token_hash    BYTEA PRIMARY KEY,
        subscriber_id BIGINT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        expires_at    TEXT NOT NULL
    );
    CREATE TABLE deliveries (
        id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        subscriber_id BIGINT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        period        TEXT NOT NULL,
        state         TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
        attempts      BIGINT NOT NULL DEFAULT 0,
        last_error    TEXT,
        updated_at    TEXT NOT NULL,
        UNIQUE (subscriber_id, period)
    );
    CREATE INDEX deliveries_by_period ON deliveries (period, state);
    CREATE TABLE periods (
        period        TEXT PRIMARY KEY,
        finished_at   TEXT
    );
    CREATE TABLE secrets (
        name          TEXT PRIMARY KEY,
        value         BYTEA NOT NULL
    );",
    // 3
    "CREATE TABLE signin_links (
        token_hash    BYTEA PRIMARY KEY,
        editor_id     BIGINT NOT NULL REFERENCES editors(id) ON DELETE CASCADE,
        created_at    TEXT NOT NULL,
        expires_at    TEXT NOT NULL,
        used_at       TEXT
    );
    CREATE TABLE signin_requests (
        email         TEXT PRIMARY KEY,
        last_sent_at  TEXT NOT NULL
    );
    CREATE TABLE sessions (
        token_hash    BYTEA PRIMARY KEY,
        editor_id     BIGINT NOT NULL REFERENCES editors(id) ON DELETE CASCADE,
        csrf          TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        last_seen_at  TEXT NOT NULL,
        ended_at      TEXT
    );
    CREATE TABLE proposals (
        id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        manual        TEXT NOT NULL,
        name          TEXT NOT NULL,
        date          TEXT,
        notes         TEXT NOT NULL,
        base          TEXT NOT NULL,
        proposed_by   BIGINT NOT NULL REFERENCES editors(id),
        proposed_at   TEXT NOT NULL,
        state         TEXT NOT NULL CHECK (state IN ('open', 'withdrawn', 'published'))
    );
    CREATE UNIQUE INDEX one_open_proposal ON proposals (manual) WHERE state = 'open';
    CREATE TABLE release_events (
        id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        manual        TEXT NOT NULL,
        release       TEXT NOT NULL,
        proposal_id   BIGINT REFERENCES proposals(id),
        kind          TEXT NOT NULL CHECK (kind IN ('proposed', 'approved', 'withdrawn', 'published')),
        editor_id     BIGINT REFERENCES editors(id),
        editor_name   TEXT NOT NULL,
        at            TEXT NOT NULL,
        reason        TEXT
    );
    CREATE INDEX release_events_by_manual ON release_events (manual, release);
    CREATE UNIQUE INDEX one_approval_each ON release_events (proposal_id, editor_id) WHERE kind = 'approved';",
    // 4
    "CREATE TABLE mail_sent (
        kind          TEXT NOT NULL,
        email         TEXT NOT NULL,
        last_sent_at  TEXT NOT NULL,
        PRIMARY KEY (kind, email)
    );
    ALTER TABLE subscribers ADD COLUMN token_version BIGINT NOT NULL DEFAULT 0;
    CREATE TABLE ended_links (
        token_hash    BYTEA PRIMARY KEY,
        ended_at      TEXT NOT NULL
    );",
    // 5
    "ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
    ALTER TABLE deliveries ADD COLUMN claimed_until BIGINT;",
    // 6
    "CREATE TABLE review_reminders (
        week          TEXT NOT NULL,
        email         TEXT NOT NULL,
        state         TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
        updated_at    TEXT NOT NULL,
        PRIMARY KEY (week, email)
    );",
    // 7
    "CREATE TABLE source_checks (
        url           TEXT PRIMARY KEY,
        checked_at    TEXT NOT NULL,
        error         TEXT,
        seen_at       TEXT,
        updated_at    TEXT,
        notes         TEXT NOT NULL DEFAULT '[]',
        last_modified TEXT
    );
    CREATE TABLE source_reviews (
        manual        TEXT NOT NULL,
        chapter       TEXT NOT NULL,
        url           TEXT NOT NULL,
        reviewed_by   TEXT NOT NULL,
        reviewed_at   TEXT NOT NULL,
        PRIMARY KEY (manual, chapter, url)
    );",
    // 8
    "CREATE TABLE sent_releases (
        subscriber_id BIGINT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        manual        TEXT NOT NULL,
        release_name  TEXT NOT NULL,
        period        TEXT NOT NULL,
        sent_at       TEXT NOT NULL,
        PRIMARY KEY (subscriber_id, manual, release_name)
    );
    CREATE INDEX sent_releases_by_release ON sent_releases (manual, release_name);
    CREATE TABLE acknowledgements (
        subscriber_id BIGINT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        manual        TEXT NOT NULL,
        release_name  TEXT NOT NULL,
        chapter       TEXT NOT NULL,
        read_at       TEXT NOT NULL,
        PRIMARY KEY (subscriber_id, manual, release_name, chapter)
    );
    CREATE INDEX acknowledgements_by_release ON acknowledgements (manual, release_name);",
];
