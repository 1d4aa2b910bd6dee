# roamkit: `make run` starts a node on SQLite, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# PostgreSQL for the second test pass (trust auth on the dev and CI machines).
PG_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
# Test processes (pytest-xdist): integration tests mostly wait on the nodes they start,
# so three share two cores well (the whole suite: 5.5 -> 2.7 min on SQLite, 7.5 -> 3.7 on
# PostgreSQL). TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 3
PYTEST := $(BIN)/pytest -q -n $(TEST_WORKERS)

.PHONY: run test test-sqlite test-postgres lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/roamkit init
	$(BIN)/roamkit serve

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard bench)

format: $(STAMP)
	$(BIN)/ruff format src tests $(wildcard bench)

test-sqlite: $(STAMP)
	ROAMKIT_TEST_DATABASE_URL= $(PYTEST)

# Runs when PostgreSQL answers; under CI (CI=true) a missing PostgreSQL is a failure.
test-postgres: $(STAMP)
	@if $(BIN)/python -c "import asyncio, asyncpg; asyncio.run(asyncpg.connect('$(PG_URL)', timeout=3))" 2>/dev/null; then \
		ROAMKIT_TEST_DATABASE_URL=$(PG_URL) $(PYTEST); \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL at $(PG_URL) does not answer, and CI requires it"; exit 1; \
	else \
		echo "PostgreSQL at $(PG_URL) does not answer: skipping the PostgreSQL pass"; \
	fi

test: lint test-sqlite test-postgres

clean:
	rm -rf $(VENV) .venv-extrawest .pytest_cache .ruff_cache

# Benchmarks (bench/README.md): needs wrk (apt-get install wrk); results in bench/*.json.
# BENCH_ARGS=--quick for a short smoke run.
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python bench/list_throughput.py $(BENCH_ARGS)
	$(BIN)/python bench/push_latency.py $(BENCH_ARGS)
	$(BIN)/python bench/full_pull.py $(BENCH_ARGS)
