-- parcel_area_issues: slivers (polygons, or parts of a multipolygon, under $1 m² planar) and a
-- MIAN_JI that deviates from the planar area by more than the share $2: warnings.
INSERT INTO ingest_issue (row, key, severity, check_id, message, area_m2)
SELECT row, key, 'warning', 'sliver', format('the polygon has %s m² (planar), under the minimum area of %s m²',
	round(plane::numeric, 1), $1::numeric), plane
FROM ingest_area WHERE plane < $1
UNION ALL
SELECT s.row, s.key, 'warning', 'sliver', format('part %s of the multipolygon has %s m² (planar), under the minimum area of %s m²',
	d.path[1], round(p.plane::numeric, 1), $1::numeric), p.plane
FROM ingest_src s, ST_Dump(s.g) d, parcel_area_plane_m2(d.geom) p(plane)
WHERE ST_NumGeometries(s.g) > 1 AND parcel_area_plane_m2(s.g) >= $1 AND p.plane < $1
UNION ALL
SELECT row, key, 'warning', 'mian_ji', format('MIAN_JI %s ha deviates %s %% from the planar area %s ha (EPSG:4548)',
	mian_ji, round((100 * (mian_ji * 10000 - plane::numeric) / plane::numeric), 2), round((plane / 10000)::numeric, 4)), plane
FROM ingest_area WHERE mian_ji > 0 AND plane > 0 AND abs(mian_ji * 10000 - plane::numeric) > $2 * plane::numeric
