"""The OpenAPI description of the append-or-create endpoint (drf-spectacular).

Served at /api/schema/ and drawn by Swagger UI at /api/docs/. The schema describes what the
server accepts, read from the serializers and `contacts/limits.py`, plus what the serializers
cannot say by themselves:

- every request object has `additionalProperties: false` (unknown fields are a 400);
- every free-text string has a pattern refusing control characters (contacts/text.py);
- a phone has a pattern (digits and phone punctuation, 7 to 15 digits), a country code is one
  of the regions phonenumbers knows, and a phone without a country code starts with `+`;
- an extended-field value is a string or a number; at most 100 of them;
- every status code the endpoint answers with, with its JSON body (and `Retry-After` on 429
  and 503), so that a refusal is documented behaviour rather than a surprise.

The server may be more lenient than the schema in small ways (it trims surrounding spaces,
takes lower-case country codes and vanity numbers such as 1-800-FLOWERS); anything the schema
allows, it accepts, except what needs the database (an unknown label key or extended field, an
extended value of the wrong type) or the cross-field step-5 rule (`nothing_to_reconcile`).
"""

from typing import Any

import phonenumbers
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from contacts import limits
from contacts.api.fields import StrictCharField
from contacts.api.serializers import (
    ContactIdentificationSerializer,
    ContactInfoSerializer,
    EmailInfoSerializer,
    PhoneInfoSerializer,
)
from contacts.text import MULTI_LINE_PATTERN, SINGLE_LINE_PATTERN

# A plausible phone (decisions.md §6): an optional +, digits with at most two separators
# (space . - ( )) between them, 7 to 15 digits; at most 3 + 15 * 3 = 48 characters.
PHONE_PATTERN = r"^\+?[ (]?(?:[0-9][ .()-]{0,2}){%d,%d}$" % (limits.PHONE_MIN_DIGITS, limits.PHONE_MAX_DIGITS)
COUNTRY_CODES = sorted(phonenumbers.SUPPORTED_REGIONS)
# Django's URLValidator: http, https, ftp or ftps, in any letter case.
URL_SCHEME_PATTERN = r"^(?:[hH][tT][tT][pP][sS]?|[fF][tT][pP][sS]?)://"

ERROR_DETAIL = "ErrorDetail"
FIELD_ERRORS = "FieldErrors"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


ERROR_COMPONENTS: dict[str, dict[str, Any]] = {
    ERROR_DETAIL: {
        "type": "object",
        "description": "An error that is not about one field. `code` names it where a client may act on it: "
                       "`nothing_to_reconcile` (400), `request_too_large` (413), `throttled` (429), "
                       "`database_unavailable` (503).",
        "properties": {
            "detail": {"type": "string", "description": "A message for a human."},
            "code": {"type": "string", "description": "A stable, machine-readable name of the error."},
        },
        "required": ["detail"],
    },
    FIELD_ERRORS: {
        "type": "object",
        "description": "Field errors: each key is a field of the request (or `non_field_errors`), each value "
                       "a list of messages or, for an object or a list, the same shape one level down, list "
                       "items keyed by their index: `{\"emails\": {\"0\": {\"email\": [\"…\"]}}}`. An unknown "
                       "field is `{\"field\": [\"Unknown field.\"]}`.",
        "additionalProperties": {
            "oneOf": [{"type": "array", "items": {"type": "string"}}, _ref(FIELD_ERRORS)],
        },
    },
}


