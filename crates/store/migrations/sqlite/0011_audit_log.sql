-- The audit trail: who did what, from where, written in the same transaction as the change it
-- records (token events and exports, which change no data, on their own).
--
-- company_id has no foreign key and company_path is a copy of the company's `companies.path`:
-- rows outlive the company they describe (a deleted company's history stays readable by the
-- resellers above it), and a reseller's subtree is one prefix range on an index. Both are NULL
-- for events tied to no company (a token request naming an unknown client id).
-- *_lower columns hold the lowercase copies that filters and sorting use, as elsewhere.
CREATE TABLE audit_log (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id           TEXT NOT NULL UNIQUE,
    company_id            BIGINT,
    company_path          TEXT,
    log_date              BIGINT NOT NULL,
    -- The OAuth client id that acted (`userName`), or `system` for the server's own writes.
    actor_client_id       TEXT NOT NULL,
    actor_client_id_lower TEXT NOT NULL,
    actor_resource_id     TEXT,
    -- The acting client's company `path` (NULL: the server itself, or an unknown client id).
    -- Readers below it see the row without ip and user_agent (a parent reseller's address is
    -- not its customers' business).
    actor_company_path    TEXT,
    ip                    TEXT,
    user_agent            TEXT,
    user_agent_lower      TEXT,
    operation             TEXT NOT NULL,
    operation_lower       TEXT NOT NULL,
    entity_name           TEXT NOT NULL,
    entity_name_lower     TEXT NOT NULL,
    entity_resource_id    TEXT,
    -- JSON of the fields before and after; never a secret, a secret's hash or a token.
    old_value             TEXT,
    old_value_lower       TEXT,
    new_value             TEXT,
    new_value_lower       TEXT,
    description           TEXT NOT NULL,
    description_lower     TEXT NOT NULL
);
-- A company's (or a subtree's) rows newest first; a Company Admin's rows are one path.
CREATE INDEX audit_log_company_date ON audit_log (company_path, log_date, id);
-- Retention deletes the oldest rows first, in small batches.
CREATE INDEX audit_log_date ON audit_log (log_date);
