"""A download that takes longer than gunicorn's worker timeout still arrives whole: the real
server (crmsite/gunicorn.conf.py, crmsite.production) streams a contact export to a slow
client for longer than GUNICORN_TIMEOUT. Sync workers are killed mid-response when that
happens (a 1,000,000-row export takes over a minute), so the config runs gthread workers,
whose main loop keeps reporting alive while a request thread streams."""

import datetime
import http.client
import os
import re
import secrets
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.db import connection

from integrations.models import IntegrationToken, Scope
from tests.export.conftest import bulk_contacts
from tests.faults.conftest import GUNICORN, ROOT, _free_port

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 30_000  # an export of these takes a few seconds: longer than TIMEOUT
TIMEOUT = 1  # seconds: GUNICORN_TIMEOUT for this server
NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)


def _serve(tmp_path: Path) -> tuple[subprocess.Popen[bytes], int, Path]:
    database = connection.settings_dict
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crmsite.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
                        f"/{database['NAME']}",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_TIMEOUT": str(TIMEOUT),
    }
    for name in ("GUNICORN_THREADS", "REDIS_URL"):
        env.pop(name, None)
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([str(GUNICORN), "-c", "crmsite/gunicorn.conf.py", "crmsite.wsgi"], cwd=ROOT,
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, port, log_path
        except OSError:
            time.sleep(0.1)
    process.kill()
    pytest.fail(f"gunicorn did not come up:\n{log_path.read_text(errors='replace')[-3000:]}")


def test_an_export_that_outlives_the_worker_timeout_arrives_whole(tmp_path: Path) -> None:
    bulk_contacts(ROWS, NOW)
    _, secret = IntegrationToken.issue(name="export", scopes=[Scope.IMPORT, Scope.READ])
    process, port, log_path = _serve(tmp_path)
    try:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # the server must wait for the reader
        sock.settimeout(30)
        sock.connect(("127.0.0.1", port))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.sock = sock
        conn.request("GET", "/api/contacts/export/?format=csv", headers={
            "Authorization": f"Bearer {secret}", "X-Forwarded-Proto": "https"})
        response = conn.getresponse()
        assert response.status == 200
        body = response.read()
        conn.close()
    except http.client.IncompleteRead as exc:
        pytest.fail(f"the download was cut after {len(exc.partial)} bytes:\n"
                    f"{log_path.read_text(errors='replace')[-2000:]}")
    finally:
        process.terminate()
        process.wait(timeout=20)
    lines = body.decode().splitlines()
    assert len(lines) == ROWS + 1, log_path.read_text(errors="replace")[-2000:]
    assert lines[0].startswith("id,firstName,lastName")
    log = log_path.read_text(errors="replace")
    assert "WORKER TIMEOUT" not in log
    served = re.search(r'"GET /api/contacts/export/ HTTP/1.1" 200 \d+ (\d+)ms', log)
    assert served is not None and int(served.group(1)) > 1500 * TIMEOUT, log[-2000:]  # it outlived the timeout
