-- Booleans are INTEGER 0/1 here (sqlx's Any driver cannot decode SQLite's BOOLEAN affinity).
-- Core schema: settings, lookup catalogues, the company tree, REST API clients and the
-- per-company target-user counters. Times are UTC milliseconds since the epoch (BIGINT) on both
-- engines so that comparisons and month buckets behave identically everywhere.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE lookups (
    kind        TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    name        TEXT NOT NULL,
    name_lower  TEXT NOT NULL,
    code        TEXT,
    sort_order  BIGINT NOT NULL,
    PRIMARY KEY (kind, resource_id)
);

CREATE TABLE companies (
    id                         INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id                TEXT NOT NULL UNIQUE,
    parent_id                  BIGINT REFERENCES companies (id),
    -- '/<root id>/.../<own id>/': a subtree is one prefix range on an index.
    path                       TEXT NOT NULL,
    name                       TEXT NOT NULL,
    name_lower                 TEXT NOT NULL,
    description                TEXT,
    address                    TEXT,
    website_url                TEXT,
    logo_url                   TEXT,
    country_id                 TEXT,
    industry_id                TEXT,
    license_type_id            TEXT,
    license_period_type_id     TEXT,
    is_number_of_users_limited INTEGER NOT NULL,
    number_of_users            BIGINT,
    license_start_date         BIGINT,
    license_end_date           BIGINT,
    time_zone_id               TEXT,
    date_format                TEXT,
    time_format                TEXT,
    status_id                  BIGINT NOT NULL DEFAULT 1,
    tags                       TEXT NOT NULL DEFAULT '[]',
    -- '|tag one|tag two|' in lowercase, for Contains / Include filters.
    tags_lower                 TEXT NOT NULL DEFAULT '',
    create_time                BIGINT NOT NULL,
    update_time                BIGINT
);
CREATE INDEX companies_path ON companies (path);
CREATE INDEX companies_parent ON companies (parent_id);

CREATE TABLE api_clients (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id         BIGINT NOT NULL REFERENCES companies (id),
    resource_id        TEXT NOT NULL UNIQUE,
    name               TEXT NOT NULL,
    client_id          TEXT NOT NULL UNIQUE,
    secret_hash        TEXT NOT NULL,
    role               TEXT NOT NULL,
    status_id          BIGINT NOT NULL,
    has_ip_restriction INTEGER NOT NULL,
    allowed_ips        TEXT NOT NULL DEFAULT '[]',
    create_time        BIGINT NOT NULL,
    update_time        BIGINT
);
CREATE INDEX api_clients_company ON api_clients (company_id);

-- One row per company and creation month (YYYYMM, UTC): how many of the users created that month
-- are now active, inactive or deleted. Kept in the same transaction as every target-user write.
CREATE TABLE target_user_counters (
    company_id BIGINT NOT NULL REFERENCES companies (id),
    month      BIGINT NOT NULL,
    active     BIGINT NOT NULL DEFAULT 0,
    inactive   BIGINT NOT NULL DEFAULT 0,
    deleted    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (company_id, month)
);

CREATE VIEW company_v AS
SELECT c.id,
       c.resource_id,
       c.path,
       c.parent_id,
       c.name,
       c.name_lower,
       p.name                       AS reseller_name,
       p.name_lower                 AS reseller_name_lower,
       ind.name                     AS industry_name,
       ind.name_lower               AS industry_name_lower,
       c.industry_id,
       lt.name                      AS license_type_name,
       lt.name_lower                AS license_type_name_lower,
       c.license_type_id,
       c.is_number_of_users_limited,
       c.number_of_users,
       c.license_end_date,
       c.create_time,
       c.tags,
       c.tags_lower,
       COALESCE(t.active, 0)        AS target_user_count,
       COALESCE(t.inactive, 0)      AS inactive_target_user_count,
       COALESCE(t.deleted, 0)       AS deleted_target_user_count
FROM companies c
LEFT JOIN companies p ON p.id = c.parent_id
LEFT JOIN lookups ind ON ind.kind = 'industry' AND ind.resource_id = c.industry_id
LEFT JOIN lookups lt ON lt.kind = 'license_type' AND lt.resource_id = c.license_type_id
LEFT JOIN (SELECT company_id,
                  SUM(active)   AS active,
                  SUM(inactive) AS inactive,
                  SUM(deleted)  AS deleted
           FROM target_user_counters
           GROUP BY company_id) t ON t.company_id = c.id;
