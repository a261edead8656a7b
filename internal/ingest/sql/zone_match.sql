-- zone_match: the file's zones, one per (site, kind) (features of the same site and kind merged),
-- against the area's ($1) current zones: new, changed (vertex count, a Hausdorff distance beyond
-- $2 degrees, or a demo zone replaced) or unchanged.
CREATE UNLOGGED TABLE ingest_zone AS
SELECT x.*, z.id AS zone_id,
	CASE WHEN z.id IS NULL THEN 'new'
	     WHEN ST_NPoints(x.g) <> ST_NPoints(z.geom) THEN 'changed'
	     WHEN ST_HausdorffDistance(x.g, z.geom) > $2 THEN 'changed'
	     WHEN z.demo THEN 'changed'
	     ELSE 'unchanged' END AS status
FROM (SELECT site, kind, min(row) AS row, ST_Multi(ST_CollectionExtract(ST_Union(g), 3))::geometry(MultiPolygon, 4490) AS g
	FROM ingest_src GROUP BY site, kind) x
LEFT JOIN zone z ON z.area_id = $1 AND z.site = x.site AND z.zone_kind = x.kind
