"""GET /health/ for load balancers (in-process; the outage cases run against a real server in
tests/faults/)."""

import sys
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client, RequestFactory

from crmsite.middleware import server_error

pytestmark = pytest.mark.django_db


def test_health_ok_with_one_query_and_no_cookie(client: Client, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert response.cookies == {}  # no visitor, session or CSRF cookie
    assert "Cookie" not in response.get("Vary", "")
    assert "no-store" in response["Cache-Control"]


def test_health_answers_head_and_refuses_writes(client: Client) -> None:
    head = client.head("/health/")
    assert head.status_code == 200 and head.content == b""
    assert client.post("/health/").status_code == 405


def test_other_pages_still_issue_the_visitor_cookie(client: Client) -> None:
    assert "crm_visitor" in client.get("/contact/").cookies


@pytest.mark.parametrize(("path", "content_type"), [
    ("/api/contacts/append-or-create/", "application/json"), ("/contact/", "text/html; charset=utf-8")])
def test_handler500_turns_a_database_outage_raised_in_a_middleware_into_503(path: str, content_type: str) -> None:
    request = RequestFactory().post(path)
    try:
        raise OperationalError("connection to server was lost")
    except OperationalError:
        assert sys.exc_info()[1] is not None
        response = server_error(request)
    assert response.status_code == 503
    assert response["Content-Type"] == content_type
    assert response["Retry-After"] == "5"


def test_handler500_keeps_other_errors_500() -> None:
    request = RequestFactory().get("/contact/")
    try:
        raise KeyError("bug")
    except KeyError:
        response = server_error(request)
    assert response.status_code == 500
