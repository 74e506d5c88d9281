"""crmsite.production: `check --deploy` is clean, and a missing secret fails loudly.

Each check runs in a fresh interpreter, since settings are read once per process."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

CHECK_DEPLOY = """
import django
from django.core.management import call_command
django.setup()
call_command("check", deploy=True, fail_level="DEBUG")  # any message at all is a failure
"""

PROBE = """
import importlib, json, os, sys
from django.core.exceptions import ImproperlyConfigured
results = []
for env in json.loads(sys.stdin.read()):
    os.environ.clear()
    os.environ.update(env)
    for name in ("crmsite.production", "crmsite.settings"):
        sys.modules.pop(name, None)
    try:
        s = importlib.import_module("crmsite.production")
    except ImproperlyConfigured as exc:
        results.append({"error": str(exc)})
        continue
    db = s.DATABASES["default"]
    results.append({"debug": s.DEBUG, "hosts": s.ALLOWED_HOSTS, "origins": s.CSRF_TRUSTED_ORIGINS,
                    "conn_max_age": db["CONN_MAX_AGE"], "health_checks": db["CONN_HEALTH_CHECKS"],
                    "pool": db["OPTIONS"]["pool"], "connect_timeout": db["OPTIONS"]["connect_timeout"],
                    "proxy_header": s.SECURE_PROXY_SSL_HEADER, "visitor_secure": s.VISITOR_COOKIE_SECURE,
                    "middleware": s.MIDDLEWARE})
print(json.dumps(results))
"""


def production_env(**overrides: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crmsite.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "crm.example.com",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crmsite"),
    }
    for name in ("DEBUG", "SECURE_PROXY_SSL_HEADER", "CSRF_TRUSTED_ORIGINS", "GUNICORN_THREADS") + tuple(
            k for k in os.environ if k.startswith(("DB_POOL_", "SECURE_HSTS"))):
        env.pop(name, None)
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run(code: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, input=stdin, capture_output=True,
                          text=True, timeout=60)


def probe(*envs: dict[str, str]) -> list[dict[str, Any]]:
    """crmsite.production imported once per environment, all in one fresh interpreter."""
    result = run(PROBE, dict(os.environ), json.dumps(envs))
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout))


def test_check_deploy_is_clean() -> None:
    result = run(CHECK_DEPLOY, production_env(DEBUG="true"))  # DEBUG from the environment is ignored
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stderr + result.stdout


def test_the_production_settings() -> None:
    shown, threads = probe(
        production_env(
            ALLOWED_HOSTS="crm.example.com, www.example.com", CSRF_TRUSTED_ORIGINS="https://crm.example.com",
            SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto: https", DB_POOL_MAX_SIZE="8", DB_POOL_TIMEOUT="2.5",
            CONN_MAX_AGE="600"),
        production_env(GUNICORN_THREADS="4"),
    )
    assert shown["debug"] is False
    assert shown["hosts"] == ["crm.example.com", "www.example.com"]
    assert shown["origins"] == ["https://crm.example.com"]
    assert shown["conn_max_age"] == 0  # the pool needs it; CONN_MAX_AGE from the environment is ignored
    assert shown["health_checks"] is True
    assert shown["pool"] == {"name": "crmsite", "min_size": 1, "max_size": 8, "timeout": 2.5, "reconnect_timeout": 5.0}
    assert shown["connect_timeout"] == 5
    assert shown["proxy_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert shown["visitor_secure"] is True
    assert "crmsite.middleware.DatabaseUnavailableMiddleware" in shown["middleware"]
    assert threads["pool"]["max_size"] == 4  # the default follows gunicorn's threads per worker


FAILURES = [
    ({"SECRET_KEY": None}, "crmsite.production needs the SECRET_KEY environment variable"),
    ({"SECRET_KEY": "  "}, "crmsite.production needs the SECRET_KEY environment variable"),
    ({"SECRET_KEY": "insecure-development-key-change-me-" + "x" * 20}, "SECRET_KEY is the development key"),
    ({"ALLOWED_HOSTS": None}, "crmsite.production needs the ALLOWED_HOSTS environment variable"),
    ({"DATABASE_URL": None}, "crmsite.production needs DATABASE_URL"),
    ({"DATABASE_URL": "sqlite:///tmp.sqlite3"}, "crmsite.production runs on PostgreSQL"),
    ({"SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto"}, "SECURE_PROXY_SSL_HEADER must look like"),
]


def test_missing_configuration_fails_clearly() -> None:
    results = probe(*(production_env(**overrides) for overrides, _ in FAILURES))
    for (overrides, message), result in zip(FAILURES, results, strict=True):
        assert message in result.get("error", ""), (overrides, result)


def test_manage_py_names_the_missing_secret() -> None:
    result = run("import sys; from django.core.management import execute_from_command_line; "
                 "execute_from_command_line(['manage.py', 'check'])", production_env(SECRET_KEY=None))
    assert result.returncode != 0
    assert "ImproperlyConfigured: crmsite.production needs the SECRET_KEY environment variable" in result.stderr


def test_the_gunicorn_config() -> None:
    code = """
import json, runpy
c = runpy.run_path("crmsite/gunicorn.conf.py")
print(json.dumps({k: c[k] for k in ("bind", "workers", "threads", "timeout", "accesslog", "access_log_format",
                                     "preload_app", "wsgi_app")}))
"""
    base = {k: v for k, v in os.environ.items()
            if k not in {"BIND", "PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_ACCESSLOG"}}
    defaults = json.loads(run(code, base).stdout)
    assert defaults["bind"] == ["127.0.0.1:8000"]
    assert defaults["workers"] == 2 * len(os.sched_getaffinity(0)) + 1
    assert defaults["threads"] == 1 and defaults["timeout"] == 30
    assert defaults["accesslog"] == "-"
    assert "%(U)s" in defaults["access_log_format"]  # the path only
    assert not {"%(r)s", "%(q)s", "%(f)s"} & set(defaults["access_log_format"].split())
    assert defaults["preload_app"] is False and defaults["wsgi_app"] == "crmsite.wsgi:application"

    port = json.loads(run(code, {**base, "PORT": "9000", "WEB_CONCURRENCY": "3", "GUNICORN_ACCESSLOG": "off"}).stdout)
    assert port["bind"] == ["127.0.0.1:9000"] and port["workers"] == 3 and port["accesslog"] is None
    bind = json.loads(run(code, {**base, "BIND": "0.0.0.0:8080,unix:/tmp/crm.sock", "PORT": "9000"}).stdout)
    assert bind["bind"] == ["0.0.0.0:8080", "unix:/tmp/crm.sock"]


def test_logs_go_to_stdout_without_exception_messages() -> None:
    code = """
import logging, logging.config
from crmsite import production
logging.config.dictConfig(production.LOGGING)
email = "ari" + "@example.com"
for name in ("django.request", "crmsite.database", "somewhere.else"):
    try:
        raise ValueError(f"DETAIL: Key (key)=({email}) already exists.")
    except ValueError:
        logging.getLogger(name).exception("Internal Server Error: %s", "/api/contacts/append-or-create/")
"""
    result = run(code, production_env())
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout
    assert lines.count("ERROR django.request") == lines.count("ERROR somewhere.else") == 1
    assert lines.count("Internal Server Error: /api/contacts/append-or-create/") == 3
    assert lines.count("builtins.ValueError: [message withheld") == 3
    assert "@example.com" not in lines
