#!/bin/sh
# Import of the demo county as surveyors deliver it — a zipped Shapefile (GBK DBF with a .cpg, a
# .prj in EPSG:4548, the standard pinyin fields plus the village name) — against a bare
# `ogr2ogr -f PostgreSQL` load of the same file, measured in the same run:
#   1. `ecocomp import parcels` (full validation, one transaction) into a county without parcels
#      (`seed demo --parcels 0`); no policy is loaded there, so the timing is validation + merge
#      (the recompute of new versions is measured by bench/recompute.sh);
#   2. the same file again: every parcel compared with its current version, none changes;
#   3. `ogr2ogr -f PostgreSQL` of the same zip into a plain table (reprojected to EPSG:4490, with
#      the spatial index ogr2ogr builds by default).
#   bench/import.sh [PARCELS]   (default 100000)
. "$(dirname "$0")/common.sh"
n=${1:-100000}
SRC=$(bench_db "$n")
W=$OUT/import-$n
rm -rf "$W"
mkdir -p "$W"

echo "== $n parcels: export to a zipped Shapefile"
DATABASE_URL="$SRC" "$BIN" export parcels -o "$W/parcels.geojson" 2>/dev/null
ogr2ogr -f "ESRI Shapefile" -lco ENCODING=CP936 -t_srs EPSG:4548 "$W/wuyuan.shp" "$W/parcels.geojson" -sql \
    "SELECT xian AS XIAN, xiang AS XIANG, cun AS CUN, lin_ban AS LIN_BAN, xiao_ban AS XIAO_BAN, mian_ji AS MIAN_JI,
     di_lei AS DI_LEI, ld_qs AS LD_QS, lm_qs AS LM_QS, sen_lin_lb AS SEN_LIN_LB, shi_quan_d AS SHI_QUAN_D,
     gjgyl_bhdj AS GJGYL_BHDJ, bh_dj AS BH_DJ, lin_zhong AS LIN_ZHONG, qi_yuan AS QI_YUAN, you_shi_sz AS YOU_SHI_SZ,
     ling_zu AS LING_ZU, xu_ji AS XU_JI, village AS CUN_MC FROM parcels"
(cd "$W" && zip -q wuyuan.zip wuyuan.shp wuyuan.shx wuyuan.dbf wuyuan.prj wuyuan.cpg)
rm -f "$W/parcels.geojson" "$W"/wuyuan.s* "$W"/wuyuan.dbf "$W"/wuyuan.prj "$W"/wuyuan.cpg
echo "wuyuan.zip: $(($(stat -c %s "$W/wuyuan.zip") / 1048576)) MB"

DST=ecocomp_bench_import_$n
psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DST WITH (FORCE)" >&2
psql "$ADMIN_URL" -qc "CREATE DATABASE $DST" >&2
URL=$(db_url "$DST")
DATABASE_URL="$URL" "$BIN" migrate >&2
DATABASE_URL="$URL" "$BIN" seed demo --parcels 0 --seed 1 >&2
PG=$(python3 -c "import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(f'PG:host={p.hostname} port={p.port or 5432} user={p.username} dbname={p.path[1:]}')" "$URL")

# The village name column is published, as a surveyor's mapping would allow it (others are not).
echo '{"extra": ["CUN_MC"]}' > "$W/mapping.json"
/usr/bin/time -f "%e %M" -o "$OUT/time.txt" env DATABASE_URL="$URL" "$BIN" import parcels "$W/wuyuan.zip" \
    --mapping "$W/mapping.json" --report "$W/report-first.json" >"$W/first.txt" 2>"$W/first.err"
read -r first kb1 <"$OUT/time.txt"
grep -E "IMPORTED|REJECTED|FAILED|errors" "$W/first.txt"
echo "ecocomp import (new county): ${first}s, peak RSS $((kb1 / 1024)) MB; steps:"
sed 's/^/    /' "$W/first.err"

/usr/bin/time -f "%e %M" -o "$OUT/time.txt" env DATABASE_URL="$URL" "$BIN" import parcels "$W/wuyuan.zip" \
    --mapping "$W/mapping.json" --report "$W/report-again.json" >"$W/again.txt" 2>"$W/again.err"
read -r again kb2 <"$OUT/time.txt"
grep -E "IMPORTED|REJECTED|FAILED" "$W/again.txt"
echo "ecocomp import (same file again, all unchanged): ${again}s, peak RSS $((kb2 / 1024)) MB"

/usr/bin/time -f "%e %M" -o "$OUT/time.txt" ogr2ogr -f PostgreSQL "$PG" "/vsizip/$W/wuyuan.zip/wuyuan.shp" -nln bare_parcels \
    -lco GEOMETRY_NAME=geom -nlt PROMOTE_TO_MULTI -t_srs EPSG:4490 -overwrite 2>/dev/null
read -r bare kb3 <"$OUT/time.txt"
echo "ogr2ogr -f PostgreSQL (same zip, no validation): ${bare}s, peak RSS $((kb3 / 1024)) MB, $(psql "$URL" -Atc 'SELECT count(*) FROM bare_parcels') rows"
echo "ecocomp import / ogr2ogr: $(python3 -c "print(f'{$first / $bare:.2f}')")x (target ≤ 3x); again / ogr2ogr: $(python3 -c "print(f'{$again / $bare:.2f}')")x"
psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DST WITH (FORCE)" >&2
