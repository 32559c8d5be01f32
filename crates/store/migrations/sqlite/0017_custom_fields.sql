-- Custom fields (REFERENCE.md section I, issue #14): per-company definitions of extra target-user
-- fields, and each user's values. Names are unique per company in any case.
CREATE TABLE custom_fields (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id       BIGINT NOT NULL REFERENCES companies (id),
    resource_id      TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    name_lower       TEXT NOT NULL,
    -- Keepnet's TargetUserCustomFieldDataType: String, Number, Email, Boolean, Date, DateTime.
    data_type        TEXT NOT NULL,
    -- TargetUser, or TargetGroup for a field that belongs to one group (target_group_id).
    owner_type       TEXT NOT NULL DEFAULT 'TargetUser',
    target_group_id  BIGINT REFERENCES target_groups (id),
    is_active        INTEGER NOT NULL DEFAULT 1,
    is_required      INTEGER NOT NULL DEFAULT 0,
    sort_order       BIGINT NOT NULL DEFAULT 0,
    create_time      BIGINT NOT NULL,
    update_time      BIGINT NOT NULL
);
CREATE UNIQUE INDEX custom_fields_name ON custom_fields (company_id, name_lower);

-- One value per user and field, as the text the client sent (value_text), its lowercase copy for
-- text filters, and typed copies for the types that compare as numbers or times.
CREATE TABLE custom_field_values (
    field_id       BIGINT NOT NULL REFERENCES custom_fields (id),
    target_user_id BIGINT NOT NULL REFERENCES target_users (id),
    value_text     TEXT NOT NULL,
    value_lower    TEXT NOT NULL,
    value_number   DOUBLE PRECISION,
    value_time     BIGINT,
    PRIMARY KEY (field_id, target_user_id)
);
-- A user's values (rows, updates, deletes), and a field's values in order (filters, sorting).
CREATE INDEX custom_field_values_user ON custom_field_values (target_user_id, field_id);
CREATE INDEX custom_field_values_text ON custom_field_values (field_id, value_lower);
CREATE INDEX custom_field_values_number ON custom_field_values (field_id, value_number);
CREATE INDEX custom_field_values_time ON custom_field_values (field_id, value_time);
