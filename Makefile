# Two commands matter: `make run` and `make test`. Everything else is what they are made of.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test test-fast lint format bench clean

setup: $(STAMP)

# Reinstalls only when the dependency files change, so `make setup` is quick and idempotent.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: setup
	$(BIN)/contacthub migrate
	$(BIN)/contacthub demo
	$(BIN)/contacthub serve

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The suite without the tests that start real server processes (marked slow): for while you work.
test-fast: setup
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

# What CI gates on: formatting, lint and strict types over src, tests and bench (mypy's files are
# set in pyproject.toml).
lint: setup
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: setup
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) contacthub.db contacthub.db-wal contacthub.db-shm .pytest_cache .mypy_cache .ruff_cache
