#!/bin/bash
# Parcel features, side by side in one run on one database: the server of the commit before
# stored features ("old", built per request), this tree's server ("new", stored) and the bare SQL
# ("sql": the same index probe returning the stored bytes, through pgbench) for
#   - a feature by code        /api/v1/parcels/{code}
#   - a point lookup           /api/v1/parcels?lon=&lat=   (+ the bare point-in-polygon probe)
#   - 500 m bbox pages (100)   /api/v1/parcels?bbox=…&limit=100 and /ogc/collections/parcels/items
# wrk -t2 -c32 and pgbench -c32 -j2, ROUNDS rounds alternating old, new, sql; then the full
# export (old and new CLI: seconds and peak RSS). The machine may be shared: read the ratios of
# one round, not the absolute figures.
#   bench/features.sh [PARCELS=100000] [SECONDS=10] [ROUNDS=2]
# BENCH_URL: use this database instead of the seeded bench database (it is migrated).
# OLD_REV: the commit to build "old" from (default: the parent of the one that added 00037).
. "$(dirname "$0")/common.sh"
PARCELS=${1:-100000}
SECS=${2:-10}
ROUNDS=${3:-2}
URL=${BENCH_URL:-$(bench_db "$PARCELS")}
DATABASE_URL=$URL "$BIN" migrate >&2

OLD_REV=${OLD_REV:-$(cd "$ROOT" && git rev-parse "$(git log --format=%H --diff-filter=A -- migrations/00037_parcel_feature.sql | tail -1)^")}
OLD_BIN=$OUT/ecocomp-$OLD_REV
if [ ! -x "$OLD_BIN" ]; then
    WT=$(mktemp -d)/old
    (cd "$ROOT" && git worktree add -q --detach "$WT" "$OLD_REV")
    (cd "$WT" && go build -o "$OLD_BIN" ./cmd/ecocomp)
    (cd "$ROOT" && git worktree remove --force "$WT")
fi
echo "old: $OLD_REV; new: $(cd "$ROOT" && git rev-parse --short HEAD) (+ working tree)"

set -- $(psql "$URL" -Atqc "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom)::geometry e FROM parcel WHERE valid_to IS NULL) x" | tr '|' ' ')
MINX=$1 MINY=$2 MAXX=$3 MAXY=$4
# 500 m in degrees at the county's latitude.
DLAT=0.0045
DLON=$(python3 -c "import math; print(round(0.5 / (111.32 * math.cos(math.radians(($MINY + $MAXY) / 2))), 6))")

# Codes to look up: 10,000 current parcels, the same for wrk (a Lua table) and pgbench (a table).
NCODES=10000
psql "$URL" -qc "DROP TABLE IF EXISTS bench_code; CREATE TABLE bench_code AS SELECT row_number() OVER () AS i, code FROM (SELECT code FROM parcel WHERE valid_to IS NULL ORDER BY md5(code) LIMIT $NCODES) c; ALTER TABLE bench_code ADD PRIMARY KEY (i)" >&2
NCODES=$(psql "$URL" -Atqc "SELECT count(*) FROM bench_code")
{
    echo "codes = {"
    psql "$URL" -Atqc "SELECT '\"' || code || '\",' FROM bench_code ORDER BY i"
    echo "}"
} > "$OUT/codes.lua"

lua() { # lua NAME BODY: a wrk script whose request() returns BODY's path
    cat > "$OUT/$1.lua" <<LUA
$( [ "$1" = code ] && cat "$OUT/codes.lua" )
math.randomseed(os.time())
local function rx() return $MINX + math.random(0, 1000000) * ($MAXX - $MINX) / 1000000.0 end
local function ry() return $MINY + math.random(0, 1000000) * ($MAXY - $MINY) / 1000000.0 end
request = function()
  $2
end
LUA
}
lua code 'return wrk.format("GET", "/api/v1/parcels/" .. codes[math.random(1, #codes)])'
lua point 'return wrk.format("GET", string.format("/api/v1/parcels?lon=%.7f&lat=%.7f", rx(), ry()))'
lua bbox "local x, y = rx(), ry(); return wrk.format(\"GET\", string.format(\"/api/v1/parcels?bbox=%.7f,%.7f,%.7f,%.7f&limit=100\", x, y, x + $DLON, y + $DLAT))"
lua items "local x, y = rx(), ry(); return wrk.format(\"GET\", string.format(\"/ogc/collections/parcels/items?bbox=%.7f,%.7f,%.7f,%.7f&limit=100\", x, y, x + $DLON, y + $DLAT))"

