-- staging_schema: the import's staging tables live in a schema of its own, created in the
-- import's transaction: a rolled-back or killed import takes them along, and (unlike temporary
-- tables) parallel workers can read them.
CREATE SCHEMA {{.}}
