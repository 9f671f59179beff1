# Two entry points (see README): `make demo` and `make test`. Each creates the virtualenv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test lint clean

$(STAMP): pyproject.toml Makefile
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev,cluster]'
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	@bash scripts/demo.sh

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

test: venv
	@bash scripts/ensure-chromium.sh
	@bash scripts/ensure-curl.sh
	@bash scripts/ensure-prometheus.sh
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .ruff_cache
