-- zone_kind_issues: an error on every row whose zone value is empty or maps to no zone kind ($4).
-- $1 the zone field, $2 the area kind, $3 its zone kinds, for the message.
INSERT INTO ingest_issue (row, key, severity, check_id, message)
SELECT row, key, 'error', 'zone_kind', CASE WHEN value IS NULL THEN format('%s is empty', $1::text)
	ELSE format('%s %s is not a zone kind of a %s (%s); map it with --value-map %s=KIND', $1::text, quote_literal(value), $2::text, $3::text, value) END
FROM ingest_src
WHERE value IS NULL OR value = ANY($4)
