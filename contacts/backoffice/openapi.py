"""OpenAPI pieces of the back-office API (drf-spectacular), imported by its views.

- the `Authorization: Bearer crm_…` scheme of `IntegrationTokenAuthentication` (a staff
  session works too: `cookieAuth`, with `X-CSRFToken` on writes);
- the update body's `ContactInfo`, with the same request rules the public endpoint's schema
  states (`contacts/api/schema.py`), and a birthdate that `""` clears;
- the error responses every back-office operation may give.
"""

from typing import Any

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.utils import OpenApiExample, OpenApiResponse

from contacts import limits
from contacts.api.schema import ERROR_DETAIL, FIELD_ERRORS, URL_SCHEME_PATTERN, _add_text_pattern


class IntegrationTokenScheme(OpenApiAuthenticationExtension):
    target_class = "integrations.auth.IntegrationTokenAuthentication"
    name = "integrationToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        from integrations.models import Scope

        scopes = "; ".join(f"`{scope.value}`: {scope.label.lower()}" for scope in Scope)
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An integration token staff issued in admin (`crm_…`), sent as "
                           "`Authorization: Bearer crm_…`. Its scopes are the Django permissions a staff "
                           f"user would need for the same operations: {scopes}. Each operation names the "
                           "one it needs; a staff session with that permission works too.",
        }


class ContactUpdateInfoExtension(OpenApiSerializerExtension):
    """The StrictSerializer rules (`contacts.api.schema.StrictSerializerExtension`: no unknown
    fields, no control characters), plus what that module states for the public body's
    ContactInfo (extended-field count and types, picture schemes); not its `labelKeys`, which
    this body has not."""

    target_class = "contacts.backoffice.serializers.ContactUpdateInfoSerializer"
    priority = 1  # before StrictSerializerExtension, which matches every subclass

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        schema["additionalProperties"] = False
        properties = schema["properties"]
        for name, field in self.target.fields.items():
            if name in properties:
                _add_text_pattern(field, properties[name])
        properties["extendedFields"]["maxProperties"] = limits.MAX_EXTENDED_FIELDS_PER_REQUEST
        properties["extendedFields"]["description"] = (
            "`{key: value}`: each key given replaces that field's value, `\"\"` removes it; keys not given are "
            "kept. The key must be an extended field staff created, the value of its type (a number for "
            "NUMBER, a string for TEXT, DATE `YYYY-MM-DD` and URL); otherwise a 400."
        )
        picture = properties["picture"]
        (picture["oneOf"][0] if "oneOf" in picture else picture)["pattern"] = URL_SCHEME_PATTERN
        schema["description"] = (
            "Wix's `ContactInfo` with flat arrays, as append-or-create takes it but without `labelKeys`. "
            "Every field given replaces the stored one; `emails`, `phones` and `addresses` replace the "
            "stored lists; fields not given are kept."
        )
        return schema


class ClearableDateFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "contacts.backoffice.serializers.ClearableDateField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return {
            "oneOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 0}],
            "description": "`YYYY-MM-DD`, or `\"\"` to clear it.",
        }


class ExtendedValueOutputFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "contacts.backoffice.serializers.ExtendedValueOutputField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return {"oneOf": [{"type": "string"}, {"type": "number"}]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def error(description: str, *examples: OpenApiExample) -> OpenApiResponse:
    return OpenApiResponse(response=_ref(ERROR_DETAIL), description=description, examples=list(examples))


FIELD_ERRORS_400 = OpenApiResponse(
    response={"oneOf": [_ref(FIELD_ERRORS), _ref(ERROR_DETAIL)]},
    description="Refused, nothing written: field errors (`FieldErrors`; unknown query parameters too), or a "
                "body that is not JSON (`{\"detail\": \"JSON parse error - …\"}`).",
)
UNAUTHORIZED = error(
    "No credentials, or an unknown or revoked token (`WWW-Authenticate: Bearer`).",
    OpenApiExample("No credentials", value={"detail": "Authentication credentials were not provided."},
                   response_only=True),
)
FORBIDDEN = error(
    "The token lacks the scope (or the staff user the permission) this operation needs, or a staff "
    "session's write came without `X-CSRFToken`."
)
NOT_FOUND = error("No contact with this id (or, for every operation but get, the id was merged away: "
                  "`code: contact_merged`, `mergedInto`).")
UNAVAILABLE = error("The database is unavailable for a moment (`code: database_unavailable`); see `Retry-After`.")
