"""A real outage, not a mock: gunicorn with the production settings reaches PostgreSQL only
through a TCP proxy, which the tests close, cut, or let a backend be terminated behind.

The promises (README "Production serving"): the API answers 503 JSON `database_unavailable`
with Retry-After, the site form a 503 page saying to try again, /health/ 503; nothing is
half-written; and the same server process serves again as soon as the database is back.
"""

import threading
import time
import uuid
from typing import Any

import psycopg
import pytest

from contacts.models import Contact, Email, Phone, Submission, VisitorSession
from tests.faults.conftest import POOL_TIMEOUT, Reply, Server

pytestmark = pytest.mark.django_db(transaction=True)

UNAVAILABLE = {
    "detail": "The database is temporarily unavailable. Please try again shortly.",
    "code": "database_unavailable",
}
PHONE = {"countryCode": "US", "phone": "650-253-0000"}


def unique_email() -> str:
    return f"fault.{uuid.uuid4().hex[:12]}@example.com"


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (Contact, Email, Phone, Submission, VisitorSession)}


def assert_api_unavailable(reply: Reply) -> None:
    assert reply.status == 503, reply.body[:500]
    assert reply.headers["content-type"] == "application/json"
    assert reply.json() == UNAVAILABLE
    assert reply.headers["retry-after"] == "5"


def wait_until_served(server: Server, body: dict[str, Any], *, within: float = 15) -> tuple[Reply, float, int]:
    """POST until the API answers below 500; returns the reply, the seconds it took and how
    many 503s came first. Anything but 503 on the way fails."""
    start, refused = time.monotonic(), 0
    while True:
        reply = server.post_api(body)
        if reply.status < 500:
            return reply, time.monotonic() - start, refused
        assert_api_unavailable(reply)
        refused += 1
        assert time.monotonic() - start < within, f"still 503 after {within} s"
        time.sleep(0.1)


def csrf_cookie(server: Server) -> str:
    reply = server.request("GET", "/contact/")
    assert reply.status == 200
    (cookie,) = [c for c in reply.cookies if c.startswith("csrftoken=")]
    return cookie.split("=", 1)[1].split(";", 1)[0]


def post_form(server: Server, token: str, email: str) -> Reply:
    body = f"csrfmiddlewaretoken={token}&first_name=Ada&email={email}&message=hello".encode()
    return server.request("POST", "/contact/", body, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"csrftoken={token}",
        "Origin": f"https://127.0.0.1:{server.port}",
    })


def test_database_refused_then_back(server: Server) -> None:
    assert server.post_api({"emails": [{"email": unique_email()}]}).status == 201
    token = csrf_cookie(server)
    before = counts()
    lost = [unique_email() for _ in range(2)]

    server.proxy.refuse()  # PostgreSQL is gone: open connections cut, new ones refused
    try:
        started = time.monotonic()
        assert_api_unavailable(server.post_api({"emails": [{"email": lost[0]}]}))
        api_seconds = time.monotonic() - started

        health = server.request("GET", "/health/")
        assert health.status == 503
        assert health.json() == {"status": "unavailable", "database": "unreachable"}
        assert health.headers["retry-after"] == "5"

        form = post_form(server, token, lost[1])
        assert form.status == 503
        assert form.headers["content-type"].startswith("text/html")
        assert form.headers["retry-after"] == "5"
        assert "try again" in form.text
        assert "Traceback" not in form.text
    finally:
        server.proxy.start()  # it is back, on the same port; the server is not restarted

    reply, seconds, refused = wait_until_served(server, {"emails": [{"email": unique_email()}]})
    assert reply.status == 201
    assert refused == 0  # the first request after the database's return is served
    assert server.request("GET", "/health/").json() == {"status": "ok", "database": "ok"}
    assert post_form(server, token, unique_email()).status == 302
    after = counts()
    assert after["Submission"] == before["Submission"] + 2  # the two served after; none of the lost
    assert not Email.objects.filter(key__in=lost).exists()
    print(f"\n[outage] API 503 after {api_seconds:.2f} s (pool timeout {POOL_TIMEOUT} s); "
          f"served again {seconds:.2f} s after the database returned, {refused} request(s) 503 first")


