# make run  — install, migrate an SQLite database, create demo data and an admin, serve on :8000
# make test — the whole suite on PostgreSQL (DATABASE_URL, default below)
# make serve — production: migrate, collectstatic, gunicorn (needs SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/crmsite

.PHONY: install run serve test check typecheck

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

run: install
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py ensure_admin
	DEBUG=$${DEBUG:-true} $(PY) manage.py runserver 127.0.0.1:8000

serve: export DJANGO_SETTINGS_MODULE := crmsite.production
serve: install
	$(PY) manage.py check --deploy
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput
	exec $(VENV)/bin/gunicorn -c crmsite/gunicorn.conf.py crmsite.wsgi

test: install
	@DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) scripts/require_postgres.py
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) -m pytest $(PYTEST_ARGS)

check: install
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

typecheck: install
	$(PY) -m mypy
