-- county_outlines: the outlines rows are checked against, and each buffered by the tolerance
-- ($2 m, in EPSG:4548): the counties $1 names, or, when $1 is NULL (zones), all loaded counties
-- as one outline '*'.
CREATE UNLOGGED TABLE ingest_county AS
SELECT CASE WHEN $1::text[] IS NULL THEN '*' ELSE code END AS code, geom,
	ST_Transform(ST_Buffer(ST_Transform(geom, 4548), $2), 4490) AS buf
FROM (SELECT code, geom FROM admin_unit WHERE level = 'county' AND code = ANY($1)
      UNION ALL
      SELECT '*', ST_Multi(ST_Union(geom)) FROM admin_unit WHERE level = 'county' AND $1::text[] IS NULL HAVING count(*) > 0) c
