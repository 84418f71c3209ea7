-- SQLite's overlap triggers got a bounded range scan in this version; PostgreSQL's exclusion
-- constraint already uses a GiST index. Both get the index joining deliveries to their events.
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
