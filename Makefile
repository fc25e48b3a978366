# The README's two set-up commands: `make run` (workflow on the bundled snapshot) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Snakemake's job blocks are for debugging (make run QUIET= shows them); errors still show,
# and every run ends with livescreen's own few lines.
QUIET ?= --quiet rules host reason progress

.PHONY: run test lint setup

$(BIN)/snakemake: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bib-dedupe]'
	touch $@

setup: $(BIN)/snakemake

run: setup
	$(BIN)/snakemake --cores 4 $(QUIET) --config source=snapshot

test: setup
	$(BIN)/pytest -q
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile rules
	$(BIN)/ruff check .

lint: setup
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile rules
	$(BIN)/ruff check .
