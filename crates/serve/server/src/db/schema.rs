//! Versioned schema migrations, one list per backend. A migration is applied once, in order,
//! inside a transaction that also records its number in `schema_version`; never edit an
//! applied one — add the next.

/// SQLite migrations (embedded mode).
pub const SQLITE: &[&str] = &[
    r#"
CREATE TABLE projects (name TEXT PRIMARY KEY, ingest_key TEXT NOT NULL UNIQUE);
CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE crashes (
    id TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    received INTEGER NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    annotations TEXT NOT NULL,
    attachments TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT,
    version TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    completions INTEGER NOT NULL DEFAULT 0,
    lease_until INTEGER,
    lease_token TEXT,
    bucket TEXT,
    group_id INTEGER,
    analysis TEXT,
    report TEXT,
    dump_deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX crashes_queue ON crashes (status, received);
CREATE INDEX crashes_group ON crashes (group_id, received);
CREATE INDEX crashes_sha ON crashes (project, sha256);
CREATE TABLE groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project TEXT NOT NULL,
    bucket TEXT NOT NULL,
    count INTEGER NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    blame TEXT,
    signature TEXT NOT NULL,
    resolved_in TEXT,
    reopened INTEGER NOT NULL DEFAULT 0,
    UNIQUE (project, bucket)
);
CREATE TABLE group_days (group_id INTEGER NOT NULL, day TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (group_id, day));
CREATE TABLE group_facets (group_id INTEGER NOT NULL, facet TEXT NOT NULL, value TEXT NOT NULL,
    count INTEGER NOT NULL, PRIMARY KEY (group_id, facet, value));
CREATE TABLE sessions (id TEXT PRIMARY KEY, csrf TEXT NOT NULL, expires INTEGER NOT NULL);
"#,
    // 2: which worker (host:pid) holds or last held a crash's lease.
    "ALTER TABLE crashes ADD COLUMN worker TEXT;",
    // 3: admin users who log in with a password (argon2id PHC string).
    "CREATE TABLE users (name TEXT PRIMARY KEY, hash TEXT NOT NULL, created INTEGER NOT NULL);",
    // 4: incidents (`coroner upload --incident`): a server's logs and configuration, and the
    // report `investigate` makes of them with the dumps sent beside them.
    r#"
CREATE TABLE incidents (id TEXT PRIMARY KEY, project TEXT NOT NULL, received INTEGER NOT NULL,
    host TEXT, set_sha TEXT NOT NULL, crashes TEXT NOT NULL, report_json TEXT, report_html TEXT,
    report_html_ko TEXT, report_files INTEGER NOT NULL DEFAULT -1, UNIQUE (project, set_sha));
CREATE TABLE incident_files (incident TEXT NOT NULL, sha256 TEXT NOT NULL, name TEXT NOT NULL,
    kind TEXT NOT NULL, size INTEGER NOT NULL, key TEXT NOT NULL, received INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (incident, sha256));
"#,
    // 5: symbol uploads and reprocessing. `counted`: the day and facets a crash was counted
    // under (to take it out of its group when it is reprocessed); `requeued`: queued again by a
    // symbol upload; `reprocessed`: analyses stored after the first. `missing_symbols`: per
    // crash, the stack modules that had no symbol file (debug name, debug id).
    r#"
ALTER TABLE crashes ADD COLUMN counted TEXT;
ALTER TABLE crashes ADD COLUMN requeued INTEGER NOT NULL DEFAULT 0;
ALTER TABLE crashes ADD COLUMN reprocessed INTEGER NOT NULL DEFAULT 0;
CREATE TABLE missing_symbols (crash_id TEXT NOT NULL, name TEXT NOT NULL, debug_id TEXT NOT NULL,
    PRIMARY KEY (crash_id, name, debug_id));
CREATE INDEX missing_symbols_id ON missing_symbols (debug_id);
"#,
    // 6: a crash's analysis is kept in the analysis log beside the database (`analysis_log`):
    // its segment, byte offset, length and CRC-32. Rows stored before keep it in `analysis`.
    r#"
ALTER TABLE crashes ADD COLUMN analysis_segment INTEGER;
ALTER TABLE crashes ADD COLUMN analysis_offset INTEGER;
ALTER TABLE crashes ADD COLUMN analysis_len INTEGER;
ALTER TABLE crashes ADD COLUMN analysis_crc INTEGER;
"#,
];

