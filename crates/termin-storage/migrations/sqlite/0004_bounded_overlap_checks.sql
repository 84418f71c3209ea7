-- The overlap triggers scanned every earlier appointment of the host (the index on
-- (user_id, start_at) bounds only one side of the range). No appointment lasts longer than
-- 480 minutes (meeting type durations are validated to 5..480), so an overlapping appointment
-- starts less than 480 minutes before the new one ends: bounding start_at on both sides turns
-- the check into a short index range scan.
DROP TRIGGER appointment_hosts_no_overlap_insert;
DROP TRIGGER appointment_hosts_no_overlap_update;

CREATE TRIGGER appointment_hosts_no_overlap_insert BEFORE INSERT ON appointment_hosts
WHEN NEW.active = 1 AND EXISTS (
    SELECT 1 FROM appointment_hosts h
    WHERE h.user_id = NEW.user_id AND h.active = 1 AND h.appointment_id <> NEW.appointment_id
      AND h.start_at < NEW.end_at AND h.start_at > NEW.start_at - 28800000
      AND NEW.start_at < h.end_at)
BEGIN
    SELECT RAISE(ABORT, 'appointment_hosts_no_overlap');
END;
CREATE TRIGGER appointment_hosts_no_overlap_update BEFORE UPDATE ON appointment_hosts
WHEN NEW.active = 1 AND EXISTS (
    SELECT 1 FROM appointment_hosts h
    WHERE h.user_id = NEW.user_id AND h.active = 1 AND h.appointment_id <> NEW.appointment_id
      AND h.start_at < NEW.end_at AND h.start_at > NEW.start_at - 28800000
      AND NEW.start_at < h.end_at)
BEGIN
    SELECT RAISE(ABORT, 'appointment_hosts_no_overlap');
END;

-- Deliveries are joined to their events by id.
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
