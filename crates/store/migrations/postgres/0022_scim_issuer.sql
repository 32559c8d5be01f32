-- PostgreSQL twin of migrations/sqlite/0022_scim_issuer.sql (which explains the column).
ALTER TABLE scim_settings ADD COLUMN issued_by_reseller BOOLEAN NOT NULL DEFAULT FALSE;
