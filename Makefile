# StockPledge: `make run` to try it, `make test` to check it. Every target sets up what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PYTHONDONTWRITEBYTECODE := 1
# Where `make run` serves: `make run PORT=8123`, `make run HOST=0.0.0.0` (then add the machine's
# name to ALLOWED_HOSTS).
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help setup system-deps run serve worker test test-fast lint fmt bench services migrate demo clean messages

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/.installed: requirements.lock
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	touch $@

setup: $(BIN)/.installed system-deps ## Create the virtualenv and install the locked dependencies

system-deps: ## Install the Debian packages the browser tests and Chinese PDFs need (root only)
	@bash scripts/system-deps.sh

migrate: setup ## Apply database migrations (and the cache table used without Redis)
	@mkdir -p var
	@printf 'Database migrations… '
	@$(BIN)/python manage.py migrate --noinput -v0
	@$(BIN)/python manage.py createcachetable -v0
	@echo done

demo: migrate ## Load the demo firm, users, client, facility and stock file (idempotent)
	@$(BIN)/python manage.py seed_demo --url http://$(HOST):$(PORT)

run: demo ## Set everything up and serve the demo on HOST:PORT (default 127.0.0.1:8000; `make run PORT=8123`)
	@$(BIN)/python manage.py runserver $(HOST):$(PORT)

worker: setup ## Run a Celery worker (needs REDIS_URL)
	$(BIN)/celery -A config worker --loglevel=INFO --concurrency=2

services: ## Start PostgreSQL and Redis on this machine if they are down
	@bash scripts/services.sh

lint: setup ## Lint: ruff, import contracts (pure engine, apps as floors), migrations up to date
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	@mkdir -p var
	$(BIN)/python manage.py makemigrations --check --dry-run -v0

fmt: setup ## Format the code with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: setup lint ## Run the whole suite (PostgreSQL and Redis when reachable, else SQLite)
	@source scripts/test-env.sh && $(BIN)/pytest $(PYTEST_ARGS)

messages: setup ## Refresh the fr and zh_Hans catalogues from the code and compile them (needs gettext)
	$(BIN)/python manage.py makemessages -l fr -l zh_Hans --add-location=file --ignore='.venv/*' --ignore='var/*' --ignore='bench/*' --ignore='tests/*'
	$(BIN)/python locale/tidy.py
	$(BIN)/python manage.py compilemessages -l fr -l zh_Hans --ignore='.venv/*'

bench: setup ## Benchmarks: engine and upload pipeline at 10k, 100k, 1M lines, report rendering, pages under load
	@source scripts/test-env.sh && $(BIN)/python -m bench.run $(BENCH_ARGS)

clean: ## Remove the virtualenv, local database and media
	rm -rf $(VENV) var .pytest_cache .ruff_cache
