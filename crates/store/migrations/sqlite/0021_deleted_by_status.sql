-- Deleted users by status (issue #17): the counters split the deleted ones into active and
-- inactive, so that a search filtered on Status and IsDeleted alone takes its total from the
-- counters instead of counting rows. `deleted` stays the total; the inactive ones are
-- deleted - deleted_active.
ALTER TABLE target_user_counters ADD COLUMN deleted_active BIGINT NOT NULL DEFAULT 0;
UPDATE target_user_counters SET deleted_active = (
    SELECT COUNT(*) FROM target_users u
    WHERE u.company_id = target_user_counters.company_id
      AND u.create_month = target_user_counters.month
      AND u.is_deleted = 1 AND u.is_active = 1
);