def _blocked_backend(dbname: str) -> int:
    """The server's backend once it waits on a lock the test holds."""
    with psycopg.connect(**_direct(dbname), autocommit=True) as watcher:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            row = watcher.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock' "
                "AND backend_type = 'client backend'", [dbname]).fetchone()
            if row:
                return int(row[0])
            time.sleep(0.05)
    raise AssertionError("the server's request never blocked on the contact's row lock")


def _direct(dbname: str) -> dict[str, Any]:
    from django.db import connection

    settings = connection.settings_dict
    return {"host": settings["HOST"] or "127.0.0.1", "port": int(settings["PORT"] or 5432),
            "user": settings["USER"] or "postgres", "password": settings["PASSWORD"] or None, "dbname": dbname}


@pytest.mark.parametrize("fault", ["backend_terminated", "network_cut"])
def test_connection_lost_inside_the_transaction(server: Server, fault: str) -> None:
    """The request takes its advisory locks and inserts its visitor row, then waits for the
    contact's row lock, which the test holds; then its connection dies. Nothing it wrote
    inside its transaction survives, and the next request is served."""
    email = unique_email()
    created = server.post_api({"emails": [{"email": email}]})
    assert created.status == 201
    contact_id = created.json()["contactId"]
    before = counts()
    dbname = server.database["NAME"]

    replies: list[Reply] = []
    with psycopg.connect(**_direct(dbname)) as locker:  # not autocommit: the lock is held until rollback
        locker.execute(f"SELECT 1 FROM {Contact._meta.db_table} WHERE id = %s FOR UPDATE", [contact_id])
        request = threading.Thread(target=lambda: replies.append(
            server.post_api({"emails": [{"email": email}], "phones": [PHONE]})))
        request.start()
        pid = _blocked_backend(dbname)
        if fault == "backend_terminated":  # PostgreSQL restarted, or an operator killed it
            with psycopg.connect(**_direct(dbname), autocommit=True) as admin:
                assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)
        else:  # the network between the app and the database dropped every connection
            server.proxy.cut()
        request.join(timeout=15)
        assert not request.is_alive()
        locker.rollback()

    assert len(replies) == 1
    assert_api_unavailable(replies[0])
    assert counts() == before  # no visitor row, no phone, no submission: the transaction is gone

    reply, seconds, refused = wait_until_served(server, {"emails": [{"email": email}], "phones": [PHONE]})
    assert reply.status == 200
    assert refused == 0
    assert reply.json()["contactId"] == contact_id
    assert Phone.objects.filter(contact_id=contact_id).count() == 1
    assert Submission.objects.count() == before["Submission"] + 1
    print(f"\n[{fault}] served again after {seconds:.2f} s, {refused} request(s) 503 first")


def test_health_is_plain_http_and_cookie_free(server: Server) -> None:
    """A balancer probes the process directly: no HTTPS redirect, no cookie, not cached."""
    reply = server.request("GET", "/health/", https=False)
    assert reply.status == 200
    assert reply.json() == {"status": "ok", "database": "ok"}
    assert reply.cookies == []
    assert "no-store" in reply.headers["cache-control"]
    assert server.request("HEAD", "/health/", https=False).status == 200
    page = server.request("GET", "/contact/", https=False)
    assert page.status == 301 and page.headers["location"].startswith("https://")
    secure = server.request("GET", "/contact/")
    assert secure.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"
    assert {c.split("=", 1)[0] for c in secure.cookies} == {"csrftoken", "crm_visitor"}
    assert all("; Secure" in c for c in secure.cookies), secure.cookies


def test_logs_carry_no_contact_data(server: Server) -> None:
    """Run last: the server's whole log (gunicorn's access log and Django's) after the outages
    above names paths and exception types, never an email address, phone or query string."""
    server.request("GET", "/health/?email=leak.check@example.com")
    time.sleep(0.3)
    log = server.log()
    assert "database unavailable: OperationalError on POST /api/contacts/append-or-create/" in log
    assert "database unavailable: OperationalError on POST /contact/" in log
    assert '"GET /health/ HTTP/1.1" 200' in log
    for secret in ("@example.com", "leak.check", "650-253", "6502530000", "Traceback"):
        assert secret not in log, secret
