-- outside: the rows that reach beyond their county's buffered outline, with their area and the
-- part outside (ellipsoidal). The scan is the work and the findings are few: CREATE TABLE AS lets
-- parallel workers scan.
CREATE UNLOGGED TABLE ingest_outside AS
SELECT s.row, s.key, c.code, ST_Area(s.g::geography) AS total, ST_Area(ST_Difference(s.g, c.geom)::geography) AS outside
FROM ingest_src s JOIN ingest_county c ON c.code = s.county
WHERE s.g IS NOT NULL AND NOT ST_Covers(c.buf, s.g)
