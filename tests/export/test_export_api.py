"""GET /api/contacts/export/: token or staff-session auth with `contacts.import_contact`,
filters, both formats, streamed."""

import csv
import io
import json
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from contacts.api.schema import add_error_components

from integrations.models import IntegrationToken, Scope

pytestmark = pytest.mark.django_db

URL = "/api/contacts/export/"


def bearer(*scopes: str) -> dict[str, str]:
    _, secret = IntegrationToken.issue(name="test", scopes=list(scopes))
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def importer() -> dict[str, str]:
    return bearer(Scope.IMPORT, Scope.READ)


def body(response: Any) -> str:
    assert response.status_code == 200, getattr(response, "content", response)
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()


def names(client: Client, headers: dict[str, str], **params: str) -> list[str]:
    text = body(client.get(URL, params, **headers))
    return [f"{r['firstName']} {r['lastName']}" for r in csv.DictReader(io.StringIO(text, newline=""))]


# Permissions ---------------------------------------------------------------------------


def test_anonymous_gets_401_with_the_bearer_challenge(client, people) -> None:
    response = client.get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert "detail" in response.json()


def test_a_token_without_the_import_scope_gets_403(client, people) -> None:
    response = client.get(URL, **bearer(Scope.READ, Scope.WRITE, Scope.MERGE, Scope.LABEL))
    assert response.status_code == 403 and "detail" in response.json()


def test_a_revoked_token_gets_401(client, people) -> None:
    headers = bearer(Scope.IMPORT)
    IntegrationToken.objects.update(revoked_at="2026-01-01T00:00:00Z")
    assert client.get(URL, **headers).status_code == 401


def test_an_import_token_exports_csv_by_default(client, people) -> None:
    response = client.get(URL, **bearer(Scope.IMPORT))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="contacts-')
    assert response["Cache-Control"] == "no-store"
    text = body(response)
    assert text.startswith("id,firstName,lastName,company,jobTitle,birthdate,locale,email,emails,phone,phones,labels,")


def test_staff_sessions_need_the_import_permission_too(django_user_model, people) -> None:
    user = django_user_model.objects.create_user("staff", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_contact"))
    client = Client()
    client.force_login(user)
    assert client.get(URL).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="import_contact"))
    client.force_login(django_user_model.objects.get(pk=user.pk))
    assert names(client, {}) == ["Ari Thereyet", "Bo Diddley", "Mia Wallace"]


def test_a_member_session_is_refused(django_user_model, people) -> None:
    client = Client()
    client.force_login(django_user_model.objects.get(username="mia"))
    assert client.get(URL).status_code == 403


# Formats and filters -------------------------------------------------------------------


def test_jsonl_is_one_contact_object_per_line(client, importer, people) -> None:
    response = client.get(URL, {"format": "jsonl"}, **importer)
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    objects = [json.loads(line) for line in body(response).splitlines()]
    assert [o["id"] for o in objects] == [str(people[k].pk) for k in ("ari", "bo", "mia")]
    assert objects[0]["info"]["labelKeys"]["items"] == ["custom.lead", "custom.vip"]


def test_merged_contacts_are_never_exported(client, importer, people) -> None:
    assert "Ari Merged" not in names(client, importer)


def test_filters_of_the_contact_query_apply(client, importer, people) -> None:
    assert names(client, importer, labels="custom.vip") == ["Ari Thereyet"]
    assert names(client, importer, labels="custom.vip,custom.lead") == ["Ari Thereyet", "Bo Diddley"]
    assert names(client, importer, labelsAll="custom.vip,custom.lead") == ["Ari Thereyet"]
    bo_created = people["bo"].created_at
    assert names(client, importer, createdFrom=bo_created.isoformat()) == ["Bo Diddley", "Mia Wallace"]
    assert names(client, importer, createdTo=bo_created.isoformat()) == ["Ari Thereyet"]
    assert names(client, importer, createdFrom=bo_created.isoformat(), createdTo=people["mia"].created_at.isoformat(),
                 labels="custom.lead") == ["Bo Diddley"]
    assert names(client, importer, member="true") == ["Mia Wallace"]
    assert names(client, importer, member="false", format="csv") == ["Ari Thereyet", "Bo Diddley"]
    assert names(client, importer, email="ARI.WORK@example.com") == ["Ari Thereyet"]
    assert names(client, importer, phone="+1 650 253 0000") == ["Ari Thereyet"]
    assert names(client, importer, name="wal") == ["Mia Wallace"]
    assert names(client, importer, company="acme") == ["Ari Thereyet"]


@pytest.mark.parametrize(("params", "field"), [
    ({"format": "xlsx"}, "format"),
    ({"labels": "custom.nope"}, "labels"),
    ({"createdFrom": "yesterday"}, "createdFrom"),
    ({"member": "maybe"}, "member"),
    ({"label": "custom.vip"}, "label"),  # a misspelt filter is refused, never ignored
    ({"limit": "10"}, "limit"),  # the export has no pages
    ({"cursor": "abc"}, "cursor"),
])
def test_an_invalid_or_unknown_parameter_is_a_400(client, importer, people, params, field) -> None:
    response = client.get(URL, params, **importer)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert field in response.json()


def test_the_schema_documents_the_export() -> None:
    # Only this endpoint (the whole schema is validated in tests/api/test_schema.py).
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/", include("contacts.backoffice.urls_export"))])
    schema = generator.get_schema(request=None, public=True)
    assert not GENERATOR_STATS, "drf-spectacular warned"
    validate_schema(add_error_components(schema, None, None, True))
    operation = schema["paths"][URL]["get"]
    assert set(operation["responses"]) == {"200", "400", "401", "403"}
    assert set(operation["responses"]["200"]["content"]) == {"text/csv", "application/x-ndjson"}
    assert {p["name"] for p in operation["parameters"]} == {
        "format", "email", "phone", "labels", "labelsAll", "name", "company", "createdFrom", "createdTo",
        "updatedFrom", "updatedTo", "member",
    }
