-- PostgreSQL twin of migrations/sqlite/0012_company_privacy.sql.
-- Account privacy (issue #13; REFERENCE.md I "Account privacy"): whether a customer lets the
-- reseller above it into its data. privacy_duration_id is Keepnet's id: 0 deny, 1 access
-- continuously, 2 two hours, 3 eight hours, 4 one day, 5 seven days. A window (2 to 5) runs from
-- start to end time (UTC milliseconds); both are NULL for 0 and 1. Existing companies, like new
-- ones, start at 1: they were open to their reseller before this setting existed.
ALTER TABLE companies ADD COLUMN privacy_duration_id BIGINT NOT NULL DEFAULT 1;
ALTER TABLE companies ADD COLUMN privacy_duration_start_time BIGINT;
ALTER TABLE companies ADD COLUMN privacy_duration_end_time BIGINT;

-- The company search reads its rows from this view: it gains the three columns.
DROP VIEW company_v;
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
       c.privacy_duration_id,
       c.privacy_duration_start_time,
       c.privacy_duration_end_time,
       CAST(COALESCE(t.active, 0) AS BIGINT)        AS target_user_count,
       CAST(COALESCE(t.inactive, 0) AS BIGINT)      AS inactive_target_user_count,
       CAST(COALESCE(t.deleted, 0) AS BIGINT)       AS deleted_target_user_count
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
