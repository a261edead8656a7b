#!/bin/sh
# What keeping stored parcel features (migrations 00037–00041) and the statistics summary (00033)
# current costs `ecocomp recompute --year 2026` on the demo county: the same recompute, on the
# same database, alternately with their triggers enabled and disabled (the recompute as it
# would be without them), ROUNDS times. The recompute rewrites the same results each time, so
# the disabled runs leave nothing stale. With the triggers it also prints the time PostgreSQL
# spent in each of their functions (track_functions), the cost itself without the noise of two
# runs.
#   bench/recompute-upkeep.sh [PARCELS=100000] [ROUNDS=3]
. "$(dirname "$0")/common.sh"
n=${1:-100000}
rounds=${2:-3}
URL=$(bench_db "$n")
triggers() { # triggers ENABLE|DISABLE
    psql "$URL" -Atc "SELECT format('ALTER TABLE %s $1 TRIGGER %I;', tgrelid::regclass, tgname) FROM pg_trigger
        WHERE NOT tgisinternal AND tgname ~ '^parcel_(feature|stats)_'" | psql -q "$URL"
}
trap 'triggers ENABLE' EXIT
DATABASE_URL="$URL" "$BIN" recompute --year 2026 >/dev/null # warm caches
for r in $(seq "$rounds"); do
    order="with without"
    [ $((r % 2)) = 0 ] && order="without with" # neither always runs first
    for mode in $order; do
        if [ $mode = without ]; then triggers DISABLE; fi
        psql "$URL" -qc "SELECT pg_stat_reset()" >/dev/null
        /usr/bin/time -f "%e" -o "$OUT/time.txt" env DATABASE_URL="$URL" PGOPTIONS="-c track_functions=all" "$BIN" recompute --year 2026 >/dev/null
        if [ $mode = without ]; then triggers ENABLE; fi
        sleep 1 # the recompute's session reports its function times when it ends
        fns=$(psql "$URL" -Atc "SELECT string_agg(funcname || ' ' || round((total_time / 1000)::numeric, 2) || ' s', ', ' ORDER BY total_time DESC)
            FROM pg_stat_user_functions WHERE funcname ~ '^parcel_(feature|stats)_' AND total_time >= 10")
        echo "round $r, triggers $mode: recompute $(cat "$OUT/time.txt") s; in triggers: ${fns:-none}; features queued: $(psql "$URL" -Atc "SELECT count(*) FROM parcel_feature_queue")"
    done
done
