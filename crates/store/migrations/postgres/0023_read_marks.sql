-- Each API client's last write, as a position in the primary's WAL, so that its reads go to a
-- read replica only once the replica has replayed that far (src/replica.rs). Unlogged: the
-- marks matter only while replicas catch up, and must not themselves be replicated.
CREATE UNLOGGED TABLE read_marks (
    client_key TEXT PRIMARY KEY,
    lsn BIGINT NOT NULL
);
