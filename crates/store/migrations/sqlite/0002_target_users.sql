-- Target users. Text columns are NOT NULL ('' when absent) so that comparisons and sorting behave
-- the same on both engines; *_lower columns hold the lowercase copies that filters and sorting use.
CREATE TABLE target_users (
    id                       INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id               BIGINT NOT NULL REFERENCES companies (id),
    resource_id              TEXT NOT NULL UNIQUE,
    email                    TEXT NOT NULL,
    email_lower              TEXT NOT NULL,
    first_name               TEXT NOT NULL DEFAULT '',
    first_name_lower         TEXT NOT NULL DEFAULT '',
    last_name                TEXT NOT NULL DEFAULT '',
    last_name_lower          TEXT NOT NULL DEFAULT '',
    department               TEXT NOT NULL DEFAULT '',
    department_lower         TEXT NOT NULL DEFAULT '',
    phone_number             TEXT NOT NULL DEFAULT '',
    phone_lower              TEXT NOT NULL DEFAULT '',
    -- 1 VeryLow, 2 Low, 3 Medium, 4 High, 5 VeryHigh
    priority                 BIGINT NOT NULL DEFAULT 3,
    is_active                INTEGER NOT NULL,
    is_deleted               INTEGER NOT NULL DEFAULT 0,
    time_zone_id             TEXT NOT NULL DEFAULT '',
    preferred_language_id    TEXT NOT NULL DEFAULT '',
    manager_first_name       TEXT NOT NULL DEFAULT '',
    manager_last_name        TEXT NOT NULL DEFAULT '',
    manager_email            TEXT NOT NULL DEFAULT '',
    manager_full_name_lower  TEXT NOT NULL DEFAULT '',
    manager_email_lower      TEXT NOT NULL DEFAULT '',
    create_time              BIGINT NOT NULL,
    -- YYYYMM of create_time (UTC): the month a user counts as "monthly active" in.
    create_month             BIGINT NOT NULL,
    update_time              BIGINT NOT NULL,
    delete_time              BIGINT
);
-- Email is unique per company among users that are not deleted, case-insensitively.
CREATE UNIQUE INDEX target_users_email_live ON target_users (company_id, email_lower) WHERE is_deleted = 0;
-- Paging in the default order and the common sort orders, each ending in the unique id.
CREATE INDEX target_users_created ON target_users (company_id, create_time, id);
CREATE INDEX target_users_email ON target_users (company_id, email_lower, id);
CREATE INDEX target_users_first ON target_users (company_id, first_name_lower, id);
CREATE INDEX target_users_last ON target_users (company_id, last_name_lower, id);
CREATE INDEX target_users_dept ON target_users (company_id, department_lower, id);
CREATE INDEX target_users_month ON target_users (company_id, create_month);
