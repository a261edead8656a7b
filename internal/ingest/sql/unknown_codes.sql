-- unknown_codes: a warning on every row whose code in {{.}} no scheme knows ($4); the code is
-- kept in extra (unknown_codes_to_extra.sql) unless it looks like personal data, and the report
-- never shows such a value. $1 field, $2 scheme, $3 the file's field name.
INSERT INTO ingest_issue (row, key, severity, check_id, message)
SELECT row, key, 'warning', 'unknown_code', CASE WHEN looks_like_personal_data({{.}})
	THEN format('unknown %s code (a value that looks like personal data, not shown) in code scheme %s: %s is left empty and the value is not kept',
		$1::text, $2::text, $1::text)
	ELSE format('unknown %s code %s (code scheme %s): %s is left empty and the code kept in extra as %s',
		$1::text, quote_literal({{.}}), $2::text, $1::text, $3::text) END
FROM ingest_src WHERE {{.}} = ANY($4)
