-- parcel_areas: both areas of every usable geometry, by parallel workers: the planar one
-- (EPSG:4548) is what MIAN_JI is checked against, and the merge stores both with the new
-- versions (parcel_areas, migration 00012).
CREATE UNLOGGED TABLE ingest_area AS
SELECT row, key, mian_ji, parcel_area_plane_m2(g) AS plane, parcel_area_m2(g) AS area
FROM ingest_src WHERE g IS NOT NULL
