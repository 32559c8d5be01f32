-- Allowed domains (Keepnet's allow-list, REFERENCE.md section I): the email domains a company
-- has proved it owns, by a DNS TXT record or by its Reseller's word.
CREATE TABLE allow_list (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id      BIGINT NOT NULL REFERENCES companies (id),
    resource_id     TEXT NOT NULL UNIQUE,
    -- Lowercase, no trailing dot: compared as stored.
    domain          TEXT NOT NULL,
    -- The value the company publishes in a TXT record at the domain.
    txt_record      TEXT NOT NULL,
    is_verified     INTEGER NOT NULL DEFAULT 0,
    -- 'verified' or 'unverified', for the Status filter (text, as the search rows show it).
    status_lower    TEXT NOT NULL DEFAULT 'unverified',
    verify_time     BIGINT,
    -- 1: the TXT record was found in DNS; 2: marked as verified by a Reseller.
    verify_type     BIGINT,
    -- The OAuth client id that verified it (a DNS check or a mark).
    verified_by     TEXT,
    last_check_time BIGINT,
    create_time     BIGINT NOT NULL
);
-- One entry per domain and company; also the probe of "is this user's domain verified".
CREATE UNIQUE INDEX allow_list_domain ON allow_list (company_id, domain);

-- Each target user's email domain (lowercase, after the '@'), so that the allow-list filter is
-- an index probe on (company, domain) and the unverified domains one index walk.
ALTER TABLE target_users ADD COLUMN email_domain TEXT NOT NULL DEFAULT '';
UPDATE target_users
SET email_domain = CASE WHEN instr(email_lower, '@') > 0
                        THEN substr(email_lower, instr(email_lower, '@') + 1) ELSE '' END;
CREATE INDEX target_users_domain ON target_users (company_id, email_domain);
