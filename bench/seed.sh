#!/usr/bin/env bash
# Times `ecocomp seed demo --parcels N` (default 100000) on a fresh, migrated database and prints
# the invariants `ecocomp seed verify` measures (coverage, overlaps, areas, vertices, zones …).
#
# usage: bench/seed.sh [PARCELS] [SEED]
#   DATABASE_URL  a fresh database to use; when unset a scratch database is created on
#                 postgres://postgres@127.0.0.1:5432 (PGHOST/PGPORT/PGUSER override) and dropped after.
# The acceptance bar for the default 100,000 parcels is < 300 s on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."

parcels=${1:-100000}
seed=${2:-1}
limit=300

bin=$(mktemp -d)/ecocomp
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./cmd/ecocomp
# Owners' personal data is encrypted: a key for this run unless one is configured.
if [[ -z "${ECOCOMP_PII_KEY:-}" && -z "${ECOCOMP_PII_KEY_FILE:-}" ]]; then
	export ECOCOMP_PII_KEY_FILE="$(dirname "$bin")/pii.key"
	"$bin" pii keygen -o "$ECOCOMP_PII_KEY_FILE" >/dev/null
fi

if [[ -z "${DATABASE_URL:-}" ]]; then
	export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
	db=ecocomp_bench_$$
	createdb "$db"
	trap 'dropdb --if-exists --force "$db" >/dev/null 2>&1 || true; rm -rf "$(dirname "$bin")"' EXIT
	export DATABASE_URL="postgres://${PGUSER}@${PGHOST}:${PGPORT}/${db}?sslmode=disable"
	echo "scratch database: $db"
fi

"$bin" migrate >/dev/null

start=$(date +%s.%N)
"$bin" seed demo --parcels "$parcels" --seed "$seed"
end=$(date +%s.%N)
elapsed=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')

vstart=$(date +%s.%N)
status=0
"$bin" seed verify | sed 's/^{//; s/}$//; s/ \([A-Z][A-Za-z]*:\)/\n  \1/g' || status=$?
vend=$(date +%s.%N)

echo "seed demo --parcels $parcels --seed $seed: ${elapsed} s (limit ${limit} s for 100000)"
awk -v a="$vstart" -v b="$vend" 'BEGIN { printf "seed verify: %.1f s\n", b - a }'
if [[ $status -ne 0 ]]; then
	echo "FAIL: invariants violated" >&2
	exit 1
fi
if [[ "$parcels" -eq 100000 ]] && awk -v e="$elapsed" -v l="$limit" 'BEGIN { exit !(e > l) }'; then
	echo "FAIL: slower than ${limit} s" >&2
	exit 1
fi
echo "ok"
