-- counties_missing: the county codes of the file ($1) that no loaded outline has.
SELECT coalesce(array_agg(c ORDER BY c), '{}')
FROM unnest($1::text[]) c
WHERE NOT EXISTS (SELECT 1 FROM ingest_county k WHERE k.code = c)
