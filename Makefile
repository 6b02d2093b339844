# Two commands do everything on a fresh machine:  `make run`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install run test lint bench eval clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0          # CPU build first; a bare `torch` pulls CUDA
	$(PY) -m pip install -q -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: install          ## the web chat UI on http://127.0.0.1:7860 (builds the index on first start)
	$(PY) app.py

test: install         ## lint + the whole test suite (installs Chromium and PostgreSQL for the tests if missing)
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		(apt-get update -qq && apt-get install -y -qq postgresql >/dev/null)   # the storage tests start their own
	$(VENV)/bin/ruff check assistant tests app.py
	$(PY) -m pytest

eval: install
	$(VENV)/bin/ree eval

clean:
	rm -rf indexes $(VENV)
