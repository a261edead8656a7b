#!/bin/sh
# What identifying the caller costs: point lookups through HTTP (wrk, 32 connections) as nobody
# (the baseline), with a session cookie, with an API token, and OGC item pages with HTTP Basic
# against the same pages as nobody, in the same run on the same server.
#   bench/auth.sh [PARCELS=100000] [SECONDS=15]
. "$(dirname "$0")/common.sh"
PARCELS=${1:-100000}
SECS=${2:-15}
URL=$(bench_db "$PARCELS")

set -- $(psql "$URL" -Atqc "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom)::geometry e FROM admin_unit WHERE level = 'county') x" | tr '|' ' ')
MINX=$1 MINY=$2 MAXX=$3 MAXY=$4

# One user for the run; its token and session are made fresh each time.
DATABASE_URL="$URL" "$BIN" users add bench.user --role viewer >/dev/null 2>&1 || true
echo "Bench-user-pass-2026" | DATABASE_URL="$URL" "$BIN" users passwd bench.user --stdin >/dev/null
TOKEN=$(DATABASE_URL="$URL" "$BIN" tokens add bench.user --label bench --expires 1d | grep -o 'eco_[A-Za-z0-9_-]*')

PORT=$(free_port)
DATABASE_URL="$URL" ECOCOMP_ADDR=127.0.0.1:$PORT "$BIN" serve >"$OUT/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for i in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
COOKIE=$(curl -s -c - -H 'Content-Type: application/json' -d '{"username":"bench.user","password":"Bench-user-pass-2026"}' \
    "http://127.0.0.1:$PORT/api/v1/session" | awk '$6 == "ecocomp_session" {print $7}')
BASIC=$(printf 'bench.user:Bench-user-pass-2026' | base64 -w0)

lookup_lua() { # $1: the header line to add, or nothing
    cat <<LUA
math.randomseed(os.time())
$1
request = function()
  local lon = $MINX + math.random(0, 1000000) * ($MAXX - $MINX) / 1000000.0
  local lat = $MINY + math.random(0, 1000000) * ($MAXY - $MINY) / 1000000.0
  return wrk.format("GET", string.format("/api/v1/parcels?lon=%.7f&lat=%.7f", lon, lat))
end
LUA
}
lookup_lua "" > "$OUT/auth-anon.lua"
lookup_lua "wrk.headers[\"Cookie\"] = \"ecocomp_session=$COOKIE\"" > "$OUT/auth-session.lua"
lookup_lua "wrk.headers[\"Authorization\"] = \"Bearer $TOKEN\"" > "$OUT/auth-token.lua"
cat > "$OUT/auth-ogc.lua" <<LUA
math.randomseed(os.time())
request = function()
  local lon = $MINX + math.random(0, 1000000) * ($MAXX - $MINX - 0.01) / 1000000.0
  local lat = $MINY + math.random(0, 1000000) * ($MAXY - $MINY - 0.01) / 1000000.0
  return wrk.format("GET", string.format("/ogc/collections/parcels/items?limit=20&bbox=%.6f,%.6f,%.6f,%.6f", lon, lat, lon + 0.005, lat + 0.005))
end
LUA
sed "s/^request = /wrk.headers[\"Authorization\"] = \"Basic $BASIC\"\nrequest = /" "$OUT/auth-ogc.lua" > "$OUT/auth-ogc-basic.lua"

run() { # $1 label, $2 script
    wrk -t2 -c32 -d3s -s "$2" "http://127.0.0.1:$PORT" >/dev/null
    wrk -t2 -c32 -d"${SECS}s" --latency -s "$2" "http://127.0.0.1:$PORT" > "$OUT/auth-$1.txt"
    rps=$(grep Requests/sec "$OUT/auth-$1.txt" | awk '{print $2}')
    p99=$(grep -E '^ +99%' "$OUT/auth-$1.txt" | awk '{print $2}')
    bad=$(grep -E 'Non-2xx' "$OUT/auth-$1.txt" || true)
    echo "$1: $rps req/s, p99 $p99 $bad"
    eval "RPS_$1=$rps"
}
run anon "$OUT/auth-anon.lua"
run session "$OUT/auth-session.lua"
run token "$OUT/auth-token.lua"
run ogc "$OUT/auth-ogc.lua"
run ogcbasic "$OUT/auth-ogc-basic.lua"
python3 -c "print(f'session / anonymous = {$RPS_session / $RPS_anon:.2f}, token / anonymous = {$RPS_token / $RPS_anon:.2f}, OGC Basic / anonymous = {$RPS_ogcbasic / $RPS_ogc:.2f}')"
