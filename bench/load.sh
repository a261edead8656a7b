#!/bin/sh
# Mixed load on loopback, bounded in count and time: 64 clients for 60 s mixing county-wide
# exports, z8–z11 parcel tiles and point lookups against the 100,000-parcel demo county. Reports
# per kind the statuses (503s are shed requests, with Retry-After), latency percentiles and the
# longest wait, and the server's peak RSS. Then the same load for 40 s while PostgreSQL restarts
# (stopped 10 s in, started again 5 s later): how long until /readyz answers 200 and the errors stop.
# The county lives in a PostgreSQL cluster of its own (bench/out/load-devdb), so the restart
# touches nothing else.
#   bench/load.sh [PARCELS=100000] [SECONDS=60] [CLIENTS=64]
. "$(dirname "$0")/common.sh"
PARCELS=${1:-100000}
SECS=${2:-60}
CLIENTS=${3:-64}
export ECOCOMP_DEVDB_DIR="$OUT/load-devdb"
unset DATABASE_URL
"$BIN" devdb start >/dev/null
URL=$("$BIN" devdb url)
"$BIN" migrate >/dev/null
"$BIN" seed demo --parcels "$PARCELS" --seed 1 >/dev/null
"$BIN" policy load --shipped >/dev/null
if ! psql "$URL" -Atqc "SELECT 1 FROM recompute_run WHERE scope = 'all' LIMIT 1" | grep -q 1; then
    "$BIN" recompute --year 2026 >/dev/null
fi
BBOX=$(psql "$URL" -Atqc "SELECT concat_ws(',', ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)) FROM (SELECT ST_Extent(geom)::geometry e FROM admin_unit WHERE level = 'county') x")

PORT=$(free_port)
ECOCOMP_ADDR=127.0.0.1:$PORT "$BIN" serve >"$OUT/load-serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for i in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
(cd "$ROOT" && go build -o "$OUT/loadgen" ./bench/loadgen)
echo "server limits: ECOCOMP_POOL_WAIT=${ECOCOMP_POOL_WAIT:-3s} ECOCOMP_HEAVY_CONCURRENCY=${ECOCOMP_HEAVY_CONCURRENCY:-one per two cores} ECOCOMP_TILE_RENDERS=${ECOCOMP_TILE_RENDERS:-4} ECOCOMP_REQUEST_TIMEOUT=${ECOCOMP_REQUEST_TIMEOUT:-30s} ECOCOMP_HEAVY_TIMEOUT=${ECOCOMP_HEAVY_TIMEOUT:-10m}"

echo "== $CLIENTS clients, ${SECS}s: lookups 70, tiles z8–z11 25, county exports 5"
"$OUT/loadgen" -url "http://127.0.0.1:$PORT" -c "$CLIENTS" -d "${SECS}s" -bbox "$BBOX" -pid $SERVER
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^ecocomp_http_shed_total|^ecocomp_tile_cache_(hits|misses)_total|^ecocomp_tile_renders_shared_total|^ecocomp_http_client_gone_total'

echo "== the same load for 40 s; PostgreSQL stops at 10 s and starts again at 15 s"
"$OUT/loadgen" -url "http://127.0.0.1:$PORT" -c "$CLIENTS" -d 40s -bbox "$BBOX" -pid $SERVER > "$OUT/load-restart.txt" &
GEN=$!
sleep 10
"$BIN" devdb stop
stopped=$(date +%s.%N)
sleep 5
"$BIN" devdb start >/dev/null
back=$(date +%s.%N)
while ! curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.1; done
ready=$(date +%s.%N)
wait $GEN
cat "$OUT/load-restart.txt"
python3 -c "print(f'PostgreSQL down {$back - $stopped:.1f} s; /readyz 200 {$ready - $back:.1f} s after it was back (target < 10 s)')"
grep -c 'level=ERROR' "$OUT/load-serve.log" | sed 's/^/server log ERROR lines: /'
grep -o 'msg="[^"]*"' "$OUT/load-serve.log" | sort | uniq -c | sort -rn | head -5
