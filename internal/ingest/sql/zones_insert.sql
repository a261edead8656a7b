-- zones_insert: the new zones of the area ($1, of kind $2); returns the ids of the new and the
-- changed zones, which are recomputed.
WITH ins AS (
	INSERT INTO zone (area_id, area_kind, zone_kind, site, name, demo, geom)
	SELECT $1, $2, x.kind, x.site, x.site || l.label, false, x.g
	FROM ingest_zone x JOIN ingest_zone_label l ON l.kind = x.kind
	WHERE x.status = 'new'
	ORDER BY x.site, x.kind
	RETURNING id)
SELECT coalesce(array_agg(id), '{}')
FROM (SELECT id FROM ins UNION ALL SELECT zone_id FROM ingest_zone WHERE status = 'changed') z
