# Two commands on a fresh machine: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve worker test bench load lint format clean

# The task worker (imports, full team exports) runs beside the server and stops with it.
# Not on INT: Ctrl-C reaches the worker itself, and a second signal would cut its task short.
WITH_WORKER = $(BIN)/python manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT TERM;

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 12), "Python 3.12+ needed (pyenv reads .python-version)"'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet '.[dev]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_default_data --demo
	$(WITH_WORKER) $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Production settings on loopback: gunicorn workers (config/gunicorn.py), WhiteNoise's
# compressed manifest storage, no DEBUG. Plain HTTP here (HTTPS=0); behind a TLS proxy,
# leave HTTPS unset.
SERVE_ENV = DEBUG=0 HTTPS=0 ALLOWED_HOSTS=$(HOST),localhost SECRET_KEY="$$(cat var/secret_key)"
WORKERS ?= 4

var/secret_key:
	mkdir -p var
	$(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

serve: $(VENV)/.installed var/secret_key
	$(SERVE_ENV) $(BIN)/python manage.py migrate --no-input
	$(SERVE_ENV) $(BIN)/python manage.py collectstatic --no-input --verbosity 0
	$(SERVE_ENV) $(BIN)/python manage.py load_default_data
	$(SERVE_ENV) $(WITH_WORKER) $(SERVE_ENV) $(BIN)/gunicorn -c python:config.gunicorn \
		--workers $(WORKERS) --bind $(HOST):$(PORT) --access-logfile - \
		--max-requests 2000 --max-requests-jitter 200

# One more task worker, e.g. on another machine against the same PostgreSQL.
worker: $(VENV)/.installed
	$(BIN)/python manage.py db_worker --no-reload

test: $(VENV)/.installed
	$(BIN)/python -m pytest

bench: $(VENV)/.installed
	$(BIN)/python scripts/bench.py

$(VENV)/.load-installed: pyproject.toml | $(VENV)/.installed
	$(BIN)/python -m pip install --quiet '.[dev,load]'
	touch $@

# 50 simulated technicians for 60 s against gunicorn on loopback, then the same while one
# user hammers search from eight tabs; see scripts/load/run.py.
load: $(VENV)/.load-installed
	$(BIN)/python scripts/load/run.py
	$(BIN)/python scripts/load/run.py --scenario hammer

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var build *.egg-info
