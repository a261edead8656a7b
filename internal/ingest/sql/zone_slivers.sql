-- zone_slivers: zones under the minimum area ($1 m², planar EPSG:4548) are reported.
INSERT INTO ingest_issue (row, key, severity, check_id, message, area_m2)
SELECT row, key, 'warning', 'sliver', format('the polygon has %s m² (planar), under the minimum area of %s m²', round(a::numeric, 1), $1::numeric), a
FROM (SELECT row, key, ST_Area(ST_Transform(g, 4548)) AS a FROM ingest_src WHERE g IS NOT NULL) x
WHERE a < $1
