# Two entry points (see README): `make demo` and `make test`. Each creates the virtualenv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv compiled demo test lint clean

COMPILED := $(VENV)/.compiled
# what scripts/build_compiled.py compiles (the list is httptool.implementation.COMPILED)
COMPILED_SRC := $(shell $(PY) scripts/build_compiled.py --sources) \
	src/httptool/implementation.py scripts/build_compiled.py
# the engine's tests, run again on the pure-Python path (HTTPTOOL_PURE=1): they cover
# every compiled module, so the two paths cannot drift
PURE_TESTS := tests/engine tests/vu tests/h2 tests/metrics

$(STAMP): pyproject.toml Makefile
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev,cluster]'
	touch $(STAMP)

venv: $(STAMP)

# Without a C compiler or the Python headers this warns and leaves pure Python.
$(COMPILED): $(STAMP) $(COMPILED_SRC)
	$(BIN)/python scripts/build_compiled.py
	touch $(COMPILED)

compiled: $(COMPILED)

demo: compiled
	@bash scripts/demo.sh

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

test: compiled
	@bash scripts/ensure-chromium.sh
	@bash scripts/ensure-curl.sh
	@bash scripts/ensure-prometheus.sh
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest
	HTTPTOOL_PURE=1 $(BIN)/pytest $(PURE_TESTS)

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .ruff_cache
	find src -name '*.so' -delete -o -name '*.c' -delete
	rm -f src/httptool/.compiled-by
