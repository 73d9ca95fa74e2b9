# The two commands of the README: `make demo` and `make test`. Both set everything up first
# (virtualenv, the package, the Kafka broker jars) and are safe to run again.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup doctor demo test lint unit integration bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed (found " + sys.version.split()[0] + ")")'
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { echo "python3-venv is missing: deploy/setup/install-prerequisites.sh installs it and every other prerequisite"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)
	$(BIN)/lgsp kafka fetch

# every prerequisite (Java, javac, Maven, kcat, promtool, chromium...) or one message saying
# what to install: deploy/setup/install-prerequisites.sh
doctor: $(STAMP)
	$(BIN)/lgsp doctor

demo: setup
	$(BIN)/lgsp demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/lgsp schemas check

# the doctor first: a missing tool stops here with its install command, not in failing tests
test: doctor
	$(MAKE) setup lint
	$(BIN)/pytest

unit: $(STAMP)
	$(BIN)/pytest -m unit

integration: setup
	$(BIN)/pytest -m integration

clean:
	-$(BIN)/lgsp kafka down --all
	rm -rf $(VENV) .lgsp .pytest_cache .mypy_cache .ruff_cache .hypothesis
