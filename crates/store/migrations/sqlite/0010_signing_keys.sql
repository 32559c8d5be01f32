-- Token signing keys, each named by the `kid` that tokens carry in their header. The newest key
-- with accept_until NULL signs; a rotated key keeps verifying the tokens it signed until
-- accept_until (UTC milliseconds: the rotation time plus the longest token lifetime), then it is
-- deleted. Replaces the single `settings.jwt_signing_key`, which becomes the key 'legacy'.
CREATE TABLE signing_keys (
    kid          TEXT PRIMARY KEY,
    secret       TEXT NOT NULL,
    create_time  BIGINT NOT NULL,
    accept_until BIGINT
);

INSERT INTO signing_keys (kid, secret, create_time, accept_until)
SELECT 'legacy', value, 0, NULL FROM settings WHERE key = 'jwt_signing_key';

DELETE FROM settings WHERE key = 'jwt_signing_key';
