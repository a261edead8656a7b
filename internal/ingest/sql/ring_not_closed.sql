-- ring_not_closed: a warning on the rows ($1) whose rings GDAL closed while reading.
INSERT INTO ingest_issue (row, key, severity, check_id, message)
SELECT row, key, 'warning', 'ring_not_closed', 'a ring was not closed; it was closed by repeating its first point'
FROM ingest_src WHERE row = ANY($1)
