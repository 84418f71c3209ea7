-- Bookable times keep each host's busy intervals in memory between requests. Any write to a
-- host's rows in appointment_hosts (a booking, a cancel, a reschedule, a delete) counts up the
-- host's busy_version in the same transaction, and a request reads the version with the host's
-- user row: a kept copy is used only while its version is current, on every node.
--
-- The UPDATE locks the host's user row. Every write path locks its hosts' rows first, in id
-- order (lock_users), so these updates add no new lock order.
ALTER TABLE users ADD COLUMN busy_version BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION appointment_hosts_busy_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE users SET busy_version = busy_version + 1 WHERE id = OLD.user_id;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.user_id <> OLD.user_id) THEN
        UPDATE users SET busy_version = busy_version + 1 WHERE id = NEW.user_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER appointment_hosts_busy_version AFTER INSERT OR UPDATE OR DELETE ON appointment_hosts
    FOR EACH ROW EXECUTE FUNCTION appointment_hosts_busy_version();
