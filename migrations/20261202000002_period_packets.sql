-- Evidence packets for a period (issue 16): the first day of the period; the as-of date is its
-- last day. NULL for a packet of one day.
ALTER TABLE packets ADD COLUMN period_from TEXT;
