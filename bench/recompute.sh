#!/bin/sh
# `ecocomp recompute` (overlays, eligibility and subsidy lines, written) on the demo county, with
# the bare overlay SQL measured in the same run as baselines: naive (parcels joined to whole
# zones), pieces joined the planner's way, and the best form (zones split with ST_Subdivide, the
# join driven from the pieces). Baselines run in a transaction that is rolled back.
#   bench/recompute.sh [PARCELS ...]   (default 100000)
. "$(dirname "$0")/common.sh"
[ $# -gt 0 ] || set -- 100000
for n in "$@"; do
    URL=$(bench_db "$n")
    DATABASE_URL="$URL" "$BIN" policy load --shipped >&2
    echo "== $n parcels"
    DATABASE_URL="$URL" "$BIN" recompute --year 2026 >/dev/null # warm caches, pieces exist
    for i in 1 2; do
        /usr/bin/time -f "%e" -o "$OUT/time.txt" env DATABASE_URL="$URL" "$BIN" recompute --year 2026 | tee "$OUT/recompute.txt"
        echo "recompute wall: $(cat "$OUT/time.txt") s"
    done
    psql "$URL" -q <<'SQL'
\timing on
\echo naive: parcels joined to whole zones
BEGIN;
CREATE TEMP TABLE naive ON COMMIT DROP AS
SELECT p.id, z.id AS zone_id, ST_Area(ST_Intersection(p.geom, z.geom)::geography) AS m2
FROM parcel p JOIN zone z ON ST_Intersects(p.geom, z.geom) WHERE p.valid_to IS NULL;
ROLLBACK;
\echo pieces, join order left to the planner
BEGIN;
CREATE TEMP TABLE planner ON COMMIT DROP AS
SELECT p.id, zp.zone_id, sum(CASE WHEN ST_CoveredBy(p.geom, zp.geom) THEN p.area_m2 ELSE ST_Area(ST_Intersection(p.geom, zp.geom)::geography) END) AS m2
FROM parcel p JOIN zone_piece zp ON p.geom && zp.geom AND ST_Intersects(p.geom, zp.geom) WHERE p.valid_to IS NULL
GROUP BY 1, 2;
ROLLBACK;
\echo best: pieces drive the join (LATERAL), covered parcels take their own area
BEGIN;
CREATE TEMP TABLE best ON COMMIT DROP AS
SELECT x.parcel_id, x.zone_id, sum(x.m2) AS m2
FROM zone_piece zp CROSS JOIN LATERAL (
  SELECT p.id AS parcel_id, zp.zone_id,
         CASE WHEN ST_CoveredBy(p.geom, zp.geom) THEN p.area_m2 ELSE ST_Area(ST_Intersection(p.geom, zp.geom)::geography) END AS m2
  FROM parcel p WHERE p.geom && zp.geom AND p.valid_to IS NULL AND ST_Intersects(p.geom, zp.geom)) x
GROUP BY 1, 2;
ROLLBACK;
SQL
done
