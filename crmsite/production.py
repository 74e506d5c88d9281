"""Production settings: `DJANGO_SETTINGS_MODULE=crmsite.production` (README "Production serving").

Everything in crmsite.settings, then: DEBUG off, a required SECRET_KEY, ALLOWED_HOSTS and
DATABASE_URL (PostgreSQL), HTTPS only (redirect, HSTS, secure cookies), a psycopg-pool
connection pool per process, and logs on stdout without contact data.
`manage.py check --deploy` is clean with these settings (tests/deploy/).
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from crmsite.settings import *  # noqa: F403
from crmsite.settings import DATABASES, STATIC_ROOT, env


def _required(name: str, hint: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"crmsite.production needs the {name} environment variable: {hint}")
    return value


def _proxy_ssl_header(value: str) -> tuple[str, str] | None:
    """`X-Forwarded-Proto: https` → ("HTTP_X_FORWARDED_PROTO", "https"); empty → None."""
    if not value.strip():
        return None
    name, sep, expected = value.partition(":")
    if not sep or not name.strip() or not expected.strip():
        raise ImproperlyConfigured(f"SECURE_PROXY_SSL_HEADER must look like 'X-Forwarded-Proto: https', not {value!r}")
    meta = name.strip().upper().replace("-", "_")
    return (meta if meta.startswith("HTTP_") else f"HTTP_{meta}", expected.strip())


DEBUG = False

SECRET_KEY = _required(
    "SECRET_KEY", "a long random value, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(50))'`"
)
if SECRET_KEY.startswith("insecure-development-key"):
    raise ImproperlyConfigured("SECRET_KEY is the development key: set a secret one for production.")
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])  # old keys while rotating

ALLOWED_HOSTS = [h.strip() for h in _required("ALLOWED_HOSTS", "comma-separated host names").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])  # e.g. https://crm.example.com

# HTTPS only. A TLS-terminating proxy in front says so with a header: gunicorn trusts
# X-Forwarded-Proto from FORWARDED_ALLOW_IPS (crmsite/gunicorn.conf.py); or name the header
# here, when the proxy always sets (never passes through) it.
SECURE_PROXY_SSL_HEADER = _proxy_ssl_header(env("SECURE_PROXY_SSL_HEADER", default=""))
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^health/$"]  # load balancers probe the process over plain HTTP
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
VISITOR_COOKIE_SECURE = True

# Static files: `manage.py collectstatic` copies them to STATIC_ROOT; the proxy serves /static/.
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(STATIC_ROOT)))

# PostgreSQL through a psycopg-pool pool per process (engineering notes: ~3x the throughput
# of a connection per request). Pooling needs CONN_MAX_AGE=0: a request borrows a connection
# and gives it back at its end; CONN_HEALTH_CHECKS makes the pool test it before lending it.
if "DATABASE_URL" not in os.environ:
    raise ImproperlyConfigured("crmsite.production needs DATABASE_URL (postgres://user@host:5432/name).")
_database = DATABASES["default"]
if _database["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(f"crmsite.production runs on PostgreSQL, not {_database['ENGINE']}.")
_database["CONN_MAX_AGE"] = 0
_database["CONN_HEALTH_CHECKS"] = True
_database["OPTIONS"] = {
    **_database.get("OPTIONS", {}),
    # An unreachable host fails in seconds, not after the kernel's TCP timeout.
    "connect_timeout": env.int("DB_CONNECT_TIMEOUT", default=5),
    "pool": {
        "name": "crmsite",
        # A sync gunicorn worker serves one request at a time and needs one connection; a
        # gthread worker one per thread (GUNICORN_THREADS, crmsite/gunicorn.conf.py).
        "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=max(1, env.int("GUNICORN_THREADS", default=1))),
        # How long a request waits for a connection before it is answered 503.
        "timeout": env.float("DB_POOL_TIMEOUT", default=5.0),
        # The pool retries a lost connection with doubling delays; giving up after this many
        # seconds lets the next request start a fresh attempt, so service resumes within
        # seconds of the database's return even after a long outage.
        "reconnect_timeout": env.float("DB_POOL_RECONNECT_TIMEOUT", default=5.0),
    },
}

# Logs: stdout, one line per record (plus a traceback), at LOG_LEVEL. Every record passes the
# redaction filter of crmsite.settings (contacts/log_filters.py: exception messages withheld,
# they can quote contact data), not only django.request's. Django's default handlers
# (console in DEBUG, mail_admins) are replaced; SQL is never logged.
LOG_LEVEL = env("LOG_LEVEL", default="INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_exception_messages": {"()": "contacts.log_filters.RedactExceptionMessages"}},
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "line",
            "filters": ["redact_exception_messages"],
        },
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["stdout"], "level": LOG_LEVEL, "propagate": False},
        "django.db.backends": {"handlers": ["stdout"], "level": "WARNING", "propagate": False},
        "psycopg": {"handlers": ["stdout"], "level": "WARNING", "propagate": False},
    },
}