# The bare SQL: the index probes of the new path, returning the stored text.
PT="\\set lon $MINX + random(0, 1000000) * ($MAXX - $MINX) / 1000000.0
\\set lat $MINY + random(0, 1000000) * ($MAXY - $MINY) / 1000000.0"
FEATURE="'{\"type\":\"Feature\",\"id\":' || to_json(p.code)::text || ',\"geometry\":' || f.geometry || ',\"properties\":' || f.properties_zones || '}'"
cat > "$OUT/code.sql" <<SQL
\\set i random(1, $NCODES)
SELECT $FEATURE FROM parcel p JOIN parcel_feature f ON f.parcel_id = p.id WHERE p.valid_to IS NULL AND p.code = (SELECT code FROM bench_code WHERE i = :i);
SQL
cat > "$OUT/point.sql" <<SQL
$PT
SELECT $FEATURE FROM parcel p JOIN parcel_feature f ON f.parcel_id = p.id WHERE p.valid_to IS NULL AND ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4490));
SQL
cat > "$OUT/pip.sql" <<SQL
$PT
SELECT p.code FROM parcel p WHERE p.valid_to IS NULL AND ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4490));
SQL
cat > "$OUT/bbox.sql" <<SQL
$PT
SELECT p.code, $FEATURE FROM parcel p JOIN parcel_feature f ON f.parcel_id = p.id WHERE p.valid_to IS NULL AND ST_Intersects(p.geom, ST_MakeEnvelope(:lon, :lat, :lon + $DLON, :lat + $DLAT, 4490)) ORDER BY p.code LIMIT 101;
SQL

OLD_PORT=$(free_port)
DATABASE_URL="$URL" ECOCOMP_ADDR=127.0.0.1:$OLD_PORT "$OLD_BIN" serve >"$OUT/serve-old.log" 2>&1 &
OLD_PID=$!
NEW_PORT=$(free_port)
DATABASE_URL="$URL" ECOCOMP_ADDR=127.0.0.1:$NEW_PORT "$BIN" serve >"$OUT/serve-new.log" 2>&1 &
NEW_PID=$!
trap 'kill $OLD_PID $NEW_PID 2>/dev/null || true' EXIT
for port in $OLD_PORT $NEW_PORT; do
    for i in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
done
# Features a large write queued (migration 00041) are built by the new server's builder first.
while [ "$(psql "$URL" -Atqc "SELECT EXISTS (SELECT 1 FROM parcel_feature_queue)")" = t ]; do sleep 1; done

RES=$OUT/features-results.txt
: > "$RES"
http() { # http LABEL PORT SCRIPT
    wrk -t2 -c32 -d"${SECS}s" --latency -s "$OUT/$3.lua" "http://127.0.0.1:$2" > "$OUT/wrk.txt"
    rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/wrk.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$OUT/wrk.txt")
    bad=$(awk '/Non-2xx/ {print $NF}' "$OUT/wrk.txt")
    printf '%-6s %-5s %10s req/s  p99 %-9s %s\n' "$3" "$1" "$rps" "$p99" "${bad:+non-2xx $bad}" | tee -a "$RES"
}
sql() { # sql LABEL FILE
    PGOPTIONS="-c plan_cache_mode=force_generic_plan" pgbench -n -M prepared -c 32 -j 2 -T "$SECS" -f "$OUT/$2.sql" "$URL" > "$OUT/pgbench.txt" 2>&1
    tps=$(awk '/^tps/ {print $3; exit}' "$OUT/pgbench.txt")
    lat=$(awk '/latency average/ {print $4 $5}' "$OUT/pgbench.txt")
    printf '%-6s %-5s %10s tps    avg %s\n' "$2" "$1" "$tps" "$lat" | tee -a "$RES"
}

for what in code point bbox items; do
    wrk -t2 -c32 -d2s -s "$OUT/$what.lua" "http://127.0.0.1:$OLD_PORT" >/dev/null
    wrk -t2 -c32 -d2s -s "$OUT/$what.lua" "http://127.0.0.1:$NEW_PORT" >/dev/null
    for r in $(seq "$ROUNDS"); do
        echo "== $what, round $r"
        http old $OLD_PORT $what
        http new $NEW_PORT $what
        case $what in
        code) sql sql code ;;
        point) sql sql point; sql sql pip ;;
        bbox) sql sql bbox ;;
        esac
    done
done

echo "== summary (medians over rounds; ratios within the same run)"
python3 - "$RES" <<'PY'
import sys, statistics as st
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    rows.setdefault((f[0], f[1]), []).append(float(f[2]))
m = {k: st.median(v) for k, v in rows.items()}
for what in ("code", "point", "bbox", "items"):
    old, new = m.get((what, "old")), m.get((what, "new"))
    sqlk = {"code": "code", "point": "point", "bbox": "bbox", "items": "bbox"}[what]
    line = f"{what:6} old {old:8.0f}  new {new:8.0f}  new/old {new / old:4.2f}"
    if (sqlk, "sql") in m:
        line += f"  sql {m[(sqlk, 'sql')]:8.0f}  new/sql {new / m[(sqlk, 'sql')]:4.2f}"
    if what == "point" and ("pip", "sql") in m:
        line += f"  bare point-in-polygon {m[('pip', 'sql')]:8.0f}  new/pip {new / m[('pip', 'sql')]:4.2f}"
    print(line)
PY

echo "== full export (CLI, EPSG:4490): seconds and peak RSS"
for which in old new old new; do
    b=$BIN; [ $which = old ] && b=$OLD_BIN
    /usr/bin/time -f "%e %M" -o "$OUT/time.txt" env DATABASE_URL="$URL" "$b" export parcels --crs EPSG:4490 -o "$OUT/export.geojson" 2>/dev/null
    read -r secs kb < "$OUT/time.txt"
    echo "export $which: ${secs}s, peak RSS $((kb / 1024)) MB, $(($(stat -c %s "$OUT/export.geojson") / 1048576)) MB"
done
rm -f "$OUT/export.geojson"