def add_error_components(result: dict[str, Any], generator: Any, request: Any, public: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook (settings.SPECTACULAR_SETTINGS): the error bodies,
    referenced from the responses below, as named components."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(ERROR_COMPONENTS)
    return result


class StrictSerializerExtension(OpenApiSerializerExtension):
    """Every request object refuses unknown fields; its free-text fields refuse control characters."""

    target_class = "contacts.api.fields.StrictSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        schema["additionalProperties"] = False
        schema.pop("description", None)  # StrictSerializer's docstring, about the code
        # A subclass (the back-office's ContactInfo with `visitorId`) keeps its base's rules.
        base = next((cls for cls in type(self.target).__mro__ if cls in _TWEAKS or cls in _DESCRIPTIONS), None)
        if base in _DESCRIPTIONS:
            schema["description"] = _DESCRIPTIONS[base]
        tweak = _TWEAKS.get(base) if base is not None else None
        if tweak is not None:
            tweak(schema)
        properties = schema.get("properties", {})
        for name, field in self.target.fields.items():
            if name in properties:
                _add_text_pattern(field, properties[name])
        return schema


def _add_text_pattern(field: serializers.Field, schema: dict[str, Any]) -> None:
    """The control-character rule as a pattern on a StrictCharField's schema (or its list items),
    unless the field already has a pattern or format that excludes them."""
    if isinstance(field, serializers.ListField):
        field, schema = field.child, schema.get("items", {})
    if not isinstance(field, StrictCharField):
        return
    target = schema["oneOf"][0] if "oneOf" in schema else schema  # allow_blank with a format/pattern
    if "pattern" in target or "format" in target or "$ref" in target:
        return
    target["pattern"] = MULTI_LINE_PATTERN if field.multiline else SINGLE_LINE_PATTERN


def _email_info(schema: dict[str, Any]) -> None:
    schema["properties"]["email"]["format"] = "email"


def _phone_info(schema: dict[str, Any]) -> None:
    properties = schema["properties"]
    properties["phone"]["pattern"] = PHONE_PATTERN
    properties["phone"]["description"] = (
        "As typed, e.g. `601-081-124` or `+1 650 253 0000`: digits, spaces and `+ - . ( )`, "
        f"{limits.PHONE_MIN_DIGITS} to {limits.PHONE_MAX_DIGITS} digits. Stored as given; its E.164 form "
        "too when it is a valid number for the country."
    )
    properties["countryCode"] = {
        "type": "string",
        "enum": ["", *COUNTRY_CODES],
        "description": "ISO 3166 alpha-2 region, such as `US` (any letter case). Needed unless the phone "
                       "starts with `+`.",
    }
    # A national number needs a country code; an international one (+…) does not.
    schema["anyOf"] = [
        {"required": ["countryCode"], "properties": {"countryCode": {"minLength": 1}}},
        {"properties": {"phone": {"pattern": r"^\+"}}},
    ]


def _contact_info(schema: dict[str, Any]) -> None:
    extended = schema["properties"]["extendedFields"]
    extended["maxProperties"] = limits.MAX_EXTENDED_FIELDS_PER_REQUEST
    extended["description"] = (
        "`{key: value}` for extended fields staff created (`custom.<slug>`); the value's type must be the "
        "field's: a number for NUMBER, a string for TEXT (at most 1000 characters), DATE (`YYYY-MM-DD`) "
        "and URL (at most 2048 characters). An unknown key or a value of the wrong type is a 400."
    )
    picture = schema["properties"]["picture"]
    (picture["oneOf"][0] if "oneOf" in picture else picture)["pattern"] = URL_SCHEME_PATTERN
    schema["properties"]["labelKeys"]["description"] = (
        "Keys of labels staff created (`custom.<slug>`); an unknown key is a 400."
    )


_DESCRIPTIONS = {
    ContactInfoSerializer: "Wix's `ContactInfo` with flat arrays. Every field is optional, but a new contact needs "
                           "an email, a phone or a name. Unknown fields are refused (400), never dropped.",
    EmailInfoSerializer: "An email address, validated as email-validator does (no display name, no spaces); "
                         "matched case-insensitively on its normalised form.",
    PhoneInfoSerializer: "A phone number; give `countryCode` unless the phone starts with `+`.",
}

_TWEAKS = {
    ContactInfoSerializer: _contact_info,
    EmailInfoSerializer: _email_info,
    PhoneInfoSerializer: _phone_info,
}


class ExtendedValueFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "contacts.api.fields.ExtendedValueField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return {
            "oneOf": [
                {"type": "string", "maxLength": limits.URL, "pattern": MULTI_LINE_PATTERN},
                {"type": "number"},
            ]
        }


