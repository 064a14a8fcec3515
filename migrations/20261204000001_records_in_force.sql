-- Reads select only the version in force per entity (ROW_NUMBER() over each entity's versions
-- ordered by effective_on, seq): this index hands them over in that order, so neither engine
-- sorts the versions of a workspace's records on every cold read.
CREATE INDEX records_in_force ON records (workspace_id, kind, entity_id, effective_on, seq);
