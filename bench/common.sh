# Shared by the bench scripts: a seeded benchmark database per county size, reused between runs.
# ECOCOMP_BENCH_ADMIN_URL: server to create it on (default: the machine's PostgreSQL).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ADMIN_URL=${ECOCOMP_BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
OUT=${BENCH_OUT:-$ROOT/bench/out}
mkdir -p "$OUT"
BIN=$OUT/ecocomp
(cd "$ROOT" && go build -o "$BIN" ./cmd/ecocomp)
# Owners' personal data is encrypted: the benchmark databases (kept between runs) keep their key
# beside them, unless one is configured.
if [ -z "${ECOCOMP_PII_KEY:-}" ] && [ -z "${ECOCOMP_PII_KEY_FILE:-}" ]; then
    [ -s "$OUT/pii.key" ] || "$BIN" pii keygen -o "$OUT/pii.key" >&2
    export ECOCOMP_PII_KEY_FILE="$OUT/pii.key"
fi

db_url() { echo "$ADMIN_URL" | sed -E "s#/[^/?]+(\?|$)#/$1\1#"; }

# bench_db N → prints the URL of a database holding the demo county with N parcels (seed 1).
bench_db() {
    name=ecocomp_bench_$1
    url=$(db_url "$name")
    if ! psql "$ADMIN_URL" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
        psql "$ADMIN_URL" -qc "CREATE DATABASE $name" >&2
    fi
    DATABASE_URL=$url "$BIN" migrate >&2
    DATABASE_URL=$url "$BIN" seed demo --parcels "$1" --seed 1 >&2
    # Overlays, eligibility and subsidies exist in a running county (make demo computes them).
    DATABASE_URL=$url "$BIN" policy load --shipped >&2
    if ! psql "$url" -Atqc "SELECT 1 FROM recompute_run WHERE scope = 'all' LIMIT 1" | grep -q 1; then
        DATABASE_URL=$url "$BIN" recompute --year 2026 >&2
    fi
    echo "$url"
}

# free_port → a free loopback TCP port.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
