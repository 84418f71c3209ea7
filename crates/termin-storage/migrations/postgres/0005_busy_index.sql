-- Bookable times read every active busy interval of the hosts in a window. This index holds all
-- that the read needs (host, start, end, and the appointment to ignore when rescheduling), so
-- the read is one range scan per host with no lookup into the table.
CREATE INDEX appointment_hosts_busy ON appointment_hosts (user_id, start_at, end_at, appointment_id)
    WHERE active = 1;
