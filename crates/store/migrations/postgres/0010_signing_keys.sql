-- Token signing keys, each named by the `kid` that tokens carry in their header. The one key with
-- live = 1 signs; a rotated key keeps verifying the tokens it signed until accept_until (UTC
-- milliseconds: the rotation time plus the longest token lifetime), then it is deleted. live is
-- 1 or NULL and unique, so replicas starting together on an empty database cannot each add a
-- live key. Replaces the single `settings.jwt_signing_key`, which becomes the key 'legacy' (the
-- server replaces it at its next start: older versions kept it in a file other users could read).
CREATE TABLE signing_keys (
    kid          TEXT PRIMARY KEY,
    secret       TEXT NOT NULL,
    create_time  BIGINT NOT NULL,
    accept_until BIGINT,
    live         BIGINT UNIQUE
);

INSERT INTO signing_keys (kid, secret, create_time, accept_until, live)
SELECT 'legacy', value, 0, NULL, 1 FROM settings WHERE key = 'jwt_signing_key';

DELETE FROM settings WHERE key = 'jwt_signing_key';
