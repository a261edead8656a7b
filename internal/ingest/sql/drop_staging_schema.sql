-- drop_staging_schema: the staging tables go before the import commits.
DROP SCHEMA {{.}} CASCADE
