-- repair_issues: a repair that keeps the area within $1 (a share) is a warning, and the repaired
-- geometry is used (repair_apply.sql); any other invalid geometry is an error.
INSERT INTO ingest_issue (row, key, severity, check_id, message, area_m2)
SELECT row, key,
	CASE WHEN kept THEN 'warning' ELSE 'error' END,
	CASE WHEN kept THEN 'repaired' ELSE 'invalid_geometry' END,
	CASE WHEN kept THEN format('invalid geometry (%s) repaired with ST_MakeValid; planar area %s m² before, %s m² after (%s %% kept)',
	                           reason, round(a0::numeric, 1), round(a1::numeric, 1), round((100 * a1 / a0)::numeric, 3))
	     WHEN a1 IS NULL THEN format('invalid geometry (%s) that ST_MakeValid cannot turn into a polygon; fix it in the GIS', reason)
	     ELSE format('invalid geometry (%s): the repair would change the planar area from %s m² to %s m², more than %s %%; fix it in the GIS',
	                 reason, round(a0::numeric, 1), round(a1::numeric, 1), $1::numeric * 100) END,
	a1
FROM (SELECT *, a1 IS NOT NULL AND a0 > 0 AND abs(a1 - a0) <= $1 * a0 AS kept FROM ingest_repair) x
