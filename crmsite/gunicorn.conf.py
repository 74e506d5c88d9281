"""gunicorn settings: `gunicorn -c crmsite/gunicorn.conf.py crmsite.wsgi` (README "Production serving").

Settings come from the environment (DJANGO_SETTINGS_MODULE=crmsite.production for production;
`make serve` sets it). Every knob below reads one variable; unset means the default shown.
"""

import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may use, not the host's
    except AttributeError:
        return os.cpu_count() or 1


wsgi_app = "crmsite.wsgi:application"  # used when the command line names no application

# BIND wins (comma-separated, e.g. "0.0.0.0:8000" in a container, "unix:/run/crmsite.sock");
# else PORT on the loopback interface, where the TLS-terminating proxy reaches it.
bind = [b.strip() for b in os.environ["BIND"].split(",") if b.strip()] if os.environ.get("BIND", "").strip() \
    else [f"127.0.0.1:{_int('PORT', 8000)}"]

# gthread workers, one request thread each by default: a process serves one request at a
# time, with its own connection pool, as a sync worker would; but its main loop keeps telling
# the arbiter it is alive while the request thread works, so a long download (an export of a
# million contacts takes over a minute) is not killed at `timeout` mid-response, as a sync
# worker's would be (tests/deploy/test_long_downloads.py).
worker_class = "gthread"
workers = _int("WEB_CONCURRENCY", 2 * _cores() + 1)
threads = _int("GUNICORN_THREADS", 1)  # requests at once per process; raise DB_POOL_MAX_SIZE to match
timeout = _int("GUNICORN_TIMEOUT", 30)  # a worker process whose main loop is silent this long is replaced
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)  # behind a proxy that reuses connections
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)  # 0: workers are never recycled
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 0)

# Never preload: the database pool must be created in each worker, after the fork.
preload_app = False

# X-Forwarded-Proto (HTTPS) is trusted only from these addresses: the proxy's.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"  # heartbeat files off a possibly slow disk

proc_name = "crmsite"

# Access log on stdout: method, path without the query string, status, bytes, milliseconds.
# No query string, referrer, body or cookies: an admin search URL carries an email address.
# GUNICORN_ACCESSLOG=off disables it (e.g. for benchmarks).
accesslog = None if os.environ.get("GUNICORN_ACCESSLOG", "-").strip().lower() in {"off", ""} \
    else os.environ.get("GUNICORN_ACCESSLOG", "-")
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
