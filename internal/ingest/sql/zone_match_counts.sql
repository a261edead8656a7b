-- zone_match_counts: how many zones are new, changed and unchanged, and the area's ($1) zones the
-- file no longer has (deleted by zones_delete.sql).
SELECT count(*) FILTER (WHERE status = 'new'), count(*) FILTER (WHERE status = 'changed'),
	count(*) FILTER (WHERE status = 'unchanged'),
	(SELECT coalesce(array_agg(z.id ORDER BY z.id), '{}') FROM zone z WHERE z.area_id = $1
		AND NOT EXISTS (SELECT 1 FROM ingest_zone x WHERE x.zone_id = z.id))
FROM ingest_zone
