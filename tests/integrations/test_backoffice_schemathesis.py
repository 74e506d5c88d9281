"""Schemathesis fuzzes the back-office read and update endpoints with a valid read + write
token (tests/api/test_schemathesis.py calls them without one: 401s only): no server error,
every status code documented, every body as documented.

A few contacts exist (one a member, one merged away), so queries answer real Contact objects;
generated ids are mostly unknown (404). Bounded like the public endpoint's fuzzing.
"""

import datetime
from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from contacts.merge import contact_merge
from contacts.models import Contact, ExtendedField, Label
from crmsite.wsgi import application
from integrations.models import IntegrationToken, Scope, token_digest
from members.services import member_signup
from tests.integrations.conftest import make_contact

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
    response_headers_conformance,
]
MAX_EXAMPLES = 100
SECRET = "crm_" + "f" * 43  # a fixed token, so every generated call can carry it
READ_PATHS = r"^/api/contacts/(\{contact_id\}/(submissions/)?)?$"

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture(autouse=True)
def _in_process_app(settings) -> Iterator[None]:
    # As in tests/api/test_schemathesis.py: the test's connection serves the WSGI app.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _ensure_data() -> None:
    """The token and a few contacts, once per test (transactional tests start empty)."""
    if IntegrationToken.objects.filter(digest=token_digest(SECRET)).exists():
        return
    IntegrationToken.objects.create(name="fuzzing", digest=token_digest(SECRET), hint=SECRET[:12],
                                    scopes=[Scope.READ, Scope.WRITE])
    Label.objects.create(key="custom.vip", display_name="VIP")
    ExtendedField.objects.create(key="custom.note", display_name="Note")
    now = timezone.now()
    target = make_contact({
        "name": {"first": "Ari", "last": "Thereyet"}, "company": "Acme", "emails": [{"email": "ari@example.com"}],
        "phones": [{"countryCode": "US", "phone": "601-081-124"}], "labelKeys": ["custom.vip"],
        "addresses": [{"tag": "HOME", "address": {"city": "Springfield", "location": {"latitude": 1.5}}}],
        "extendedFields": {"custom.note": "hello"},
    }, now=now)
    source = make_contact({"name": {"first": "Old"}}, now=now - datetime.timedelta(days=1))
    contact_merge(target_id=target, source_ids=[source], acting_user=None, now=now)
    member_signup(email="dee@example.com", password="x" * 12, first_name="Dee", last_name="", visitor=None, now=now)
    assert Contact.objects.count() == 3


@pytest.mark.django_db(transaction=True)
@schema.include(path_regex=READ_PATHS).parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
def test_the_back_office_read_and_update_api_conforms_to_its_schema(case):
    _ensure_data()
    case.call_and_validate(checks=CHECKS, headers={"Authorization": f"Bearer {SECRET}"})


@pytest.mark.django_db(transaction=True)
def test_a_successful_get_and_update_match_the_schema() -> None:
    """Generated ids are unknown, so the 200s of get and update are checked here."""
    from werkzeug.test import Client

    _ensure_data()
    client, headers = Client(application), {"Authorization": f"Bearer {SECRET}"}
    contact = Contact.objects.get(first_name="Ari", merged_into__isnull=True)
    merged = Contact.objects.get(merged_into__isnull=False)
    operations = schema["/api/contacts/{contact_id}/"]
    for contact_id in (contact.pk, merged.pk):
        response = client.get(f"/api/contacts/{contact_id}/", headers=headers)
        assert response.status_code == 200
        operations["GET"].validate_response(response)
    response = client.patch(f"/api/contacts/{contact.pk}/", headers=headers, json={
        "revision": contact.revision, "info": {"birthdate": "", "emails": [{"email": "ari@example.com"}]}})
    assert response.status_code == 200
    operations["PATCH"].validate_response(response)
    response = client.patch(f"/api/contacts/{contact.pk}/", headers=headers, json={"revision": 1, "info": {}})
    assert response.status_code == 409
    operations["PATCH"].validate_response(response)
