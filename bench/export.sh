#!/bin/sh
# Export of all parcels: `ecocomp export parcels` against `ogr2ogr -f GeoJSON` of the same table,
# side by side in the same run; wall time and peak RSS of each.
#   bench/export.sh [PARCELS ...]   (default 100000)
. "$(dirname "$0")/common.sh"
[ $# -gt 0 ] || set -- 100000
for n in "$@"; do
    URL=$(bench_db "$n")
    PG=$(python3 -c "import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(f'PG:host={p.hostname} port={p.port or 5432} user={p.username} dbname={p.path[1:]}')" "$URL")
    echo "== $n parcels"
    for crs in EPSG:4490 EPSG:4548; do
        f=$OUT/export-$n-$(echo $crs | tr -d :).geojson
        /usr/bin/time -f "%e %M" -o "$OUT/time.txt" env DATABASE_URL="$URL" "$BIN" export parcels --crs "$crs" -o "$f" 2>/dev/null
        read -r secs kb < "$OUT/time.txt"
        echo "ecocomp export ($crs): ${secs}s, peak RSS $((kb / 1024)) MB, $(($(stat -c %s "$f") / 1048576)) MB"
        [ "$crs" = EPSG:4490 ] && ECO=$secs
        rm -f "$f"
    done
    f=$OUT/ogr2ogr-$n.geojson
    rm -f "$f"
    /usr/bin/time -f "%e %M" -o "$OUT/time.txt" ogr2ogr -f GeoJSON "$f" "$PG" -sql "SELECT * FROM parcel WHERE valid_to IS NULL" 2>/dev/null
    read -r secs kb < "$OUT/time.txt"
    echo "ogr2ogr -f GeoJSON (same table): ${secs}s, peak RSS $((kb / 1024)) MB, $(($(stat -c %s "$f") / 1048576)) MB"
    echo "ecocomp is $(python3 -c "print(f'{$secs / $ECO:.2f}')")x faster than ogr2ogr"
    rm -f "$f"
done
