#!/bin/sh
# The inventory statistics tables (internal/stats) on the demo county: for each table, the same
# aggregation as one bare SQL statement through psql, then GET /api/v1/stats/{table} for the county
# (cold: the first request after the server starts; warm: the same again, from the server's
# cache), and a township. Every table's county total and every township's total are reconciled
# with a direct SQL sum of MIAN_JI × 15 to the 0.01 亩. The bar: every table under 2 s.
#   bench/stats.sh [PARCELS]   (default 1000000)
# The statistics read only parcels and administrative units: the database is the seeded demo county
# (like bench_db, without the policy and recompute, which the tables do not read).
. "$(dirname "$0")/common.sh"
N=${1:-1000000}
name=ecocomp_bench_$N
URL=$(db_url "$name")
if ! psql "$ADMIN_URL" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
    psql "$ADMIN_URL" -qc "CREATE DATABASE $name" >&2
fi
DATABASE_URL=$URL "$BIN" migrate >&2
DATABASE_URL=$URL "$BIN" seed demo --parcels "$N" --seed 1 >&2
psql "$URL" -qc "VACUUM ANALYZE parcel" >&2

PORT=$(free_port)
DATABASE_URL=$URL ECOCOMP_ADDR=127.0.0.1:$PORT "$BIN" serve >"$OUT/stats-serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for i in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
COUNTY=$(psql "$URL" -Atqc "SELECT code FROM admin_unit WHERE level = 'county' ORDER BY code LIMIT 1")
TOWNSHIP=$(psql "$URL" -Atqc "SELECT township_code FROM parcel WHERE valid_to IS NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
echo "== $N parcels ($(psql "$URL" -Atqc "SELECT count(*) FROM parcel WHERE valid_to IS NULL") current), county $COUNTY, township $TOWNSHIP"

now() { date +%s.%N; }
secs() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$2"; }
fail=0
# table | filter | row class column | column class column (the internal/stats definitions)
while IFS='|' read -r table filter rowcol colcol; do
    [ -n "$table" ] || continue
    sql="SELECT p.township_code, $rowcol, $colcol, count(*), sum(p.mian_ji), sum(p.xu_ji), sum(p.area_plane_m2)
         FROM parcel p WHERE p.valid_to IS NULL AND p.xian = '$COUNTY' AND $filter GROUP BY 1, 2, 3"
    t0=$(now); psql "$URL" -Atqc "$sql" >/dev/null; t1=$(now)
    curl -sf -o "$OUT/stats-$table.json" "http://127.0.0.1:$PORT/api/v1/stats/$table?unit=$COUNTY"; t2=$(now)
    curl -sf -o /dev/null "http://127.0.0.1:$PORT/api/v1/stats/$table?unit=$COUNTY"; t3=$(now)
    curl -sf -o /dev/null "http://127.0.0.1:$PORT/api/v1/stats/$table?unit=$TOWNSHIP"; t4=$(now)
    curl -sf -o /dev/null "http://127.0.0.1:$PORT/api/v1/stats/$table?unit=$COUNTY&format=xlsx"; t5=$(now)
    sql_s=$(secs "$t0" "$t1"); cold=$(secs "$t1" "$t2"); warm=$(secs "$t2" "$t3"); town=$(secs "$t3" "$t4"); xlsx=$(secs "$t4" "$t5")
    # Reconcile: the county total and every township's total against SQL.
    got=$(jq -r '.rows[] | select(.class == "") | "\(.unit_code) \(.values["total.area_mu"])"' "$OUT/stats-$table.json" | sort)
    want=$( (psql "$URL" -Atqc "SELECT '$COUNTY', coalesce(round(sum(p.mian_ji) * 15, 2), 0.00) FROM parcel p
                WHERE p.valid_to IS NULL AND p.xian = '$COUNTY' AND $filter" -F ' '
             psql "$URL" -Atqc "SELECT a.code, coalesce(round(sum(p.mian_ji) * 15, 2), 0.00) FROM admin_unit a
                LEFT JOIN parcel p ON p.township_code = a.code AND p.valid_to IS NULL AND $filter
                WHERE a.parent_code = '$COUNTY' GROUP BY a.code" -F ' ') | sort)
    if [ "$got" = "$want" ]; then rec="reconciles ($(echo "$want" | wc -l) totals to 0.01 亩)"; else rec="DOES NOT RECONCILE"; fail=1
        echo "$got" >"$OUT/stats-$table.got"; echo "$want" >"$OUT/stats-$table.want"; fi
    printf '%-24s bare SQL %6ss | API county cold %6ss warm %6ss | township %6ss | xlsx %6ss | %s\n' "$table" "$sql_s" "$cold" "$warm" "$town" "$xlsx" "$rec"
    if python3 -c "import sys; sys.exit(0 if max(map(float, sys.argv[1:])) < 2 else 1)" "$cold" "$town" "$xlsx"; then :; else echo "FAIL: $table over 2 s"; fail=1; fi
done <<'EOF'
land_class|true|''|p.di_lei
forest_origin_category|p.di_lei IN ('030100', '030200', '030301')|p.qi_yuan|p.sen_lin_lb
forest_origin_type|p.di_lei IN ('030100', '030200', '030301')|p.qi_yuan|p.lin_zhong
arbor_age_species|p.di_lei = '030100'|p.you_shi_sz|p.ling_zu
ownership|true|p.ld_qs|p.lm_qs
public_welfare|p.sen_lin_lb IN ('011', '012')|p.shi_quan_d|p.bh_dj
EOF
# A past date reads the history (valid_from/valid_to) instead of the current versions.
t0=$(now); curl -sf -o /dev/null "http://127.0.0.1:$PORT/api/v1/stats/land_class?unit=$COUNTY&as_of=$(date -d yesterday +%F)"; t1=$(now)
echo "land_class as_of yesterday (history predicate, cold): $(secs "$t0" "$t1")s"
# The change from just after the last parcel write to now: every parcel on the diagonal (a year
# before the seed every parcel would be "added": a list of every parcel, not a timing).
FROM=$(psql "$URL" -Atqc "SELECT to_char(max(valid_from) + interval '1 second', 'YYYY-MM-DD\"T\"HH24:MI:SSOF') || ':00' FROM parcel")
t0=$(now); curl -sf -G -o "$OUT/stats-change.json" --data-urlencode "unit=$COUNTY" --data-urlencode "from=$FROM" "http://127.0.0.1:$PORT/api/v1/stats/change"; t1=$(now)
echo "change since the last write ($(jq -r '.counts.unchanged' "$OUT/stats-change.json") parcels unchanged): $(secs "$t0" "$t1")s"
[ $fail -eq 0 ] && echo ok
exit $fail
