-- parcel_attribute_issues: the key, the legal area and the numbers, in one pass. The WHERE clause
-- spares the rows with nothing to say (nearly all) the lateral VALUES.
INSERT INTO ingest_issue (row, key, severity, check_id, message)
SELECT s.row, s.key, x.severity, x.check_id, x.message
FROM ingest_src s CROSS JOIN LATERAL (VALUES
	('error', 'key', CASE WHEN s.code IS NULL THEN 'incomplete or malformed key: ' || concat_ws('; ',
		CASE WHEN s.xian IS NULL THEN 'XIAN is empty' WHEN s.xian !~ '^[0-9]{6}$' THEN format('XIAN %s is not 6 digits', quote_literal(s.xian)) END,
		CASE WHEN s.xiang IS NULL THEN 'XIANG is empty' WHEN s.xiang !~ '^[0-9]{3}$' THEN format('XIANG %s is not 3 digits (or the 9-digit township code)', quote_literal(s.r_xiang)) END,
		CASE WHEN s.cun IS NULL THEN 'CUN is empty' WHEN s.cun !~ '^[0-9]{3}$' THEN format('CUN %s is not 3 digits (or the 12-digit village code)', quote_literal(s.r_cun)) END,
		CASE WHEN s.lin_ban IS NULL THEN 'LIN_BAN is empty' END,
		CASE WHEN s.xiao_ban IS NULL THEN 'XIAO_BAN is empty' END) END),
	('error', 'mian_ji', CASE WHEN s.r_mian_ji IS NULL THEN 'MIAN_JI (legal area, ha) is empty'
		WHEN s.mian_ji IS NULL OR s.mian_ji <= 0 THEN format('MIAN_JI %s is not a positive number of hectares', quote_literal(s.r_mian_ji)) END){{range .Numbers}},
	('warning', {{literal .Check}}, CASE WHEN s.r_{{.Property}} IS NOT NULL AND s.{{.Property}} IS NULL
		THEN format({{literal .Message}}, quote_literal(s.r_{{.Property}})) END){{end}}
	) AS x(severity, check_id, message)
WHERE (s.code IS NULL OR s.mian_ji IS NULL OR s.mian_ji <= 0{{range .Numbers}} OR (s.r_{{.Property}} IS NOT NULL AND s.{{.Property}} IS NULL){{end}})
	AND x.message IS NOT NULL
