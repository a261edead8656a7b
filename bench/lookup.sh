#!/bin/sh
# Point-lookup throughput: HTTP (wrk, 32 connections) against the same SQL straight on PostgreSQL
# (pgbench, 32 clients), in the same run on the same machine; then an aborted load run and a
# check that the server answers at full speed afterwards.
#   bench/lookup.sh [PARCELS=100000] [SECONDS=20]
. "$(dirname "$0")/common.sh"
PARCELS=${1:-100000}
SECS=${2:-20}
URL=$(bench_db "$PARCELS")

# Random points over the county's bounding box: HTTP and SQL draw from the same distribution.
set -- $(psql "$URL" -Atqc "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom)::geometry e FROM admin_unit WHERE level = 'county') x" | tr '|' ' ')
MINX=$1 MINY=$2 MAXX=$3 MAXY=$4

SQLFILE=$OUT/lookup.pgbench
{
    echo "\\set lon $MINX + random(0, 1000000) * ($MAXX - $MINX) / 1000000.0"
    echo "\\set lat $MINY + random(0, 1000000) * ($MAXY - $MINY) / 1000000.0"
    (cd "$ROOT" && go run ./bench/lookupsql)
} > "$SQLFILE"

LUA=$OUT/lookup.lua
cat > "$LUA" <<LUA
math.randomseed(os.time())
request = function()
  local lon = $MINX + math.random(0, 1000000) * ($MAXX - $MINX) / 1000000.0
  local lat = $MINY + math.random(0, 1000000) * ($MAXY - $MINY) / 1000000.0
  return wrk.format("GET", string.format("/api/v1/parcels?lon=%.7f&lat=%.7f", lon, lat))
end
LUA

PORT=$(free_port)
DATABASE_URL="$URL" ECOCOMP_ADDR=127.0.0.1:$PORT "$BIN" serve >"$OUT/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for i in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done

echo "== warm-up"
wrk -t2 -c32 -d3s -s "$LUA" "http://127.0.0.1:$PORT" >/dev/null
psql "$URL" -Atqc "SELECT count(*) FROM parcel_current" | sed 's/^/parcels: /'

echo "== PostgreSQL alone: pgbench, 32 clients, ${SECS}s, same SQL, same plan mode as the server"
PGOPTIONS="-c plan_cache_mode=force_generic_plan" pgbench -n -M prepared -c 32 -j 2 -T "$SECS" -f "$SQLFILE" -r "$URL" 2>&1 | tee "$OUT/pgbench.txt" | grep -E "tps|latency average"
DB_TPS=$(grep -E '^tps' "$OUT/pgbench.txt" | head -1 | sed -E 's/tps = ([0-9.]+).*/\1/')

echo "== HTTP: wrk, 32 connections, ${SECS}s"
wrk -t2 -c32 -d"${SECS}s" --latency -s "$LUA" "http://127.0.0.1:$PORT" | tee "$OUT/wrk.txt" | grep -E "Requests/sec|^ +(50|99)%|Non-2xx|Socket errors"
HTTP_RPS=$(grep Requests/sec "$OUT/wrk.txt" | awk '{print $2}')
echo "ratio HTTP / PostgreSQL = $(python3 -c "print(f'{$HTTP_RPS / $DB_TPS:.2f}')")"

echo "== aborted load: 64 connections cut off after 2 s, then full speed again?"
timeout -s KILL 2 wrk -t2 -c64 -d30s -s "$LUA" "http://127.0.0.1:$PORT" >/dev/null 2>&1 || true
wrk -t2 -c32 -d"${SECS}s" --latency -s "$LUA" "http://127.0.0.1:$PORT" | tee "$OUT/wrk-after-abort.txt" | grep -E "Requests/sec|^ +(50|99)%|Non-2xx|Socket errors"
AFTER=$(grep Requests/sec "$OUT/wrk-after-abort.txt" | awk '{print $2}')
echo "after abort / before = $(python3 -c "print(f'{$AFTER / $HTTP_RPS:.2f}')")"
