package demo

// buildWetlands draws the wetland bank's inventory of the 饶河源 park, marked demonstration data:
// the river's permanent channel runs down the middle of the park's corridor (永久性河流,
// national important wetland), a floodplain band on either side (洪泛湿地, provincial, with
// patches of 草本沼泽), and in the outer band, cut across every 80 m, paddies, ponds and dry
// land (稻田/冬水田, 农用池塘, general wetland; the dry cells hold no patch). The bands follow
// the corridor's outline (negative buffers of the park), so they are as smooth as it is; the
// choice of each outer cell is a hash of its place and the seed, the same on every run.
func (g *gen) buildWetlands() error {
	if err := g.exec(`DELETE FROM wetland_patch WHERE demo`); err != nil {
		return err
	}
	return g.exec(`
WITH park AS (
	SELECT a.id, ST_Transform(ST_Union(z.geom), 4548) AS g
	FROM zone z JOIN protected_area a ON a.id = z.area_id WHERE a.name = $1 GROUP BY a.id),
depth AS (  -- the corridor's greatest half width
	SELECT p.id, p.g, (ST_MaximumInscribedCircle(p.g)).radius AS mx FROM park p),
bands AS (
	SELECT id, g, ST_Buffer(g, -0.55 * mx) AS channel, ST_Buffer(g, -0.25 * mx) AS flood FROM depth),
pieces AS (
	SELECT b.id, 'channel' AS band, b.channel AS g, 0 AS i, 0 AS j FROM bands b
	UNION ALL
	SELECT b.id, 'flood', ST_Intersection(ST_Difference(b.flood, b.channel), c.geom), c.i, c.j
	FROM bands b CROSS JOIN LATERAL ST_SquareGrid(80, b.g) c WHERE ST_Intersects(c.geom, ST_Difference(b.flood, b.channel))
	UNION ALL
	SELECT b.id, 'outer', ST_Intersection(ST_Difference(b.g, b.flood), c.geom), c.i, c.j
	FROM bands b CROSS JOIN LATERAL ST_SquareGrid(80, b.g) c WHERE ST_Intersects(c.geom, ST_Difference(b.g, b.flood))),
typed AS (
	SELECT id, g, CASE
		WHEN band = 'channel' THEN '1201'
		WHEN band = 'flood' THEN CASE WHEN abs(hashtext(i || ',' || j || ',' || $2::bigint)) % 4 = 0 THEN '1402' ELSE '1203' END
		ELSE (ARRAY['2006', '2006', '2004', NULL, NULL])[1 + abs(hashtext(j || ';' || i || ';' || $2::bigint)) % 5] END AS type_code
	FROM pieces),
merged AS (
	SELECT id, type_code, (ST_Dump(ST_UnaryUnion(ST_Collect(ST_CollectionExtract(g, 3))))).geom AS g
	FROM typed WHERE type_code IS NOT NULL GROUP BY id, type_code)
INSERT INTO wetland_patch (code, type_code, importance, name, area_id, demo, source, geom)
SELECT 'RHY-SD-' || lpad(row_number() OVER (ORDER BY ST_XMin(g), ST_YMin(g))::text, 4, '0'), type_code,
	CASE type_code WHEN '1201' THEN 'national' WHEN '1203' THEN 'provincial' WHEN '1402' THEN 'provincial' ELSE 'general' END,
	CASE type_code WHEN '1201' THEN '饶河源干流' ELSE '' END, id, true, 'demo',
	ST_Multi(ST_Transform(g, 4490))
FROM merged WHERE ST_Area(g) >= 200 AND ST_IsValid(g)`, WetlandName, g.seed)
}
