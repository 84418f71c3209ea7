-- Bookable times read every active busy interval of the hosts in a window. On PostgreSQL the
-- exclusion constraint's GiST index (user_id, int8range(start_at, end_at)) already answers that
-- read exactly (busy_for_hosts states the overlap as ranges), so no index is added here; SQLite's
-- migration 5 adds a covering one. The number is kept so both dialects count alike.
SELECT 1;
