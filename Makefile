# ecocomp — `make demo` runs the demo county, `make test` runs every test.
GO      ?= go
BIN     := bin/ecocomp
PARCELS ?= 20000
SEED    ?= 1

.PHONY: all build demo test vet bench clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/ecocomp

# Checks first that the listen address is free (a second `make demo` stops there, before it
# touches the database of the first). Installs PostGIS when missing (as root on Debian/Ubuntu), starts the project-local cluster
# unless DATABASE_URL is set, migrates, loads the demo county (generating a demonstration key
# for owners' personal data in .devdb/pii.key) and the shipped 2026 policy, computes eligibility
# and subsidies, creates one demonstration user per role (printed) and serves the map.
demo: build
	@./$(BIN) serve --check
	@sh .ci/ensure-postgis
	@if [ -z "$$DATABASE_URL" ]; then ./$(BIN) devdb start >/dev/null; fi
	./$(BIN) migrate
	./$(BIN) seed demo --parcels $(PARCELS) --seed $(SEED)
	./$(BIN) policy load --shipped
	./$(BIN) recompute --year 2026
	./$(BIN) users demo
	./$(BIN) serve

# Rebuilds the web map into web/dist/ (committed and embedded by web/embed.go, so `go build`
# needs no npm): npm ci in web/ (playwright-core never downloads a browser), then esbuild.
.PHONY: web
web:
	cd web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund && npm run build

vet:
	$(GO) vet ./...

# Every test, against a real PostGIS: ECOCOMP_TEST_DATABASE_URL when set, else the machine's
# PostgreSQL on 127.0.0.1:5432, else the project-local devdb cluster. Each test drops its
# database; the migrated template they are copied from is dropped afterwards (pgtest/prune).
# web/node_modules is (re)installed when package-lock.json is newer than the last install.
test: vet
	@[ web/node_modules/.package-lock.json -nt web/package-lock.json ] || (cd web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
	@url="$${ECOCOMP_TEST_DATABASE_URL:-$$(sh .ci/test-database-url)}"; \
	echo "go test against $$url"; \
	ECOCOMP_TEST_DATABASE_URL="$$url" $(GO) test -count=1 -p 2 -timeout 20m ./...; status=$$?; \
	ECOCOMP_TEST_DATABASE_URL="$$url" $(GO) run ./internal/postgis/pgtest/prune; exit $$status

# Benchmarks (not part of `make test`): point lookups through HTTP against the same SQL in
# pgbench, exports against ogr2ogr, recompute against the bare overlay SQL, on the
# 100,000-parcel demo county. Each compares against a baseline measured in the same run.
bench:
	sh bench/lookup.sh 100000
	sh bench/export.sh 100000
	sh bench/recompute.sh 100000
	sh bench/tiles.sh 100000
	sh bench/auth.sh 100000
	sh bench/load.sh 100000

clean:
	rm -rf bin
