-- overlap_schema: the overlap check's tables live in a schema of its own, created in its own
-- transaction, which it always rolls back: a killed import leaves nothing there either.
CREATE SCHEMA {{.}}
