#!/bin/bash
# What keeping derived tables current costs an import: `ecocomp import parcels` of the same zipped
# Shapefile into fresh counties (`seed demo --parcels 0`, the shipped policy loaded, so the import
# recomputes its new parcels), by several builds of ecocomp, alternating, in the same run. Besides
# the wall time it prints the time PostgreSQL spent in each trigger function (track_functions):
# parcel_feature_* (stored parcel features, migrations 00037/00040) and parcel_stats_* (00033).
# A NAME ending in -bare runs its binary with those triggers disabled: the import as it would be
# without stored features and statistics, on the same build. Since migration 00041 a large
# import queues its parcel features for the server's builder: the script then starts
# `ecocomp serve` on the imported county and prints how long its builder took to empty the queue.
#   bench/upkeep.sh ZIP MAPPING ROUNDS NAME=BINARY...
#   e.g. bench/upkeep.sh /tmp/imp/wuyuan.zip /tmp/imp/mapping.json 2 base=/tmp/ecocomp-2735fb8 main=bench/out/ecocomp
# (the zip and mapping as bench/import.sh writes them; binaries built with `go build ./cmd/ecocomp`
# at the commits to compare).
set -eu
ZIP=$1 MAPPING=$2 ROUNDS=$3
shift 3
ADMIN_URL=${ECOCOMP_BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
db_url() { echo "$ADMIN_URL" | sed -E "s#/[^/?]+(\?|$)#/$1\1#"; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
if [ -z "${ECOCOMP_PII_KEY:-}" ] && [ -z "${ECOCOMP_PII_KEY_FILE:-}" ]; then
    "${1#*=}" pii keygen -o "$W/pii.key" >/dev/null 2>&1
    export ECOCOMP_PII_KEY_FILE="$W/pii.key"
fi
for round in $(seq "$ROUNDS"); do
    for nb in "$@"; do
        name=${nb%%=*} bin=${nb#*=}
        db=ecocomp_bench_upkeep_${name//-/_}
        psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" 2>/dev/null
        psql "$ADMIN_URL" -qc "CREATE DATABASE $db"
        url=$(db_url "$db")
        DATABASE_URL=$url "$bin" migrate >/dev/null 2>&1
        DATABASE_URL=$url "$bin" seed demo --parcels 0 --seed 1 >/dev/null 2>&1
        DATABASE_URL=$url "$bin" policy load --shipped >/dev/null 2>&1
        if [ "${name%-bare}" != "$name" ]; then
            psql "$url" -Atc "SELECT format('ALTER TABLE %s DISABLE TRIGGER %I;', tgrelid::regclass, tgname) FROM pg_trigger
                WHERE NOT tgisinternal AND tgname ~ '^parcel_(feature|stats)_'" | psql -q "$url"
        fi
        psql "$url" -qc "SELECT pg_stat_reset()" >/dev/null
        /usr/bin/time -f "%e" -o "$W/time" env DATABASE_URL="$url" PGOPTIONS="-c track_functions=all" \
            "$bin" import parcels "$ZIP" --mapping "$MAPPING" >"$W/out" 2>&1 || tail -5 "$W/out"
        sleep 1 # the import's session reports its function times when it ends
        fns=$(psql "$url" -Atc "SELECT string_agg(funcname || ' ' || round((total_time / 1000)::numeric, 1) || ' s', ', ' ORDER BY total_time DESC)
            FROM pg_stat_user_functions WHERE funcname ~ '^parcel_(feature|stats)_' AND total_time >= 50")
        built=
        if [ "$(psql "$url" -Atc "SELECT to_regclass('parcel_feature_queue') IS NOT NULL")" = t ] &&
           [ "$(psql "$url" -Atc "SELECT EXISTS (SELECT 1 FROM parcel_feature_queue)")" = t ]; then
            port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
            start=$(date +%s.%N)
            DATABASE_URL=$url ECOCOMP_ADDR=127.0.0.1:$port "$bin" serve >"$W/serve.log" 2>&1 &
            spid=$!
            while [ "$(psql "$url" -Atc "SELECT EXISTS (SELECT 1 FROM parcel_feature_queue)")" = t ]; do sleep 0.2; done
            built="; the server's builder then built the queued features in $(python3 -c "import time; print(round(time.time() - $start, 1))") s"
            kill $spid; wait $spid 2>/dev/null || true
        fi
        echo "round $round $name: import $(cat "$W/time") s; in triggers: ${fns:-none}$built"
        psql "$ADMIN_URL" -qc "DROP DATABASE $db WITH (FORCE)"
    done
done
