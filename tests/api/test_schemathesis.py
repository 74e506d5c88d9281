"""Schemathesis fuzzes the append-or-create endpoint in-process against its own OpenAPI schema
(/api/schema/): no server error, every status code documented, every body as documented.

Bounded (max_examples, no deadline) so it stays well under a minute; the Hypothesis database
keeps any failure it finds for the next run.
"""

import itertools
from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import Client

from crmsite.wsgi import application

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
    response_headers_conformance,
]
MAX_EXAMPLES = 200


schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture(autouse=True)
def _in_process_app(settings) -> Iterator[None]:
    # The test's own database connection serves the WSGI app in this thread: Django would close
    # it at every request's start and end (engineering-notes.md, "API fuzzing").
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # Throttling (contacts/api/throttles.py, read per request) would turn the fuzzing into 429s.
    settings.CRM_THROTTLE_CLIENT = "off"
    settings.CRM_THROTTLE_IDENTITY = "off"
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.django_db(transaction=True)
@schema.include(path="/api/contacts/append-or-create/").parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
def test_append_or_create_conforms_to_its_schema(case):
    # Every other call comes from a new browser (no visitor cookie: creates and email/phone
    # matches), the others from one returning browser (its linked contact, step 3).
    session = _returning_browser if next(_call_numbers) % 2 else Client(application)
    case.call_and_validate(checks=CHECKS, session=session)


_call_numbers = itertools.count()
_returning_browser = Client(application)
