-- An inactive REST API client is statusId 0 on the wire and in storage (CONTRACT.md, rulings
-- of 2026-12-05: Keepnet's UI reads Boolean(statusId) and deactivates with 0). Until now
-- inactive was stored as 2; every value other than 1 was inactive.
UPDATE api_clients SET status_id = 0 WHERE status_id <> 1;
