PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall whenever pyproject.toml changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,stack]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/ugc up

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml  # no Docker engine needed

# each prints a table of ratios against a baseline measured in the same run (bench/README.md)
bench: $(STAMP)
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.meta_publish
	$(BIN)/python -m bench.frames
	$(BIN)/python -m bench.clips
	$(BIN)/python -m bench.media_memory
	$(BIN)/python -m bench.bandit
	$(BIN)/python -m bench.api_hot_path  # needs wrk (apt-get install wrk)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
