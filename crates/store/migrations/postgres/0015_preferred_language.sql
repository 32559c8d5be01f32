-- PostgreSQL twin of migrations/sqlite/0015_preferred_language.sql.
-- Company language (issue #13; REFERENCE.md C.4: Keepnet's company has
-- PreferredLanguageTypeResourceId, and the UI's add-user form defaults a user's
-- preferredLanguageId to it). A language resource id of GET /api/lookups/21, NULL when unset.
-- company_v is not recreated: it lists its columns by name, and no companies search row or
-- filter carries the language (Keepnet's SearchCompanyDto has none).
ALTER TABLE companies ADD COLUMN preferred_language_id TEXT;

-- preferredLanguageId is stored as the catalogue's canonical resource id (docs/api.md, "Lookups
-- and time zones"), so that the UI's column filter on a language's id selects every user of that
-- language. Users written before this ruling keep the spelling they were sent with: an ISO 639-1
-- code ('tr', any case) or a tag starting with one ('tr-TR', 'pt_BR'). Rewrite those to the id;
-- values that name no language of the catalogue are left alone. `m` is the catalogue's language
-- list (crates/store/src/catalog.rs; a unit test checks the two agree).
-- rewrite:
WITH m(code, id) AS (VALUES
    ('en', 'LangEnglish0'),
    ('tr', 'LangTurkish0'),
    ('de', 'LangGerman00'),
    ('fr', 'LangFrench00'),
    ('es', 'LangSpanish0'),
    ('it', 'LangItalian0'),
    ('pt', 'LangPortugse'),
    ('nl', 'LangDutch000'),
    ('pl', 'LangPolish00'),
    ('sv', 'LangSwedish0'),
    ('no', 'LangNorwegn0'),
    ('da', 'LangDanish00'),
    ('fi', 'LangFinnish0'),
    ('cs', 'LangCzech000'),
    ('el', 'LangGreek000'),
    ('hu', 'LangHungarn0'),
    ('ro', 'LangRomania0'),
    ('ru', 'LangRussian0'),
    ('uk', 'LangUkrainn0'),
    ('ar', 'LangArabic00'),
    ('hi', 'LangHindi000'),
    ('ja', 'LangJapanes0'),
    ('ko', 'LangKorean00'),
    ('zh', 'LangChinese0')
)
UPDATE target_users
SET preferred_language_id = (
    SELECT m.id FROM m
    WHERE LOWER(target_users.preferred_language_id) = m.code
       OR LOWER(SUBSTR(target_users.preferred_language_id, 1, 3)) IN (m.code || '-', m.code || '_')
)
WHERE preferred_language_id NOT IN (SELECT id FROM m)
  AND EXISTS (
    SELECT 1 FROM m
    WHERE LOWER(target_users.preferred_language_id) = m.code
       OR LOWER(SUBSTR(target_users.preferred_language_id, 1, 3)) IN (m.code || '-', m.code || '_')
  );
