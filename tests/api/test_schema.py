"""The OpenAPI schema (/api/schema/) and the Swagger UI page (/api/docs/).

The schema must describe every field the serializers accept, with the limits of
contacts/limits.py, and every answer the endpoint gives; the error bodies the endpoint really
sends are validated against it here, including the ones fuzzing never reaches (403, 413, 415,
429, 503). The docs page must load nothing from another host.
"""

import json
import re
from html.parser import HTMLParser
from typing import Any
from unittest import mock

import jsonschema
import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.management import call_command
from django.db import OperationalError
from django.test import Client
from rest_framework import serializers

from contacts import limits
from contacts.api.fields import StrictCharField
from contacts.api.schema import PHONE_PATTERN, URL_SCHEME_PATTERN
from contacts.api.serializers import ContactInfoSerializer
from contacts.normalize import normalize_phone
from contacts.text import MULTI_LINE_PATTERN, SINGLE_LINE_PATTERN, forbidden_character
from members.services import member_signup
from tests.helpers import API_URL, FAST_PASSWORD_HASHERS, FORM_URL, SEED_FULL, post_json

SCHEMA_URL = "/api/schema/"
DOCS_URL = "/api/docs/"
OPERATION = ("paths", API_URL, "post")


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    response = Client().get(SCHEMA_URL, {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _operation(spec: dict[str, Any]) -> dict[str, Any]:
    node: Any = spec
    for part in OPERATION:
        node = node[part]
    return node


# --- the schema is valid and served -------------------------------------------------------------


def test_the_schema_generates_without_warnings_and_validates(tmp_path):
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    assert target.read_text().startswith("openapi: 3.")


def test_the_schema_is_served_as_yaml_and_json():
    client = Client()

    as_yaml = client.get(SCHEMA_URL)
    as_json = client.get(SCHEMA_URL, HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert as_yaml.status_code == as_json.status_code == 200
    assert as_yaml["Content-Type"].startswith("application/vnd.oai.openapi")
    paths = json.loads(as_json.content)["paths"]
    assert API_URL in paths and SCHEMA_URL not in paths  # the schema itself is not an operation


# --- the request: every field, with its limits --------------------------------------------------


def _check_field(spec: dict[str, Any], name: str, field: serializers.Field, prop: dict[str, Any]) -> None:
    """`prop` (the schema of `field`) says what `field` accepts."""
    where = f"{name}: {prop}"
    if isinstance(field, serializers.Serializer):
        _check_serializer(spec, field, _resolve(spec, prop))
    elif isinstance(field, serializers.ListField):
        assert prop["type"] == "array" and prop["maxItems"] == field.max_length, where
        _check_field(spec, f"{name}[]", field.child, prop["items"])
    elif isinstance(field, serializers.DictField):
        assert prop["type"] == "object", where
        assert prop["maxProperties"] == limits.MAX_EXTENDED_FIELDS_PER_REQUEST, where
        assert [t["type"] for t in prop["additionalProperties"]["oneOf"]] == ["string", "number"], where
    elif isinstance(field, serializers.ChoiceField):
        assert _resolve(spec, prop)["enum"] == list(field.choices), where
    elif isinstance(field, serializers.BooleanField):
        assert prop["type"] == "boolean", where
    elif isinstance(field, serializers.FloatField):
        assert prop["type"] == "number", where
        assert (prop["minimum"], prop["maximum"]) == (field.min_value, field.max_value), where
    elif isinstance(field, serializers.DateField):
        assert prop["type"] == "string" and prop["format"] == "date", where
    elif isinstance(field, StrictCharField):
        text = prop["oneOf"][0] if "oneOf" in prop else prop  # a blank string is the other branch
        if name.endswith("countryCode"):
            assert set(_resolve(spec, text)["enum"]) > {"US", "GB", "DE"}, where
            return
        assert text["type"] == "string" and text["maxLength"] == field.max_length, where
        assert "pattern" in text or "format" in text, where  # control characters, or stricter
        if "oneOf" in prop:
            assert field.allow_blank and prop["oneOf"][1] == {"type": "string", "maxLength": 0}, where
    else:  # pragma: no cover - a new kind of field must be described here
        raise AssertionError(f"{name}: no schema check for {type(field).__name__}")


def _check_serializer(spec: dict[str, Any], serializer: serializers.Serializer, schema: dict[str, Any]) -> None:
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False  # unknown fields are refused
    assert set(schema["properties"]) == set(serializer.fields)
    assert set(schema.get("required", [])) == {n for n, f in serializer.fields.items() if f.required}
    for name, field in serializer.fields.items():
        assert not schema["properties"][name].get("nullable"), name  # null is refused everywhere
        _check_field(spec, name, field, schema["properties"][name])


def test_the_request_schema_describes_every_field_of_the_serializer(spec):
    body = _operation(spec)["requestBody"]["content"]
    assert list(body) == ["application/json"]

    _check_serializer(spec, ContactInfoSerializer(), _resolve(spec, body["application/json"]["schema"]))


def test_the_request_schema_states_the_limits(spec):
    schemas = spec["components"]["schemas"]
    info = schemas["ContactInfo"]["properties"]

    assert {name: info[name]["maxItems"] for name in ("emails", "phones", "addresses", "labelKeys")} == {
        "emails": 50, "phones": 50, "addresses": 50, "labelKeys": 50}
    assert info["extendedFields"]["maxProperties"] == 100
    assert schemas["Name"]["properties"]["first"]["maxLength"] == limits.NAME_PART == 100
    assert schemas["EmailInfo"]["properties"]["email"]["maxLength"] == limits.EMAIL
    assert schemas["PhoneInfo"]["properties"]["phone"]["maxLength"] == limits.PHONE
    assert schemas["EmailTagEnum"]["enum"] == ["UNTAGGED", "MAIN", "HOME", "WORK"]
    assert schemas["PhoneTagEnum"]["enum"] == ["UNTAGGED", "MAIN", "HOME", "MOBILE", "WORK", "FAX"]
    assert schemas["AddressTagEnum"]["enum"] == ["UNTAGGED", "HOME", "WORK", "BILLING", "SHIPPING"]


@pytest.mark.parametrize("phone", ["601-081-124", "+1 650 253 0000", "(650) 253-0000", "+442079460958",
                                   "650.253.0000", "+4915112345678"])
def test_phones_the_pattern_allows_are_accepted_by_the_server(spec, phone):
    assert re.search(PHONE_PATTERN, phone)
    normalize_phone(phone, "US")  # raises when refused


@pytest.mark.parametrize("phone", ["abc", "123", "1234567890123456", "650 253 00O0", "+1 650 253 0000 ext 12", "+"])
def test_phones_the_server_refuses_do_not_match_the_pattern(phone):
    assert not re.search(PHONE_PATTERN, phone)


@pytest.mark.parametrize("text", ["Ari", "", "Zoë Ñúñez 山田", "a\u0007b", "a\nb", "a\tb", "\u0085", "\u007f", "\x00"])
def test_the_control_character_patterns_are_the_server_rule(text):
    assert bool(re.search(SINGLE_LINE_PATTERN, text)) == (forbidden_character(text) is None)
    assert bool(re.search(MULTI_LINE_PATTERN, text)) == (forbidden_character(text, multiline=True) is None)


def test_the_picture_pattern_is_the_url_validator_schemes():
    for url in ("https://example.com/a.png", "HTTP://example.com", "ftp://example.com/x", "ftps://example.com/x"):
        assert re.search(URL_SCHEME_PATTERN, url)
    for url in ("javascript:alert(1)", "data:image/png;base64,xx", "//example.com", "file:///etc/passwd"):
        assert not re.search(URL_SCHEME_PATTERN, url)


# --- the responses: documented, and the real bodies match -----------------------------------------


def test_every_status_code_the_endpoint_answers_with_is_documented(spec):
    responses = _operation(spec)["responses"]

    assert set(responses) == {"200", "201", "400", "403", "413", "415", "429", "503"}
    for code in ("429", "503"):
        assert responses[code]["headers"]["Retry-After"]["required"] is True
    for code, response in responses.items():
        assert list(response["content"]) == ["application/json"], code


def assert_documented(spec: dict[str, Any], response: Any) -> Any:
    """`response` has a documented status code and a body (and headers) its schema allows."""
    documented = _operation(spec)["responses"][str(response.status_code)]
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    schema = {**documented["content"]["application/json"]["schema"], "components": spec["components"]}
    jsonschema.validate(body, schema)
    for header in documented.get("headers", {}):
        assert response[header].isdigit()
    return body


@pytest.mark.django_db
@pytest.mark.parametrize("body,expected", [
    (SEED_FULL, 201),
    ({"emails": [{"email": "ari@"}], "typo": 1}, 400),  # field errors, nested and unknown
    ({"emails": [{"email": "ari@example.com"}] * 51}, 400),
    ({"company": "Acme"}, 400),  # nothing_to_reconcile
    ("{not json", 400),
    ("[" * 5000 + "]" * 5000, 400),
    ('{"name": {"first": "' + "a" * 300_000 + '"}}', 413),
])
def test_the_bodies_the_endpoint_answers_with_match_the_schema(spec, body, expected):
    response = post_json(Client(), body)

    assert response.status_code == expected
    assert_documented(spec, response)


@pytest.mark.django_db
def test_a_found_contact_and_a_415_match_the_schema(spec):
    client = Client()
    post_json(client, SEED_FULL)

    assert_documented(spec, post_json(client, SEED_FULL))  # 200
    response = client.post(API_URL, "name=Ari", content_type="text/plain")
    assert response.status_code == 415
    assert_documented(spec, response)


@pytest.mark.django_db
def test_a_member_call_without_csrf_matches_the_schema(spec, settings, now):
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS
    member = member_signup(email="mia@example.com", password="a-Long-unusual-pass-42", first_name="Mia",
                           last_name="", visitor=None, now=now)
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    client.get(FORM_URL)

    response = post_json(client, {"company": "Acme"})

    assert response.status_code == 403
    assert_documented(spec, response)


@pytest.mark.django_db
def test_a_throttled_call_matches_the_schema(spec, settings):
    settings.CRM_THROTTLE_CLIENT = "1/min"
    cache.clear()
    try:
        client = Client()
        post_json(client, SEED_FULL)
        response = post_json(client, SEED_FULL)
    finally:
        cache.clear()

    assert response.status_code == 429
    assert assert_documented(spec, response)["code"] == "throttled"


@pytest.mark.django_db
def test_a_database_outage_matches_the_schema(spec):
    with mock.patch("contacts.api.views.contact_append_or_create", side_effect=OperationalError("down")):
        response = post_json(Client(), SEED_FULL)

    assert response.status_code == 503
    assert assert_documented(spec, response)["code"] == "database_unavailable"


# --- the docs page --------------------------------------------------------------------------------


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls.extend(value for name, value in attrs if name in {"src", "href"} and value)


def test_the_docs_page_loads_swagger_ui_from_local_static_files_only():
    response = Client().get(DOCS_URL)

    assert response.status_code == 200
    html = response.content.decode()
    parser = _References()
    parser.feed(html)
    assert parser.urls, "the page references no files"
    static = "/" + settings.STATIC_URL.lstrip("/")
    for url in parser.urls:
        assert url.startswith(static), f"{url} is not one of this site's static files"
        assert finders.find(url.removeprefix(static)), f"{url} is not shipped (drf-spectacular-sidecar)"
    assert not re.search(r"(?:https?:)?//[\w.-]+\.\w", html), "the page names another host"
    assert '"validatorUrl": null' in html  # Swagger UI would otherwise call validator.swagger.io
    assert 'url: "/api/schema/"' in html
