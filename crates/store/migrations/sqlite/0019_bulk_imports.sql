-- Bulk writes and the trigram index (issue #15).
--
-- FTS5 writes its pending entries out at the end of every statement that changes it, so an
-- import that inserts users 500 a statement left thousands of small segments to merge, and one
-- that updated users a statement each, one segment per user. An import now holds a row in
-- fts_paused inside its own transaction (SQLite has one writer, so no other write sees it; a
-- crash rolls it back with the import); while it is there neither trigger below writes. The
-- import rewrites the trigrams of the users it updates itself, 400 a statement, and indexes the
-- users it created with one INSERT ... SELECT before it removes the row and commits.
CREATE TABLE fts_paused (
    id INTEGER PRIMARY KEY CHECK (id = 1)
);

DROP TRIGGER target_users_fts_insert;
CREATE TRIGGER target_users_fts_insert AFTER INSERT ON target_users
WHEN NOT EXISTS (SELECT 1 FROM fts_paused)
BEGIN
    INSERT INTO target_users_fts (rowid, email_lower, first_name_lower, last_name_lower, department_lower)
    VALUES (new.id, new.email_lower, new.first_name_lower, new.last_name_lower, new.department_lower);
END;

-- An update that leaves the four searched columns as they were (a phone number, a status
-- change) no longer rewrites the user's trigrams.
DROP TRIGGER target_users_fts_update;
CREATE TRIGGER target_users_fts_update AFTER UPDATE OF email_lower, first_name_lower, last_name_lower, department_lower
ON target_users
WHEN NOT EXISTS (SELECT 1 FROM fts_paused)
    AND (old.email_lower IS NOT new.email_lower OR old.first_name_lower IS NOT new.first_name_lower
        OR old.last_name_lower IS NOT new.last_name_lower OR old.department_lower IS NOT new.department_lower)
BEGIN
    INSERT INTO target_users_fts (target_users_fts, rowid, email_lower, first_name_lower, last_name_lower, department_lower)
    VALUES ('delete', old.id, old.email_lower, old.first_name_lower, old.last_name_lower, old.department_lower);
    INSERT INTO target_users_fts (rowid, email_lower, first_name_lower, last_name_lower, department_lower)
    VALUES (new.id, new.email_lower, new.first_name_lower, new.last_name_lower, new.department_lower);
END;

-- Pending entries are written out at 32 MiB instead of 1 MiB: the import's one INSERT ... SELECT
-- then builds a few large segments instead of many small ones to merge.
INSERT INTO target_users_fts (target_users_fts, rank) VALUES ('hashsize', 33554432);

-- An upload's rows by email: the row checks find the first row of each email in the rows
-- checked before, a batch at a time, instead of keeping every email of the file in memory.
CREATE INDEX import_rows_email ON import_rows (upload_id, email_lower, row_no);
