-- outside_issues: a row mostly outside its county is an error (is the CRS right?), one partly
-- outside a warning. $1 is the tolerance in metres, for the message.
INSERT INTO ingest_issue (row, key, severity, check_id, message, area_m2)
SELECT row, key, CASE WHEN outside > 0.5 * total THEN 'error' ELSE 'warning' END,
	'outside_county',
	format('%s m² (%s %%) lies outside county %s, beyond the %s m tolerance%s', round(outside::numeric, 1),
		round((100 * outside / nullif(total, 0))::numeric, 2), code, $1::numeric,
		CASE WHEN outside > 0.5 * total THEN ' (is the CRS right?)' ELSE '' END),
	outside
FROM ingest_outside
