# Docpipe — see README.md. Every target works on a fresh Debian machine.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT

# Debian packages the project needs at run time (libmagic: content sniffing).
APT_RUNTIME := libmagic1 catdoc tesseract-ocr tesseract-ocr-eng tesseract-ocr-deu tesseract-ocr-fra tesseract-ocr-spa
# ...and for the tests (a real browser for the dashboard tests) and the bench (wrk: the API load test).
APT_TEST := $(APT_RUNTIME) chromium prometheus postgresql redis-server wrk

.PHONY: install install-dev system-packages system-packages-test run worker web migrate setup test lint format bench chaos clean openapi

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: system-packages $(VENV)/.installed

install-dev: system-packages-test $(VENV)/.installed-dev

system-packages:
	@scripts/apt-ensure.sh $(APT_RUNTIME)

system-packages-test:
	@scripts/apt-ensure.sh $(APT_TEST)

migrate: install
	$(VENV)/bin/flask --app wsgi db upgrade

setup: install
	$(VENV)/bin/flask --app wsgi setup

run: setup
	VENV=$(VENV) scripts/run.sh

web: setup
	$(VENV)/bin/gunicorn --bind 0.0.0.0:$(PORT) --workers 2 --threads 4 wsgi:app

worker: setup
	$(VENV)/bin/huey_consumer webapp.worker.huey --workers 2 --worker-type thread --delay 0.05 --max-delay 0.25

test: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest
	VENV=$(VENV) scripts/test-postgres.sh

# The committed OpenAPI document; tests/api/test_openapi.py fails until it matches the code.
openapi: install
	$(VENV)/bin/flask --app wsgi openapi --output docs/openapi.json

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The performance report: every benchmark, one table per section, bench/results/latest.json (~15 min).
bench: install-dev
	$(PY) bench/report.py

# 200 jobs on PostgreSQL + a Redis of its own, 10 consumer SIGKILLs, 3 Redis restarts, 1 web kill.
chaos: install-dev
	$(PY) -m tests.e2e.chaos --jobs 200 --kills 10 --redis-restarts 3 --web-kills 1

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
