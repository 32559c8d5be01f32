-- A trigram full-text index over the lowercase search columns, so that `Contains` (LIKE '%x%')
-- on them does not scan every user. External content: the rows live in target_users; triggers
-- keep the index in step. case_sensitive 1 matches `PRAGMA case_sensitive_like = ON` (the
-- columns are lowercase already).
CREATE VIRTUAL TABLE target_users_fts USING fts5(
    email_lower, first_name_lower, last_name_lower, department_lower,
    content = 'target_users', content_rowid = 'id', tokenize = 'trigram case_sensitive 1'
);

CREATE TRIGGER target_users_fts_insert AFTER INSERT ON target_users BEGIN
    INSERT INTO target_users_fts (rowid, email_lower, first_name_lower, last_name_lower, department_lower)
    VALUES (new.id, new.email_lower, new.first_name_lower, new.last_name_lower, new.department_lower);
END;

CREATE TRIGGER target_users_fts_delete AFTER DELETE ON target_users BEGIN
    INSERT INTO target_users_fts (target_users_fts, rowid, email_lower, first_name_lower, last_name_lower, department_lower)
    VALUES ('delete', old.id, old.email_lower, old.first_name_lower, old.last_name_lower, old.department_lower);
END;

CREATE TRIGGER target_users_fts_update AFTER UPDATE OF email_lower, first_name_lower, last_name_lower, department_lower
ON target_users BEGIN
    INSERT INTO target_users_fts (target_users_fts, rowid, email_lower, first_name_lower, last_name_lower, department_lower)
    VALUES ('delete', old.id, old.email_lower, old.first_name_lower, old.last_name_lower, old.department_lower);
    INSERT INTO target_users_fts (rowid, email_lower, first_name_lower, last_name_lower, department_lower)
    VALUES (new.id, new.email_lower, new.first_name_lower, new.last_name_lower, new.department_lower);
END;

INSERT INTO target_users_fts (target_users_fts) VALUES ('rebuild');
