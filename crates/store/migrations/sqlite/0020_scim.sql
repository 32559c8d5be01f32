-- SCIM 2.0 directory sync (issue #16, REFERENCE.md section I): a company's integrations, each
-- with one bearer token (stored as its SHA-256, looked up on every SCIM request), and what each
-- provisioned: users and groups keep their own rows in target_users / target_groups, and these
-- side tables hold what only SCIM knows about them (the integration, externalId, userName).
CREATE TABLE scim_settings (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id          BIGINT NOT NULL REFERENCES companies (id),
    resource_id         TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    name_lower          TEXT NOT NULL,
    -- Hex SHA-256 of the bearer token; a revoke replaces it.
    token_hash          TEXT NOT NULL UNIQUE,
    -- Every provisioned user joins this group (NULL: none).
    group_id            BIGINT REFERENCES target_groups (id),
    -- The SCIM attribute (catalogue id, docs/scim.md) whose value names the group a user joins;
    -- '' when users are not grouped by an attribute.
    group_by_field      TEXT NOT NULL DEFAULT '',
    sync_platform_group INTEGER NOT NULL DEFAULT 0,
    create_time         BIGINT NOT NULL,
    update_time         BIGINT NOT NULL
);
CREATE UNIQUE INDEX scim_settings_name ON scim_settings (company_id, name_lower);

-- SCIM attributes an integration writes into the company's custom fields.
CREATE TABLE scim_field_mappings (
    setting_id      BIGINT NOT NULL REFERENCES scim_settings (id),
    custom_field_id BIGINT NOT NULL REFERENCES custom_fields (id),
    scim_field      TEXT NOT NULL,
    PRIMARY KEY (setting_id, custom_field_id)
);
CREATE INDEX scim_field_mappings_field ON scim_field_mappings (custom_field_id);

-- Users an integration provisioned or claimed. userName is the user's email unless the
-- provider's userName is not an address (then it is kept here, with the email from `emails`).
CREATE TABLE scim_users (
    target_user_id  BIGINT PRIMARY KEY REFERENCES target_users (id),
    company_id      BIGINT NOT NULL REFERENCES companies (id),
    setting_id      BIGINT NOT NULL REFERENCES scim_settings (id),
    external_id     TEXT,
    user_name       TEXT,
    user_name_lower TEXT,
    -- The emails and phoneNumbers lists as the provider sent them (value, type, primary, JSON):
    -- rollcall keeps one email and one phone in target_users, and answers with these lists
    -- around them, so a provider reads back the types it wrote.
    contacts        TEXT
);
-- `externalId eq` and `userName eq` are index look-ups (issue #16).
CREATE INDEX scim_users_external_id ON scim_users (company_id, external_id);
CREATE INDEX scim_users_user_name ON scim_users (company_id, user_name_lower);
CREATE INDEX scim_users_setting ON scim_users (setting_id);

-- Groups an integration made: SCIM groups (isScimGroup), and the groups an attribute's values
-- name (`group_by_value`, lowercase; NULL for a SCIM group).
CREATE TABLE scim_groups (
    group_id       BIGINT PRIMARY KEY REFERENCES target_groups (id),
    company_id     BIGINT NOT NULL REFERENCES companies (id),
    setting_id     BIGINT NOT NULL REFERENCES scim_settings (id),
    external_id    TEXT,
    group_by_value TEXT
);
CREATE INDEX scim_groups_external_id ON scim_groups (company_id, external_id);
CREATE INDEX scim_groups_setting ON scim_groups (setting_id, group_by_value);
