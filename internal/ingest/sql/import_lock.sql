-- import_lock: imports run one at a time ($1 is the import lock's key): two imports of the same
-- keys must not race.
SELECT pg_advisory_xact_lock($1)
