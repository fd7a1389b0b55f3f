# Kurve. `make run` brings up the app with demo data on 127.0.0.1:8080;
# `make test` runs every test against real PostgreSQL.
GO ?= go
export GOFLAGS := -buildvcs=false

.PHONY: build run test test-night fuzz bench lighthouse mutate-wall mutate lint clean stop-db

build:
	$(GO) build -o bin/kurve ./cmd/kurve

run: build
	scripts/run-dev.sh

test:
	scripts/test.sh

# The whole suite with the tests' clock pinned at 23:30 UTC, when Berlin,
# and so the program, is already on the next day (issue 19's nightly flake).
test-night:
	KURVE_TEST_CLOCK=23:30 scripts/test.sh

# The text decoders' fuzz targets for 300,000 runs each (about 5 minutes), not the 10,000 of make test; a count, not a duration (see scripts/test.sh).
fuzz:
	for t in FuzzJSONText FuzzFormText; do $(GO) test ./app -run '^$$' -fuzz "^$$t\$$" -fuzztime 300000x || exit 1; done

# The benchmarks on the synthetic data set of KURVE_BENCH_PARTICIPANTS
# (default 100000), built once and kept: p50/p95 of the evaluator's full
# outcome table (issue 7), and the main requests of each role (participant
# API and page, caseload, start pages, statistics) on a running `kurve
# serve` at 16 and 64 clients against pgbench scripts of the same minimum
# work (issues 12 and 15; KURVE_BENCH_SECONDS per phase, default 20;
# KURVE_BENCH_ONLY picks requests by name).
bench:
	$(GO) test ./app -run '^$$' -bench BenchmarkStatsOutcomes -benchtime 200x -timeout 60m
	$(GO) test ./cmd/kurve -run '^$$' -bench BenchmarkScale -benchtime 1x -timeout 90m -v

# Lighthouse (mobile) on the main pages of each role at the synthetic data
# set of KURVE_BENCH_PARTICIPANTS (default 100000); needs npm ci and
# Debian's chromium (issue 15).
lighthouse:
	$(GO) test ./cmd/kurve -run '^$$' -bench BenchmarkLighthouse -benchtime 1x -timeout 60m -v

# Every row-level-security policy, column grant and crossing function made
# permissive in turn; the wall's tests must catch each (issue 19). Slow:
# see README for its time. KURVE_MUTATE_WALL_FLAGS=-app adds the app's
# police and mediator tests; -only REGEXP picks mutants.
mutate-wall:
	$(GO) run ./cmd/mutatewall $(KURVE_MUTATE_WALL_FLAGS)

# Mutation testing of the rule files with gremlins (pinned, installed when
# missing): only the pure unit tests run (the tag mutate skips the database
# tests, which make test runs), and efficacy below 85 % fails. Every other
# file of models, and its subdirectories, is excluded.
GREMLINS_VERSION := v0.6.0
GREMLINS := $(or $(shell $(GO) env GOBIN),$(shell $(GO) env GOPATH)/bin)/gremlins
MUTATE_FILES := status.go casetime.go suppress.go consent.go password.go sessiontime.go stats.go
MUTATE_EXCLUDE := $(filter-out $(MUTATE_FILES) %_test.go,$(notdir $(wildcard models/*.go)))

mutate:
	@$(GO) version -m $(GREMLINS) 2>/dev/null | grep -Eq '^\s+mod\s+github.com/go-gremlins/gremlins\s+$(GREMLINS_VERSION)\s' || \
		$(GO) install github.com/go-gremlins/gremlins/cmd/gremlins@$(GREMLINS_VERSION)
	$(GO) test -tags mutate -cover -run '^$$' ./models/... >/dev/null
	$(GREMLINS) unleash --tags mutate --timeout-coefficient 15 --threshold-efficacy 85 \
		$(foreach f,$(MUTATE_EXCLUDE),-E '^$(subst .,\.,$(f))$$') -E / ./models

lint:
	test -z "$$(gofmt -l $$(git ls-files '*.go') | tee /dev/stderr)"
	$(GO) vet ./...

stop-db:
	scripts/dev-postgres.sh stop

clean:
	scripts/dev-postgres.sh remove
	KURVE_PGDATA="$(CURDIR)/.data/pg-test" KURVE_PGPORT=54330 scripts/dev-postgres.sh remove
	rm -rf bin test-output .data
