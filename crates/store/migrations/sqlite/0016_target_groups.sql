-- Target groups (REFERENCE.md C.11): named sets of a company's target users that campaigns and
-- training are sent to. Names are unique per company in any case.
CREATE TABLE target_groups (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id            BIGINT NOT NULL REFERENCES companies (id),
    resource_id           TEXT NOT NULL UNIQUE,
    name                  TEXT NOT NULL,
    name_lower            TEXT NOT NULL,
    -- 1 VeryLow, 2 Low, 3 Medium, 4 High, 5 VeryHigh, as target users.
    priority              BIGINT NOT NULL DEFAULT 3,
    is_active             INTEGER NOT NULL DEFAULT 1,
    -- Members, and members with a phone number, kept in step by every write that changes a
    -- membership or a member's phone, so that a search page never counts members per group.
    user_count            BIGINT NOT NULL DEFAULT 0,
    user_count_with_phone BIGINT NOT NULL DEFAULT 0,
    create_time           BIGINT NOT NULL,
    update_time           BIGINT NOT NULL
);
CREATE UNIQUE INDEX target_groups_name ON target_groups (company_id, name_lower);
CREATE INDEX target_groups_created ON target_groups (company_id, create_time, id);

-- Memberships of live users: deleting a user removes its rows (and its groups' counts).
CREATE TABLE target_group_members (
    group_id       BIGINT NOT NULL REFERENCES target_groups (id),
    target_user_id BIGINT NOT NULL REFERENCES target_users (id),
    PRIMARY KEY (group_id, target_user_id)
);
-- A user's groups (rows, the TargetGroup filter, deletes).
CREATE INDEX target_group_members_user ON target_group_members (target_user_id, group_id);
