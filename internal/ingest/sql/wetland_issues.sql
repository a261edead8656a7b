-- wetland_issues: an error on every row whose type or importance is empty or unknown. $1 the
-- type field, $2 the importance field, $3 the accepted importance values, for the message.
INSERT INTO ingest_issue (row, key, severity, check_id, message)
SELECT row, key, 'error', 'wetland_type', CASE WHEN type_value IS NULL THEN format('%s is empty', $1::text)
	ELSE format('%s %s is neither a code nor a name of the wetland types (GB/T 24708, table wetland_type)', $1::text, quote_literal(type_value)) END
FROM ingest_src WHERE type_code IS NULL
UNION ALL
SELECT row, key, 'error', 'importance', CASE WHEN importance_value IS NULL THEN format('%s is empty', $2::text)
	ELSE format('%s %s is not an importance; use one of %s', $2::text, quote_literal(importance_value), $3::text) END
FROM ingest_src WHERE importance IS NULL
