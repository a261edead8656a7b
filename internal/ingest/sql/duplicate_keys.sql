-- duplicate_keys: an error on every row whose parcel code another row has too.
INSERT INTO ingest_issue (row, key, severity, check_id, message, other_row)
SELECT s.row, s.key, 'error', 'duplicate_key',
	format('duplicate key: %s is also on row %s', s.code, array_to_string(array_remove(d.rows, s.row), ', ')),
	(array_remove(d.rows, s.row))[1]
FROM ingest_src s
JOIN (SELECT code, array_agg(row ORDER BY row) AS rows FROM ingest_src
	WHERE code IS NOT NULL GROUP BY code HAVING count(*) > 1) d ON d.code = s.code
