"""The hostile-input catalogue for POST /api/contacts/append-or-create/.

Every hostile request is answered with a structured 4xx JSON error and writes nothing (row
counts unchanged). Cases tests/contacts/test_api.py already covers (invalid JSON text, a
form-encoded body, the 300 kB body, 51 emails, the seed's field-error examples, null
characters, unknown fields at the top, in `name`, in an email and in an address, …) are not
repeated here; this file adds the systematic ones: every field path with every wrong JSON type
and null, every array one item over its limit, every string one character over its limit,
deep nesting, control characters and invalid Unicode, and the rest of the catalogue.
"""

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from contacts import limits
from contacts.forms import ContactForm
from contacts.models import Contact, ExtendedField, Label
from tests.helpers import API_URL, SEED_FULL, counts, post_json

pytestmark = pytest.mark.django_db

Path = tuple[str | int, ...]

# A request using every field of ContactInfo, all valid (test_the_full_body_is_accepted).
FULL_BODY: dict[str, Any] = {
    "name": {"first": "Ari", "last": "Thereyet"},
    "emails": [{"tag": "WORK", "email": "ari@example.com", "primary": True}],
    "phones": [{"tag": "MOBILE", "countryCode": "US", "phone": "+1 650 253 0000", "primary": True}],
    "addresses": [{
        "tag": "HOME",
        "address": {
            "addressLine1": "1 Main Street",
            "addressLine2": "Flat 2",
            "streetAddress": {"number": "1", "name": "Main Street"},
            "city": "Springfield",
            "subdivision": "US-IL",
            "country": "US",
            "postalCode": "62701",
            "formatted": "1 Main Street\nSpringfield, IL 62701",
            "location": {"latitude": 39.78, "longitude": -89.65},
        },
    }],
    "company": "Thereyet Ltd",
    "jobTitle": "Founder",
    "birthdate": "1990-04-01",
    "locale": "en-US",
    "picture": "https://example.com/ari.png",
    "labelKeys": ["custom.vip"],
    "extendedFields": {"custom.note": "hello", "custom.budget": 1200, "custom.since": "2020-01-31",
                       "custom.site": "https://example.com"},
}

ADDRESS: Path = ("addresses", 0, "address")
STRING_FIELDS: dict[Path, int] = {  # path → maximum length (contacts/limits.py)
    ("name", "first"): limits.NAME_PART,
    ("name", "last"): limits.NAME_PART,
    ("emails", 0, "email"): limits.EMAIL,
    ("phones", 0, "countryCode"): limits.COUNTRY_CODE,
    ("phones", 0, "phone"): limits.PHONE,
    (*ADDRESS, "addressLine1"): limits.ADDRESS_LINE,
    (*ADDRESS, "addressLine2"): limits.ADDRESS_LINE,
    (*ADDRESS, "streetAddress", "number"): limits.STREET_NUMBER,
    (*ADDRESS, "streetAddress", "name"): limits.ADDRESS_LINE,
    (*ADDRESS, "city"): limits.CITY,
    (*ADDRESS, "subdivision"): limits.SUBDIVISION,
    (*ADDRESS, "country"): limits.COUNTRY_CODE,
    (*ADDRESS, "postalCode"): limits.POSTAL_CODE,
    (*ADDRESS, "formatted"): limits.FORMATTED_ADDRESS,
    ("company",): limits.COMPANY,
    ("jobTitle",): limits.JOB_TITLE,
    ("locale",): limits.LOCALE,
    ("picture",): limits.URL,
    ("labelKeys", 0): limits.LABEL_KEY,
}
CHOICE_FIELDS: list[Path] = [("emails", 0, "tag"), ("phones", 0, "tag"), ("addresses", 0, "tag")]
BOOLEAN_FIELDS: list[Path] = [("emails", 0, "primary"), ("phones", 0, "primary")]
NUMBER_FIELDS: list[Path] = [(*ADDRESS, "location", "latitude"), (*ADDRESS, "location", "longitude")]
DATE_FIELDS: list[Path] = [("birthdate",)]
OBJECT_FIELDS: list[Path] = [
    ("name",), ("emails", 0), ("phones", 0), ("addresses", 0), ADDRESS, (*ADDRESS, "streetAddress"),
    (*ADDRESS, "location"), ("extendedFields",),
]
ARRAY_FIELDS: list[Path] = [("emails",), ("phones",), ("addresses",), ("labelKeys",)]
EXTENDED_VALUES: list[Path] = [("extendedFields", key) for key in FULL_BODY["extendedFields"]]