/// PostgreSQL migrations (fleet mode).
pub const POSTGRES: &[&str] = &[
    r#"
CREATE TABLE projects (name TEXT PRIMARY KEY, ingest_key TEXT NOT NULL UNIQUE);
CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
CREATE TABLE crashes (
    id TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    received BIGINT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    annotations TEXT NOT NULL,
    attachments TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT,
    version TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    completions BIGINT NOT NULL DEFAULT 0,
    lease_until BIGINT,
    lease_token TEXT,
    bucket TEXT,
    group_id BIGINT,
    analysis TEXT,
    report TEXT,
    dump_deleted BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX crashes_queue ON crashes (status, received);
CREATE INDEX crashes_group ON crashes (group_id, received);
CREATE INDEX crashes_sha ON crashes (project, sha256);
CREATE TABLE groups (
    id BIGSERIAL PRIMARY KEY,
    project TEXT NOT NULL,
    bucket TEXT NOT NULL,
    count BIGINT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    blame TEXT,
    signature TEXT NOT NULL,
    resolved_in TEXT,
    reopened BIGINT NOT NULL DEFAULT 0,
    UNIQUE (project, bucket)
);
CREATE TABLE group_days (group_id BIGINT NOT NULL, day TEXT NOT NULL, count BIGINT NOT NULL,
    PRIMARY KEY (group_id, day));
CREATE TABLE group_facets (group_id BIGINT NOT NULL, facet TEXT NOT NULL, value TEXT NOT NULL,
    count BIGINT NOT NULL, PRIMARY KEY (group_id, facet, value));
CREATE TABLE sessions (id TEXT PRIMARY KEY, csrf TEXT NOT NULL, expires BIGINT NOT NULL);
"#,
    // 2: which worker (host:pid) holds or last held a crash's lease.
    "ALTER TABLE crashes ADD COLUMN worker TEXT;",
    // 3: admin users who log in with a password (argon2id PHC string).
    "CREATE TABLE users (name TEXT PRIMARY KEY, hash TEXT NOT NULL, created BIGINT NOT NULL);",
    // 4: incidents (`coroner upload --incident`): a server's logs and configuration, and the
    // report `investigate` makes of them with the dumps sent beside them.
    r#"
CREATE TABLE incidents (id TEXT PRIMARY KEY, project TEXT NOT NULL, received BIGINT NOT NULL,
    host TEXT, set_sha TEXT NOT NULL, crashes TEXT NOT NULL, report_json TEXT, report_html TEXT,
    report_html_ko TEXT, report_files BIGINT NOT NULL DEFAULT -1, UNIQUE (project, set_sha));
CREATE TABLE incident_files (incident TEXT NOT NULL, sha256 TEXT NOT NULL, name TEXT NOT NULL,
    kind TEXT NOT NULL, size BIGINT NOT NULL, key TEXT NOT NULL, received BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (incident, sha256));
"#,
    // 5: symbol uploads and reprocessing. `counted`: the day and facets a crash was counted
    // under (to take it out of its group when it is reprocessed); `requeued`: queued again by a
    // symbol upload; `reprocessed`: analyses stored after the first. `missing_symbols`: per
    // crash, the stack modules that had no symbol file (debug name, debug id).
    r#"
ALTER TABLE crashes ADD COLUMN counted TEXT;
ALTER TABLE crashes ADD COLUMN requeued BIGINT NOT NULL DEFAULT 0;
ALTER TABLE crashes ADD COLUMN reprocessed BIGINT NOT NULL DEFAULT 0;
CREATE TABLE missing_symbols (crash_id TEXT NOT NULL, name TEXT NOT NULL, debug_id TEXT NOT NULL,
    PRIMARY KEY (crash_id, name, debug_id));
CREATE INDEX missing_symbols_id ON missing_symbols (debug_id);
"#,
];
