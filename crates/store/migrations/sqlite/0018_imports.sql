-- Importing target users from a file (REFERENCE.md C.10, issue #15).
--
-- An upload ("transaction"): the file's header and every row as read (cells as text), kept until
-- it expires. Creating a mapping checks every row against it and writes the outcome beside the
-- row: its status (New, Exists, Error), the user it would create or update (a JSON patch of the
-- mapped fields) and its problems. The upload's mapping columns describe the last mapping.
CREATE TABLE import_uploads (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id         BIGINT NOT NULL REFERENCES companies (id),
    transaction_id     TEXT NOT NULL UNIQUE,
    file_name          TEXT NOT NULL,
    file_type          TEXT NOT NULL,
    sheet_names        TEXT NOT NULL,
    headers            TEXT NOT NULL,
    row_count          BIGINT NOT NULL DEFAULT 0,
    duplicate_count    BIGINT NOT NULL DEFAULT 0,
    -- Rows are written in batches after the upload's row; a file is usable once complete.
    is_complete        INTEGER NOT NULL DEFAULT 0,
    mapping_id         TEXT UNIQUE,
    mapping            TEXT,
    group_ids          TEXT,
    mapping_status     TEXT NOT NULL DEFAULT 'Idle',
    new_count          BIGINT NOT NULL DEFAULT 0,
    existing_count     BIGINT NOT NULL DEFAULT 0,
    invalid_count      BIGINT NOT NULL DEFAULT 0,
    create_time        BIGINT NOT NULL,
    expire_time        BIGINT NOT NULL
);
CREATE INDEX import_uploads_expiry ON import_uploads (expire_time);

CREATE TABLE import_rows (
    upload_id     BIGINT NOT NULL REFERENCES import_uploads (id),
    row_no        BIGINT NOT NULL,
    resource_id   TEXT NOT NULL,
    cells         TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT '',
    email_lower   TEXT NOT NULL DEFAULT '',
    patch         TEXT,
    problems      TEXT,
    -- The live user an Exists row updates.
    target_user_id BIGINT,
    PRIMARY KEY (upload_id, row_no)
);
CREATE UNIQUE INDEX import_rows_resource ON import_rows (upload_id, resource_id);
CREATE INDEX import_rows_status ON import_rows (upload_id, status, row_no);

-- Background jobs (the UI's job log): an import's progress and outcome. `owner` is the server
-- process that runs it; `heartbeat_time` says it is alive, so that a job whose process died is
-- reported as failed rather than running forever.
CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id      BIGINT NOT NULL REFERENCES companies (id),
    resource_id     TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    name            TEXT NOT NULL,
    status          TEXT NOT NULL,
    owner           TEXT NOT NULL,
    target_count    BIGINT NOT NULL DEFAULT 0,
    created_count   BIGINT NOT NULL DEFAULT 0,
    updated_count   BIGINT NOT NULL DEFAULT 0,
    skipped_count   BIGINT NOT NULL DEFAULT 0,
    errors          TEXT NOT NULL DEFAULT '[]',
    error_message   TEXT,
    create_time     BIGINT NOT NULL,
    start_time      BIGINT,
    end_time        BIGINT,
    heartbeat_time  BIGINT NOT NULL
);
CREATE INDEX jobs_company ON jobs (company_id, create_time, id);
CREATE INDEX jobs_status ON jobs (status);
