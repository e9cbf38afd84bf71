# One entry point for humans and CI. `make up` and `make test` work on a fresh machine:
# they create .venv and install the project (and its test tools) from pyproject.toml.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

# The framework tests (tests/frameworks) run in their own venv: autogen-core pins protobuf 5.29,
# which the server packages of .venv do not accept.
FW_VENV := .venv-frameworks
FW_STAMP := $(FW_VENV)/.installed-$(shell cat pyproject.toml tests/frameworks/requirements.txt | sha1sum | cut -c1-12)

.PHONY: up test lint typecheck bench bench-compiled clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]" --config-settings editable_mode=strict
	touch $(STAMP)

$(FW_STAMP): pyproject.toml tests/frameworks/requirements.txt
	test -x $(FW_VENV)/bin/python || $(PY) -m venv $(FW_VENV)
	$(FW_VENV)/bin/python -m pip install -q --upgrade pip
	$(FW_VENV)/bin/python -m pip install -q -e ".[frameworks]" -r tests/frameworks/requirements.txt --config-settings editable_mode=strict
	touch $(FW_STAMP)

up: $(STAMP)  ## start the platform on embedded Valkey + chDB and send a demo agent's traces
	$(BIN)/agentstate up --demo $(ARGS)

test: $(STAMP) $(FW_STAMP)  ## lint and strict types, the whole test suite (what CI runs), then the framework tests
	$(BIN)/ruff check sdk cli semconv receiver processors api ui tests bench examples
	$(BIN)/ruff format --check sdk cli semconv receiver processors api ui tests bench examples
	$(BIN)/mypy -p agentstate
	$(BIN)/python -m pytest -q --ignore=tests/frameworks
	$(FW_VENV)/bin/python -m pytest -q -p no:cacheprovider tests/frameworks

lint: $(STAMP)
	$(BIN)/ruff check sdk cli semconv receiver processors api ui tests bench examples
	$(BIN)/ruff format --check sdk cli semconv receiver processors api ui tests bench examples

typecheck: $(STAMP)
	$(BIN)/mypy -p agentstate

bench: $(STAMP)
	$(BIN)/python bench/ingest.py

bench-compiled: $(STAMP)  ## bench/ingest.py on the processors compiled with mypyc (setup.py), as in the Docker image
	rm -rf build/compiled
	AGENTSTATE_COMPILE=1 $(BIN)/python -m pip wheel --no-deps --no-build-isolation -q -w build/compiled/dist .
	$(BIN)/python -m pip install --no-deps -q --target build/compiled/site build/compiled/dist/*.whl
	PYTHONPATH=build/compiled/site $(BIN)/python bench/ingest.py $(ARGS)

clean:
	rm -rf $(VENV) $(FW_VENV) build dist *.egg-info
