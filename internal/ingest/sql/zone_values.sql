-- zone_values: the distinct zone values of the file.
SELECT coalesce(array_agg(DISTINCT value), '{}') FROM ingest_src WHERE value IS NOT NULL
