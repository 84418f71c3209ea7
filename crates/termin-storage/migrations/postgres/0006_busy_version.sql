-- Bookable times keep each host's busy intervals in memory between requests. Every write to a
-- host's rows in appointment_hosts (a booking, a cancel, a reschedule) counts up the host's
-- busy_version in the same transaction, and a request reads the version with the host's user
-- row: a kept copy is used only while its version is current, on every node.
--
-- On PostgreSQL the count is kept by the row lock every such writer takes first on its hosts
-- (`lock_users`, in id order): it is an UPDATE of busy_version instead of a SELECT ... FOR
-- UPDATE, the same lock at no extra statement. A trigger doing the same cost a tenth of the
-- bookings per second. (SQLite, which serialises writers without row locks, uses triggers.)
ALTER TABLE users ADD COLUMN busy_version BIGINT NOT NULL DEFAULT 0;
