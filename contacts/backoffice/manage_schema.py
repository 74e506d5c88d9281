"""The OpenAPI description of the back-office write endpoints (`manage_views`). Error bodies
reuse the public API's components (`ErrorDetail`, `FieldErrors`, contacts/api/schema.py); the
token's security scheme is `contacts/backoffice/openapi.py`'s."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer

from contacts import limits
from contacts.api.schema import ERROR_DETAIL, FIELD_ERRORS
from contacts.api.serializers import ContactIdentificationSerializer
from contacts.backoffice.manage_serializers import (
    ContactEnvelopeSerializer,
    DeletedSerializer,
    ExtendedFieldCreateInputSerializer,
    ExtendedFieldEnvelopeSerializer,
    ExtendedFieldFoundSerializer,
    ExtendedFieldListQuerySerializer,
    ExtendedFieldPageSerializer,
    ExtendedFieldRenameInputSerializer,
    LabelCreateInputSerializer,
    LabelEnvelopeSerializer,
    LabelFoundSerializer,
    LabelKeysInputSerializer,
    LabelListQuerySerializer,
    LabelPageSerializer,
    LabelRenameInputSerializer,
    MergedContactSerializer,
    MergeInputSerializer,
    MergePreviewSerializer,
    ServerContactInfoSerializer,
)
from contacts.merge import MAX_SOURCES


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=_ref(ERROR_DETAIL), description=description)


def _bad_request(description: str) -> OpenApiResponse:
    return OpenApiResponse(
        response={"oneOf": [_ref(FIELD_ERRORS), _ref(ERROR_DETAIL)]},
        description=f"Refused, nothing written: {description}",
    )


UNAUTHORIZED = _error("No credentials, or an unknown or revoked token.")


def _forbidden(permission: str, more: str = "") -> OpenApiResponse:
    return _error(f"The token (or staff user) lacks `{permission}`{more}.")


CONTACT_404 = _error("No such contact (`code: contact_not_found`), or it was merged into another "
                     "(`code: contact_merged`, `mergedInto`: the contact to use instead).")
NOT_JSON = _error("The body is not `application/json`.")
LABEL_404 = _error("No label with that key (`code: label_not_found`).")
FIELD_404 = _error("No extended field with that key (`code: extended_field_not_found`).")

KEY = OpenApiParameter("key", OpenApiTypes.STR, OpenApiParameter.PATH,
                       description="The key, e.g. `custom.vip` (generated at creation, never changes).")
CONTACT_ID = OpenApiParameter("contact_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="A contact id.")

_LABELED = {
    200: OpenApiResponse(ContactEnvelopeSerializer, description="The contact as it is now."),
    400: _bad_request("field errors, e.g. `{\"labelKeys\": [\"Unknown label key: custom.x.\"]}`."),
    401: UNAUTHORIZED,
    403: _forbidden("contacts.label_contact"),
    404: CONTACT_404,
    415: NOT_JSON,
}

LABEL_CONTACT: dict[str, Any] = {
    "operation_id": "contacts_label",
    "summary": "Add labels to a contact",
    "description": "Wix `labelContact`. Every key must exist; labels the contact already has are skipped. The "
                   "revision moves on when a label was added.",
    "tags": ["contacts"], "parameters": [CONTACT_ID],
    "request": LabelKeysInputSerializer, "responses": _LABELED,
}
UNLABEL_CONTACT: dict[str, Any] = {
    "operation_id": "contacts_unlabel",
    "summary": "Remove labels from a contact",
    "description": "Wix `unlabelContact`: a DELETE with a JSON body. Every key must exist; labels the contact does "
                   "not have are skipped. Clients that cannot send a body with DELETE use "
                   "`POST /api/contacts/{contact_id}/labels/remove/`.",
    "tags": ["contacts"], "parameters": [CONTACT_ID],
    "request": LabelKeysInputSerializer, "responses": _LABELED,
}
UNLABEL_CONTACT_POST: dict[str, Any] = {
    **UNLABEL_CONTACT,
    "operation_id": "contacts_unlabel_post",
    "description": "The same as `DELETE /api/contacts/{contact_id}/labels/`, for clients that cannot send a body "
                   "with DELETE.",
}

MERGE: dict[str, Any] = {
    "operation_id": "contacts_merge",
    "summary": "Merge contacts into this one (or preview the merge)",
    "description": (
        "Wix `mergeContacts`, with the admin's rules: nothing on the target is overwritten; its empty fields are "
        "filled from the sources in the order given; emails, phones, addresses and labels are added without "
        "duplicates; visitors, submissions and possible duplicates move to the target; the sources are kept as "
        f"*merged into* it. 1 to {MAX_SOURCES} sources; a member's contact can only be the target; a merge that "
        f"would give the target more than {limits.MAX_ITEMS} emails, phones or addresses is refused. "
        "`preview: true` answers what the merge would do and writes nothing."
    ),
    "tags": ["contacts"], "parameters": [CONTACT_ID],
    "request": MergeInputSerializer,
    "examples": [OpenApiExample("Merge two", request_only=True, value={
        "sourceContactIds": ["3fa85f64-5717-4562-b3fc-2c963f66afa6"], "targetContactRevision": 3})],
    "responses": {
        200: OpenApiResponse(
            PolymorphicProxySerializer(component_name="MergeResult", resource_type_field_name=None,
                                       serializers=[MergedContactSerializer, MergePreviewSerializer]),
            description="Merged: `{contact, mergedContactIds}`; or, with `preview: true`, `{preview}` and nothing "
                        "written.",
        ),
        400: _bad_request("field errors, or a merge rule (`{\"detail\", \"code\"}`; code `no_sources`, "
                          "`too_many_sources`, `target_is_source`, `contact_not_found` (a source), "
                          "`member_source`, `too_many_items`)."),
        401: UNAUTHORIZED,
        403: _forbidden("contacts.merge_contact"),
        404: CONTACT_404,
        409: _error("The contacts changed: `targetContactRevision` is not the target's revision "
                    "(`code: revision_mismatch`), or a source was already merged (`code: already_merged`)."),
        415: NOT_JSON,
    },
}

_LABEL_TAGS = ["labels"]
_FIELD_TAGS = ["extended fields"]

LABEL_LIST: dict[str, Any] = {
    "operation_id": "labels_list", "summary": "List labels", "tags": _LABEL_TAGS,
    "description": "Sorted by display name. `displayName` keeps those whose name starts with it (case-sensitive).",
    "parameters": [LabelListQuerySerializer],
    "responses": {200: LabelPageSerializer, 400: _bad_request("an invalid query parameter."),
                  401: UNAUTHORIZED, 403: _forbidden("contacts.view_contact")},
}
LABEL_FIND_OR_CREATE: dict[str, Any] = {
    "operation_id": "labels_find_or_create", "summary": "Find or create a label by its display name",
    "tags": _LABEL_TAGS,
    "description": "Wix `findOrCreateLabel`: the label whose display name is exactly this one, or a new one under a "
                   "generated key (`custom.<slug>`, `-2`, `-3`… when taken).",
    "request": LabelCreateInputSerializer,
    "responses": {200: OpenApiResponse(LabelFoundSerializer, description="Found (`newLabel: false`)."),
                  201: OpenApiResponse(LabelFoundSerializer, description="Created (`newLabel: true`)."),
                  400: _bad_request("field errors."), 401: UNAUTHORIZED,
                  403: _forbidden("contacts.label_contact"), 415: NOT_JSON},
}
LABEL_GET: dict[str, Any] = {
    "operation_id": "labels_get", "summary": "Get a label", "tags": _LABEL_TAGS, "parameters": [KEY],
    "responses": {200: LabelEnvelopeSerializer, 401: UNAUTHORIZED, 403: _forbidden("contacts.view_contact"),
                  404: LABEL_404},
}
LABEL_RENAME: dict[str, Any] = {
    "operation_id": "labels_rename", "summary": "Rename a label", "tags": _LABEL_TAGS, "parameters": [KEY],
    "description": "Changes the display name only; the key never changes.",
    "request": LabelRenameInputSerializer,
    "responses": {200: LabelEnvelopeSerializer, 400: _bad_request("field errors."), 401: UNAUTHORIZED,
                  403: _forbidden("contacts.label_contact"), 404: LABEL_404, 415: NOT_JSON},
}
LABEL_DELETE: dict[str, Any] = {
    "operation_id": "labels_delete", "summary": "Delete a label", "tags": _LABEL_TAGS, "parameters": [KEY],
    "description": "Also removes it from every contact (their revision moves on). System labels cannot be deleted.",
    "responses": {200: DeletedSerializer, 401: UNAUTHORIZED,
                  403: _forbidden("contacts.label_contact", ", or the label is a system label (`code: system_label`)"),
                  404: LABEL_404},
}

FIELD_LIST: dict[str, Any] = {
    "operation_id": "extended_fields_list", "summary": "List extended fields", "tags": _FIELD_TAGS,
    "description": "Sorted by display name. `displayName` keeps those whose name starts with it (case-sensitive).",
    "parameters": [ExtendedFieldListQuerySerializer],
    "responses": {200: ExtendedFieldPageSerializer, 400: _bad_request("an invalid query parameter."),
                  401: UNAUTHORIZED, 403: _forbidden("contacts.view_contact")},
}
FIELD_FIND_OR_CREATE: dict[str, Any] = {
    "operation_id": "extended_fields_find_or_create", "summary": "Find or create an extended field by display name",
    "tags": _FIELD_TAGS,
    "description": "Wix `findOrCreateExtendedField`: the field whose display name is exactly this one (its "
                   "`dataType` is kept, whatever was sent), or a new one under a generated key.",
    "request": ExtendedFieldCreateInputSerializer,
    "responses": {200: OpenApiResponse(ExtendedFieldFoundSerializer, description="Found (`newField: false`)."),
                  201: OpenApiResponse(ExtendedFieldFoundSerializer, description="Created (`newField: true`)."),
                  400: _bad_request("field errors."), 401: UNAUTHORIZED,
                  403: _forbidden("contacts.label_contact"), 415: NOT_JSON},
}
FIELD_GET: dict[str, Any] = {
    "operation_id": "extended_fields_get", "summary": "Get an extended field", "tags": _FIELD_TAGS,
    "parameters": [KEY],
    "responses": {200: ExtendedFieldEnvelopeSerializer, 401: UNAUTHORIZED,
                  403: _forbidden("contacts.view_contact"), 404: FIELD_404},
}
FIELD_RENAME: dict[str, Any] = {
    "operation_id": "extended_fields_rename", "summary": "Rename an extended field", "tags": _FIELD_TAGS,
    "parameters": [KEY], "description": "Changes the display name only; key and data type never change.",
    "request": ExtendedFieldRenameInputSerializer,
    "responses": {200: ExtendedFieldEnvelopeSerializer, 400: _bad_request("field errors."), 401: UNAUTHORIZED,
                  403: _forbidden("contacts.label_contact", ", or the field is a system field (`code: system_field`)"),
                  404: FIELD_404, 415: NOT_JSON},
}
FIELD_DELETE: dict[str, Any] = {
    "operation_id": "extended_fields_delete", "summary": "Delete an extended field", "tags": _FIELD_TAGS,
    "parameters": [KEY],
    "description": "Also deletes its value on every contact (their revision moves on). System fields cannot be "
                   "deleted.",
    "responses": {200: DeletedSerializer, 401: UNAUTHORIZED,
                  403: _forbidden("contacts.label_contact", ", or the field is a system field (`code: system_field`)"),
                  404: FIELD_404},
}

SERVER_APPEND_OR_CREATE: dict[str, Any] = {
    "operation_id": "contacts_server_append_or_create",
    "summary": "Append-or-create for trusted server code (backend step order)",
    "description": (
        "The public append-or-create with the *backend* step order: a logged-in member does not apply (the "
        "caller is a token), then the owner of the first known email, else of the first known phone; else a new "
        "contact when an email, phone or name was given; only then the contact `visitorId` is linked to. The "
        "visitor is the one the site backend knows (`visitorId`), not this request's cookie."
    ),
    "tags": ["contacts"],
    "request": ServerContactInfoSerializer,
    "responses": {
        200: OpenApiResponse(ContactIdentificationSerializer, description="An existing contact was found."),
        201: OpenApiResponse(ContactIdentificationSerializer, description="A contact was created."),
        400: _bad_request("field errors (an unknown `visitorId` too), or nothing to find or create a contact by "
                          "(`code: nothing_to_reconcile`)."),
        401: UNAUTHORIZED,
        403: _forbidden("contacts.change_contact"),
        415: NOT_JSON,
    },
}