def _error(description: str, *examples: OpenApiExample, component: str = ERROR_DETAIL) -> OpenApiResponse:
    return OpenApiResponse(response=_ref(component), description=description, examples=list(examples))


RETRY_AFTER = OpenApiParameter(
    name="Retry-After",
    type=OpenApiTypes.INT,
    location=OpenApiParameter.HEADER,
    response=[429, 503],
    required=True,
    description="Seconds to wait before trying again.",
)
CSRF_TOKEN = OpenApiParameter(
    name="X-CSRFToken",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Only for a logged-in member's call (session cookie): the `csrftoken` cookie's value. "
                "Anonymous callers need none.",
)

SEED_EXAMPLE = OpenApiExample(
    "Name, two emails and a phone",
    value={
        "name": {"first": "Ari", "last": "Thereyet"},
        "emails": [{"email": "ari.thereyet@example.com"}, {"email": "ari.thereyet.appended.email@example.com"}],
        "phones": [{"tag": "MOBILE", "countryCode": "US", "phone": "601-081-124", "primary": True}],
    },
    request_only=True,
)

BAD_REQUEST = OpenApiResponse(
    response={"oneOf": [_ref(FIELD_ERRORS), _ref(ERROR_DETAIL)]},
    description="Refused, nothing written: field errors (`FieldErrors`), a body that is not JSON or nests "
                f"deeper than {limits.JSON_MAX_DEPTH} levels or holds invalid Unicode "
                "(`{\"detail\": \"JSON parse error - …\"}`), or step 5: nothing to find or create a contact "
                "by (`{\"detail\", \"code\": \"nothing_to_reconcile\"}`).",
    examples=[
        OpenApiExample("Field errors", value={"emails": {"0": {"email": ["Enter a valid email address."]}},
                                              "email": ["Unknown field."]}, response_only=True),
        OpenApiExample("Nothing to reconcile", value={
            "detail": "Nothing to reconcile: give an email, a phone or a name, or submit from a visitor that is "
                      "already linked to a contact.",
            "code": "nothing_to_reconcile"}, response_only=True),
        OpenApiExample("Not JSON", value={"detail": "JSON parse error - Expecting value: line 1 column 1 (char 0)"},
                       response_only=True),
    ],
)

APPEND_OR_CREATE_SCHEMA: dict[str, Any] = {
    "operation_id": "contacts_append_or_create",
    "summary": "Append to the matching contact, or create one",
    "description": (
        "Finds the contact this `ContactInfo` belongs to (the logged-in member's own, else the owner of the "
        "first known email, else of the first known phone, else the contact this browser's visitor cookie is "
        "linked to), appends only what it does not have yet, never overwriting anything, or creates a new "
        "contact when an email, phone or name was given. Answers the contact's id and identity type only.\n\n"
        "Every error is JSON and nothing is written. Unknown fields are refused, not dropped. Limits: "
        f"{limits.MAX_ITEMS} emails, phones and addresses, {limits.MAX_LABELS_PER_REQUEST} label keys, "
        f"{limits.MAX_EXTENDED_FIELDS_PER_REQUEST} extended fields, a body of 256 KiB."
    ),
    "tags": ["contacts"],
    "request": ContactInfoSerializer,
    "parameters": [CSRF_TOKEN, RETRY_AFTER],
    "examples": [SEED_EXAMPLE],
    "responses": {
        200: OpenApiResponse(ContactIdentificationSerializer, description="An existing contact was found "
                             "(`newContact: false`); what was new was appended to it."),
        201: OpenApiResponse(ContactIdentificationSerializer, description="A contact was created "
                             "(`newContact: true`)."),
        400: BAD_REQUEST,
        403: _error("A logged-in member's call without a valid `X-CSRFToken` header."),
        413: _error("The body is larger than 256 KiB (`code: request_too_large`)."),
        415: _error("The body is not `application/json`."),
        429: _error("Too many requests from this client or for this email/phone (`code: throttled`); "
                    "see `Retry-After`."),
        503: _error("The database is unavailable for a moment (`code: database_unavailable`); "
                    "see `Retry-After`."),
    },
}
