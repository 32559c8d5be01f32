-- PostgreSQL twin of migrations/sqlite/0021_deleted_by_status.sql (which explains the column).
ALTER TABLE target_user_counters ADD COLUMN deleted_active BIGINT NOT NULL DEFAULT 0;
UPDATE target_user_counters c SET deleted_active = (
    SELECT COUNT(*) FROM target_users u
    WHERE u.company_id = c.company_id AND u.create_month = c.month
      AND u.is_deleted AND u.is_active
);