# What each kind of field must refuse: every other JSON type, and null.
WRONG_VALUES: dict[str, list[Any]] = {
    "string": [1, 1.5, True, [], {}, None],
    "choice": [1, True, [], {}, None],
    "boolean": ["true", 1, 0, [], {}, None],
    "number": ["48", True, [], {}, None],
    "date": [19900401, True, [], {}, None],
    "object": ["x", 1, True, [], None],
    "array": ["x", 1, True, {}, None],
    "extended value": [True, [], {}, None],
}


def _kinds() -> Iterator[tuple[str, Path]]:
    yield from (("string", p) for p in STRING_FIELDS)
    yield from (("choice", p) for p in CHOICE_FIELDS)
    yield from (("boolean", p) for p in BOOLEAN_FIELDS)
    yield from (("number", p) for p in NUMBER_FIELDS)
    yield from (("date", p) for p in DATE_FIELDS)
    yield from (("object", p) for p in OBJECT_FIELDS)
    yield from (("array", p) for p in ARRAY_FIELDS)
    yield from (("extended value", p) for p in EXTENDED_VALUES)


def _label(path: Path) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".")


def with_value(path: Path, value: Any, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """A deep copy of `body` (FULL_BODY) with the value at `path` replaced."""
    result = copy.deepcopy(FULL_BODY if body is None else body)
    target: Any = result
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return result


def error_at(body: Any, path: Path) -> Any:
    """The error a 400 body holds for `path` (list items are keyed by their index as a string)."""
    for part in path:
        assert isinstance(body, dict), f"no error at {_label(path)}: {body}"
        body = body[str(part)]
    return body


def _messages(error: Any) -> list[str]:
    """All messages inside an error: a list of strings, or a dict of errors one level down."""
    if isinstance(error, list):
        assert all(isinstance(message, str) for message in error)
        return error
    return [m for value in error.values() for m in _messages(value)]


@pytest.fixture(autouse=True)
def references(db) -> None:
    """The labels and extended fields FULL_BODY refers to, and a contact already there, so
    'nothing written' is checked against a non-empty database."""
    Label.objects.create(key="custom.vip", display_name="VIP")
    for key, data_type in (("custom.note", "TEXT"), ("custom.budget", "NUMBER"), ("custom.since", "DATE"),
                           ("custom.site", "URL")):
        ExtendedField.objects.create(key=key, display_name=key, data_type=data_type)
    assert post_json(Client(), SEED_FULL).status_code == 201


def refused(response: Any, before: dict[str, int], status: int = 400) -> Any:
    """Assert a structured JSON 4xx that wrote nothing; return its body."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert isinstance(body, dict) and body
    assert all(isinstance(key, str) for key in body)
    assert counts() == before
    return body


def post_raw(client: Client, body: bytes | str, content_type: str = "application/json") -> Any:
    """POST a body exactly as given (the test client would re-encode a str for a charset)."""
    data = body.encode() if isinstance(body, str) else body
    return client.generic("POST", API_URL, data, content_type=content_type)


# --- the baseline -------------------------------------------------------------------------------


def test_the_full_body_is_accepted(client):
    """Every field of FULL_BODY is valid, so each case below fails for its one changed value."""
    response = post_json(client, FULL_BODY)

    assert response.status_code == 201, response.content
    contact = Contact.objects.get(pk=response.json()["contactId"])
    assert contact.extended_fields["custom.budget"] == 1200.0
    assert contact.addresses.get().formatted == "1 Main Street\nSpringfield, IL 62701"  # multi-line allowed


def test_every_string_at_its_maximum_length_is_accepted(client):
    body = copy.deepcopy(FULL_BODY)
    for path, maximum in STRING_FIELDS.items():
        if path[-1] not in {"email", "phone", "countryCode", "country", "locale", "picture"} and path[0] != "labelKeys":
            body = with_value(path, "x" * maximum, body)
    body = with_value(("emails", 0, "email"), "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com",
                      body)
    body = with_value(("picture",), "https://example.com/" + "p" * (limits.URL - 20), body)
    body = with_value(("extendedFields", "custom.note"), "n" * limits.EXTENDED_TEXT, body)
    assert len(body["emails"][0]["email"]) == limits.EMAIL and len(body["picture"]) == limits.URL

    response = post_json(client, body)

    assert response.status_code == 201, response.content


# --- wrong JSON types and nulls, in every field ---------------------------------------------------

TYPE_CASES = [(path, value) for kind, path in _kinds() for value in WRONG_VALUES[kind]]


@pytest.mark.parametrize(("path", "value"), TYPE_CASES,
                         ids=[f"{_label(p)}={json.dumps(v)}" for p, v in TYPE_CASES])
def test_a_wrong_type_or_null_in_any_field_is_a_400_at_that_field(client, path, value):
    before = counts()

    body = refused(post_json(client, with_value(path, value)), before)

    assert set(body) == {path[0]}
    assert _messages(error_at(body, path))


@pytest.mark.parametrize("value", ['"a string"', "42", "4.2", "true", "false"])
def test_a_body_that_is_not_an_object_is_a_400(client, value):
    before = counts()

    body = refused(post_raw(client, value), before)

    assert set(body) == {"non_field_errors"}


# --- unknown fields (refused, never dropped: README "Errors and limits") --------------------------

UNKNOWN_FIELD_OBJECTS = [("phones", 0), ("addresses", 0), (*ADDRESS, "streetAddress"), (*ADDRESS, "location")]


@pytest.mark.parametrize("path", UNKNOWN_FIELD_OBJECTS, ids=_label)
def test_an_unknown_field_in_any_object_is_refused(client, path):
    before = counts()
    body = copy.deepcopy(FULL_BODY)
    target: Any = body
    for part in path:
        target = target[part]
    target["nickname"] = "Ari"

    errors = refused(post_json(client, body), before)

    assert error_at(errors, (*path, "nickname")) == ["Unknown field."]


# --- too many items, too long strings -----------------------------------------------------------

ITEM_FACTORIES = {
    "phones": lambda n: {"phone": f"+1 650 253 {n:04d}"},
    "addresses": lambda n: {"address": {"city": f"City {n}"}},
    "labelKeys": lambda n: "custom.vip",
}


@pytest.mark.parametrize("field", ["phones", "addresses", "labelKeys"])  # emails: tests/contacts/test_api.py
def test_one_item_over_the_limit_of_any_array_is_a_400(client, field):
    before = counts()
    maximum = limits.MAX_LABELS_PER_REQUEST if field == "labelKeys" else limits.MAX_ITEMS

    errors = refused(post_json(client, with_value((field,), [ITEM_FACTORIES[field](n) for n in range(maximum + 1)])),
                     before)

    assert errors == {field: [f"Ensure this field has no more than {maximum} elements."]}


def test_one_extended_field_over_the_limit_is_a_400(client):
    before = counts()
    fields = {f"custom.f{n}": "x" for n in range(limits.MAX_EXTENDED_FIELDS_PER_REQUEST + 1)}

    errors = refused(post_json(client, with_value(("extendedFields",), fields)), before)

    assert errors == {"extendedFields": ["Ensure this field has no more than 100 keys."]}


@pytest.mark.parametrize("path", list(STRING_FIELDS), ids=_label)
def test_one_character_over_the_limit_of_any_string_is_a_400(client, path):
    before = counts()
    maximum = STRING_FIELDS[path]

    errors = refused(post_json(client, with_value(path, "1" * (maximum + 1))), before)

    assert f"Ensure this field has no more than {maximum} characters." in _messages(error_at(errors, path))


def test_an_extended_text_value_over_its_limit_is_a_400(client):
    before = counts()

    errors = refused(post_json(client, with_value(("extendedFields", "custom.note"), "n" * (limits.EXTENDED_TEXT + 1))),
                     before)

    assert errors == {"extendedFields": [f"custom.note: at most {limits.EXTENDED_TEXT} characters."]}


# --- the body: size, media type, encoding, nesting ----------------------------------------------

BODY_LIMIT = 256 * 1024


def test_a_body_of_exactly_the_size_limit_is_read(client, settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == BODY_LIMIT
    text = json.dumps(SEED_FULL)
    response = post_raw(client, text + " " * (BODY_LIMIT - len(text)))

    assert response.status_code == 200  # the seed's contact, found by its email


def test_a_body_one_byte_over_the_size_limit_is_a_413_json_error(client):
    before = counts()
    text = json.dumps(SEED_FULL)

    body = refused(post_raw(client, text + " " * (BODY_LIMIT + 1 - len(text))), before, status=413)

    assert body["code"] == "request_too_large"


@pytest.mark.parametrize("content_type,data", [
    ("text/plain", b'{"name": {"first": "Ari"}}'),
    ("application/xml", b"<contact><name>Ari</name></contact>"),
    ("multipart/form-data; boundary=BoUnDaRy",
     b'--BoUnDaRy\r\nContent-Disposition: form-data; name="name"\r\n\r\nAri\r\n--BoUnDaRy--\r\n'),
    ("", b'{"name": {"first": "Ari"}}'),
])
def test_a_body_that_is_not_json_by_its_content_type_is_a_415_json_error(client, content_type, data):
    before = counts()

    body = refused(post_raw(client, data, content_type=content_type), before, status=415)

    assert set(body) == {"detail"}


def test_a_form_encoded_body_sent_as_json_is_a_400_parse_error(client):
    before = counts()

    body = refused(post_raw(client, "name=Ari&email=ari%40example.com"), before)

    assert body["detail"].startswith("JSON parse error")


@pytest.mark.parametrize("charset", ["bz2_codec", "rot13", "base64"])  # an unknown name: Django reads UTF-8
def test_a_charset_that_is_no_text_encoding_is_refused(client, charset):
    before = counts()

    body = refused(post_raw(client, json.dumps(SEED_FULL), content_type=f"application/json; charset={charset}"),
                   before)

    assert set(body) == {"detail"}


DEEP_CASES = {
    "10000 nested lists": "[" * 10_000 + "]" * 10_000,
    "10000 nested objects": '{"a":' * 10_000 + "1" + "}" * 10_000,
    "10000 nested lists in a field": '{"name": {"first": ' + "[" * 10_000 + "]" * 10_000 + "}}",
    "900 nested lists in a tag": '{"emails": [{"email": "a@example.com", "tag": ' + "[" * 900 + "]" * 900 + "}]}",
    f"{limits.JSON_MAX_DEPTH + 1} nested objects": '{"a":' * (limits.JSON_MAX_DEPTH + 1) + "1" + "}" * (
        limits.JSON_MAX_DEPTH + 1),
}


@pytest.mark.parametrize("raw", list(DEEP_CASES.values()), ids=list(DEEP_CASES))
def test_deeply_nested_json_is_a_400_parse_error(client, raw):
    before = counts()

    body = refused(post_raw(client, raw), before)

    assert body == {"detail": f"JSON parse error - nested deeper than {limits.JSON_MAX_DEPTH} levels."}


def test_nesting_up_to_the_depth_limit_is_parsed(client):
    """At JSON_MAX_DEPTH levels the body is parsed, and the field refuses the value as usual."""
    nested = "[" * (limits.JSON_MAX_DEPTH - 2) + "]" * (limits.JSON_MAX_DEPTH - 2)  # body → extendedFields → …
    before = counts()

    body = refused(post_raw(client, '{"extendedFields": {"custom.note": ' + nested + "}}"), before)

    assert body == {"extendedFields": {"custom.note": ["Expected a string or a number."]}}


# --- control characters and invalid Unicode -----------------------------------------------------

CONTROL_CASES: list[tuple[Path, str]] = [
    (("name", "first"), "A\u0007ri"),
    (("name", "last"), "There\nyet"),
    (("name", "first"), "Ari\t"),
    (("company",), "Acme\u001b[31m"),
    (("jobTitle",), "CEO\r"),
    (("emails", 0, "email"), "ari\u0000@example.com"),
    (("phones", 0, "phone"), "+1 650\u0008 253 0000"),
    ((*ADDRESS, "city"), "Spring\u007ffield"),
    ((*ADDRESS, "formatted"), "1 Main Street\u000bSpringfield"),
    (("labelKeys", 0), "custom.vip\u0085"),
    (("extendedFields", "custom.note"), "a\u0007b"),
]


@pytest.mark.parametrize(("path", "value"), CONTROL_CASES, ids=[f"{_label(p)}={v!r}" for p, v in CONTROL_CASES])
def test_control_characters_are_refused(client, path, value):
    before = counts()

    errors = refused(post_json(client, with_value(path, value)), before)

    char = next(c for c in value if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F)
    expected = "Null characters are not allowed." if char == "\x00" else \
        f"Control characters are not allowed: U+{ord(char):04X}."
    assert error_at(errors, path) == [expected]


def test_a_control_character_in_an_extended_field_key_is_refused(client):
    before = counts()

    errors = refused(post_json(client, {"name": {"first": "Ari"}, "extendedFields": {"custom.\u0007note": "x"}}),
                     before)

    assert errors == {"extendedFields": ["Control characters are not allowed: U+0007."]}


def test_line_breaks_are_allowed_in_multi_line_text(client):
    response = post_json(client, with_value(("extendedFields", "custom.note"), "line 1\r\nline 2\tend"))

    assert response.status_code == 201, response.content


SURROGATE_CASES = {
    "in a name": r'{"name": {"first": "A\ud800ri"}}',
    "low surrogate alone": r'{"name": {"first": "\udc00"}}',
    "reversed pair": r'{"name": {"first": "\ude00\ud83d"}}',
    "in a key": r'{"\ud800": 1}',
    "in an unknown nested key": r'{"name": {"\udfff": "x"}}',
    "in a tag": r'{"emails": [{"email": "a@example.com", "tag": "\ud800"}]}',
    "in an extended field key": r'{"name": {"first": "Ari"}, "extendedFields": {"\ud800": "x"}}',
    "in an extended value": r'{"name": {"first": "Ari"}, "extendedFields": {"custom.note": "\ud800"}}',
    "in a label key": r'{"name": {"first": "Ari"}, "labelKeys": ["\ud800"]}',
}


@pytest.mark.parametrize("raw", list(SURROGATE_CASES.values()), ids=list(SURROGATE_CASES))
def test_a_lone_surrogate_escape_is_a_400_parse_error(client, raw):
    before = counts()

    body = refused(post_raw(client, raw), before)

    assert set(body) == {"detail"}
    assert body["detail"].startswith("JSON parse error - invalid Unicode: lone surrogate")


def test_a_surrogate_pair_escape_is_a_character(client):
    response = post_raw(client, r'{"name": {"first": "Ari \ud83d\ude00"}}')

    assert response.status_code == 201
    assert Contact.objects.get(pk=response.json()["contactId"]).first_name == "Ari \U0001f600"


INVALID_UTF8 = {
    "a stray byte": b'{"name": {"first": "A\xffri"}}',
    "a truncated sequence": b'{"name": {"first": "A\xc3"}}',
    "an overlong slash": b'{"name": {"first": "\xc0\xaf"}}',
    "an encoded surrogate": b'{"name": {"first": "\xed\xa0\x80"}}',
    "latin-1 text": "{\"name\": {\"first\": \"Ren\u00e9\"}}".encode("latin-1"),
}


@pytest.mark.parametrize("raw", list(INVALID_UTF8.values()), ids=list(INVALID_UTF8))
def test_invalid_utf8_bytes_are_a_400_parse_error(client, raw):
    before = counts()

    body = refused(post_raw(client, raw), before)

    assert body["detail"].startswith("JSON parse error")


def test_numbers_beyond_a_float_are_refused(client):
    before = counts()

    errors = refused(post_raw(client, '{"name": {"first": "Ari"}, "addresses": [{"address": {"location": '
                                      '{"latitude": 1e999}}}], "extendedFields": {"custom.budget": -1e999}}'), before)

    assert errors == {
        "addresses": {"0": {"address": {"location": {"latitude": ["Expected a number."]}}}},
        "extendedFields": {"custom.budget": ["Expected a string or a number."]},
    }


# --- values of the right type that are still wrong ------------------------------------------------

VALUE_CASES: list[tuple[str, Path, Any]] = [
    ("phone tag unknown", ("phones", 0, "tag"), "CELL"),
    ("address tag unknown", ("addresses", 0, "tag"), "OFFICE"),
    ("email tag in lower case", ("emails", 0, "tag"), "work"),
    ("email tag blank", ("emails", 0, "tag"), ""),
    ("email with a space", ("emails", 0, "email"), "ari thereyet@example.com"),
    ("email with two @", ("emails", 0, "email"), "ari@there@example.com"),
    ("email with a quoted display name", ("emails", 0, "email"), '"Ari" <ari@example.com>'),
    ("email on a reserved domain", ("emails", 0, "email"), "ari@example.invalid"),
    ("phone with a letter for a zero", ("phones", 0, "phone"), "650 253 00O0"),
    ("phone with an extension", ("phones", 0, "phone"), "+1 650 253 0000 ext 12"),
    ("phone that is only a +", ("phones", 0, "phone"), "+"),
    ("country code in lower case that does not exist", ("phones", 0, "countryCode"), "zz"),
    ("picture that is not a URL", ("picture",), "javascript:alert(1)"),
    ("locale that is not BCP 47", ("locale",), "english please"),
    ("birthdate with a time", ("birthdate",), "1990-04-01T00:00:00"),
    ("latitude beyond 90", (*ADDRESS, "location", "latitude"), 90.5),
    ("longitude beyond -180", (*ADDRESS, "location", "longitude"), -180.01),
    ("label key blank", ("labelKeys", 0), " "),
]


@pytest.mark.parametrize(("path", "value"), [(p, v) for _, p, v in VALUE_CASES], ids=[n for n, _, _ in VALUE_CASES])
def test_a_wrong_value_is_a_400_at_its_field(client, path, value):
    before = counts()

    errors = refused(post_json(client, with_value(path, value)), before)

    assert set(errors) == {path[0]}
    assert _messages(error_at(errors, path))


def test_a_national_phone_without_a_country_code_is_refused_even_with_a_blank_one(client):
    before = counts()
    body = with_value(("phones", 0), {"phone": "650 253 0000", "countryCode": ""})

    errors = refused(post_json(client, body), before)

    assert error_at(errors, ("phones", 0, "phone")) == [
        "Give the phone's country code, or write the number in international form (+…)."]


EXTENDED_TYPE_CASES = [
    ("custom.note", 5, "custom.note: expected a string for a TEXT field."),
    ("custom.since", "31/01/2020", "custom.since: expected a date as YYYY-MM-DD."),
    ("custom.since", 20200131, "custom.since: expected a string for a DATE field."),
    ("custom.site", "not a url", "custom.site: Enter a valid URL."),
    ("custom.site", 1, "custom.site: expected a string for a URL field."),
]


@pytest.mark.parametrize(("key", "value", "message"), EXTENDED_TYPE_CASES,
                         ids=[f"{k}={v!r}" for k, v, _ in EXTENDED_TYPE_CASES])
def test_an_extended_value_of_the_wrong_type_for_its_field_is_refused(client, key, value, message):
    before = counts()

    errors = refused(post_json(client, with_value(("extendedFields", key), value)), before)

    assert errors == {"extendedFields": [message]}


# --- the site form follows the same control-character rule ----------------------------------------


@pytest.mark.parametrize("field", ["first_name", "last_name", "company", "email", "phone"])
def test_the_site_form_refuses_control_characters_in_single_line_fields(field):
    data = {"first_name": "Ari", "email": "ari@example.com", "phone_country": "US", "phone": "650 253 0000",
            field: {"email": "ari\u0007@example.com", "phone": "650\u0007253 0000"}.get(field, "A\u0007ri")}

    form = ContactForm(data)

    assert not form.is_valid()
    assert "Control characters are not allowed: U+0007." in form.errors[field]


def test_the_site_form_allows_line_breaks_in_the_message():
    form = ContactForm({"first_name": "Ari", "message": "Hello,\r\n\tworld", "phone_country": "US"})

    assert form.is_valid(), form.errors
    assert not ContactForm({"first_name": "Ari", "message": "Hello\u0007", "phone_country": "US"}).is_valid()
