#!/bin/sh
# Parcel vector tiles at z12/z14/z16: the tile SQL on PostgreSQL alone, then `ecocomp serve`
# cold (cache off) and warm, in the same run.   bench/tiles.sh [PARCELS=100000]
. "$(dirname "$0")/common.sh"
URL=$(bench_db "${1:-100000}")
cd "$ROOT" && go run ./bench/tilebench -db "$URL" -bin "$BIN" -n 300 -c 8
