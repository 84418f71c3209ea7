-- Bookable times keep each host's busy intervals in memory between requests. Any write to a
-- host's rows in appointment_hosts (a booking, a cancel, a reschedule, a delete) counts up the
-- host's busy_version in the same transaction, and a request reads the version with the host's
-- user row: a kept copy is used only while its version is current, on every node.
ALTER TABLE users ADD COLUMN busy_version BIGINT NOT NULL DEFAULT 0;

CREATE TRIGGER appointment_hosts_busy_version_insert AFTER INSERT ON appointment_hosts
BEGIN
    UPDATE users SET busy_version = busy_version + 1 WHERE id = NEW.user_id;
END;

CREATE TRIGGER appointment_hosts_busy_version_update AFTER UPDATE ON appointment_hosts
BEGIN
    UPDATE users SET busy_version = busy_version + 1 WHERE id IN (OLD.user_id, NEW.user_id);
END;

CREATE TRIGGER appointment_hosts_busy_version_delete AFTER DELETE ON appointment_hosts
BEGIN
    UPDATE users SET busy_version = busy_version + 1 WHERE id = OLD.user_id;
END;
