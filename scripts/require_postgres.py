"""Stop `make test` with one clear line when no PostgreSQL answers at DATABASE_URL."""

import os
import sys

import environ
import psycopg

url = os.environ.get("DATABASE_URL", "")
config = environ.Env.db_url_config(url) if url else {}
if config.get("ENGINE") != "django.db.backends.postgresql":
    sys.exit(f"make test runs on PostgreSQL: set DATABASE_URL to a postgres:// URL (got {url!r}).")
try:
    psycopg.connect(
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        dbname="postgres",
        connect_timeout=5,
    ).close()
except psycopg.Error as exc:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    sys.exit(
        f"make test needs PostgreSQL at {config.get('HOST')}:{config.get('PORT') or 5432} ({first}). "
        "Install and start it (Debian: apt-get install postgresql && pg_ctlcluster 15 main start) "
        "or set DATABASE_URL."
    )
