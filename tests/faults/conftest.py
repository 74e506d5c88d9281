"""A real gunicorn server (crmsite/gunicorn.conf.py, crmsite.production settings) whose only
way to PostgreSQL is a TCP proxy the test controls (tests/faults/proxy.py)."""

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection

from tests.faults.proxy import TcpProxy

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
# Shorter than production's 5 s each, to keep the tests fast; the same ratio holds: a request
# waits longer (POOL_TIMEOUT) than the pool's longest pause between reconnection attempts
# (half of RECONNECT_TIMEOUT), so the first request after the database returns is served.
POOL_TIMEOUT = 2.0
RECONNECT_TIMEOUT = 2.0


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    cookies: list[str] = field(default_factory=list)  # every Set-Cookie header

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


@dataclass
class Server:
    port: int
    proxy: TcpProxy
    log_path: Path
    database: dict[str, Any]
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, body: bytes | None = None, *, https: bool = True,
                headers: dict[str, str] | None = None, timeout: float = 20) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        sent = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        if https:  # what the TLS-terminating proxy adds; gunicorn trusts it from 127.0.0.1
            sent["X-Forwarded-Proto"] = "https"
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            pairs = response.getheaders()
            return Reply(response.status, {k.lower(): v for k, v in pairs}, response.read(),
                         [v for k, v in pairs if k.lower() == "set-cookie"])
        finally:
            conn.close()

    def post_api(self, body: dict[str, Any]) -> Reply:
        return self.request("POST", "/api/contacts/append-or-create/", json.dumps(body).encode(),
                            headers={"Content-Type": "application/json"})

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    database = dict(connection.settings_dict)  # the test database pytest-django created
    proxy = TcpProxy((database["HOST"] or "127.0.0.1", int(database["PORT"] or 5432)))
    proxy.start()
    user = quote(database["USER"] or "postgres")
    password = f":{quote(database['PASSWORD'])}" if database["PASSWORD"] else ""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crmsite.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgres://{user}{password}@127.0.0.1:{proxy.port}/{database['NAME']}",
        "DB_POOL_TIMEOUT": str(POOL_TIMEOUT),
        "DB_POOL_RECONNECT_TIMEOUT": str(RECONNECT_TIMEOUT),
        "DB_CONNECT_TIMEOUT": "2",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "CRM_THROTTLE_CLIENT": "off",
        "CRM_THROTTLE_IDENTITY": "off",
    }
    env.pop("REDIS_URL", None)
    log_path = tmp_path_factory.mktemp("server") / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([str(GUNICORN), "-c", "crmsite/gunicorn.conf.py", "crmsite.wsgi"],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    running = Server(port, proxy, log_path, database)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if running.request("GET", "/health/", timeout=5).status == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not come up:\n{running.log()[-3000:]}")
            time.sleep(0.1)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        proxy.stop()
