"""Back-office write endpoints for integrations (wix-contacts.md §6.6, §6.7, §7, §8): label and
unlabel a contact, merge contacts, find-or-create / rename / delete labels and extended fields,
and append-or-create with the backend step order.

Thin callers: validate the shape → call the service (`contacts.labeling`, `contacts.labels`,
`contacts.merge`, `contacts.reconcile`) → render. Domain refusals are translated here into JSON
`{"detail", "code"}`; field errors and step 5 go through the API's exception handler.
"""

import uuid
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contacts import limits
from contacts.api.serializers import ContactIdentificationSerializer
from contacts.backoffice import manage_schema as docs
from contacts.backoffice.manage_serializers import (
    ContactEnvelopeSerializer,
    ExtendedFieldCreateInputSerializer,
    ExtendedFieldListQuerySerializer,
    ExtendedFieldRenameInputSerializer,
    ExtendedFieldSerializer,
    LabelCreateInputSerializer,
    LabelKeysInputSerializer,
    LabelListQuerySerializer,
    LabelRenameInputSerializer,
    LabelSerializer,
    MergedContactSerializer,
    MergeInputSerializer,
    ServerContactInfoSerializer,
)
from contacts.backoffice.representation import with_details
from contacts.enums import Channel, FieldType, LabelType, StepOrder
from contacts.labeling import (
    ContactMerged,
    SystemFieldReadOnly,
    contact_label,
    contact_unlabel,
    extended_field_find_or_create,
    extended_field_rename,
    label_find_or_create,
    label_rename,
)
from contacts.labels import extended_field_delete, label_delete
from contacts.merge import MergeRefused, contact_merge, contact_merge_preview
from contacts.models import Contact, ExtendedField, Label, VisitorSession
from contacts.payload import contact_payload_from_info
from contacts.reconcile import contact_append_or_create
from contacts.reconcile.plan import SCALAR_FIELDS
from contacts.text import forbidden_character
from contacts.visitor import VisitorIdentity
from integrations.auth import BackOfficePermission, IntegrationTokenAuthentication, TokenPrincipal
from integrations.models import Scope

API_NAME_OF_FIELD = {model_field: api_name for api_name, model_field in SCALAR_FIELDS}


class BackOfficeApi(APIView):
    """A token (`Authorization: Bearer crm_…`) or a staff session holding the permissions the
    view names for the method; 401 without credentials, 403 without the permission."""

    authentication_classes = [IntegrationTokenAuthentication, SessionAuthentication]
    permission_classes = [BackOfficePermission]
    required_permissions: dict[str, list[str]] = {}


def _error(status_code: int, detail: str, code: str, **extra: Any) -> Response:
    return Response({"detail": detail, "code": code, **extra}, status=status_code)


def _contact_missing(contact_id: uuid.UUID) -> Response | None:
    """404 for an id that is no contact, or that was merged into another (Wix rejects a merged
    source id everywhere but get); None when the contact is live."""
    row = Contact.objects.filter(pk=contact_id).values_list("pk", "merged_into_id").first()
    if row is None:
        return _error(status.HTTP_404_NOT_FOUND, f"No contact {contact_id}.", "contact_not_found")
    merged_into = row[1]
    if merged_into is not None:
        return _merged(ContactMerged(contact_id, merged_into))
    return None


def _merged(exc: ContactMerged) -> Response:
    return _error(status.HTTP_404_NOT_FOUND, str(exc), "contact_merged", mergedInto=str(exc.target_id))


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _acting(request: Request) -> dict[str, Any]:
    """Who merges: a staff user, or a token (no user row; its id and name go in the summary)."""
    if isinstance(request.user, TokenPrincipal):
        token = request.user.token
        return {"acting_user": None, "acting_token": {"id": token.pk, "name": token.name}}
    return {"acting_user": request.user, "acting_token": None}


def _contact_response(contact_id: uuid.UUID) -> Response:
    contact = with_details(Contact.objects.filter(pk=contact_id)).get()
    return Response(ContactEnvelopeSerializer(contact).data)


def _relabel(request: Request, contact_id: uuid.UUID, *, add: bool) -> Response:
    data = _valid(LabelKeysInputSerializer, request.data)
    service = contact_label if add else contact_unlabel
    try:
        service(contact_id=contact_id, label_keys=data["labelKeys"], now=timezone.now())
    except Contact.DoesNotExist:
        return _error(status.HTTP_404_NOT_FOUND, f"No contact {contact_id}.", "contact_not_found")
    except ContactMerged as exc:
        return _merged(exc)
    return _contact_response(contact_id)


class DeleteWithBodySchema(AutoSchema):
    """Documents the JSON body of DELETE too (Wix `unlabelContact` is a DELETE with `labelKeys`)."""

    def _get_request_body(self, direction: str = "request") -> dict[str, Any] | None:
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"


class ContactLabelApi(BackOfficeApi):
    """POST adds labels to a contact, DELETE (with the same body) removes them."""

    required_permissions = {"POST": [Scope.LABEL], "DELETE": [Scope.LABEL]}
    schema = DeleteWithBodySchema()

    @extend_schema(**docs.LABEL_CONTACT)
    def post(self, request: Request, contact_id: uuid.UUID) -> Response:
        return _relabel(request, contact_id, add=True)

    @extend_schema(**docs.UNLABEL_CONTACT)
    def delete(self, request: Request, contact_id: uuid.UUID) -> Response:
        return _relabel(request, contact_id, add=False)


class ContactUnlabelApi(BackOfficeApi):
    """POST /labels/remove/: unlabel for clients that cannot send a body with DELETE."""

    required_permissions = {"POST": [Scope.LABEL]}

    @extend_schema(**docs.UNLABEL_CONTACT_POST)
    def post(self, request: Request, contact_id: uuid.UUID) -> Response:
        return _relabel(request, contact_id, add=False)


class ContactMergeApi(BackOfficeApi):
    """Merge 1-5 sources into the contact in the URL, or preview that merge."""

    required_permissions = {"POST": [Scope.MERGE]}

    @extend_schema(**docs.MERGE)
    def post(self, request: Request, contact_id: uuid.UUID) -> Response:
        data = _valid(MergeInputSerializer, request.data)
        missing = _contact_missing(contact_id)
        if missing is not None:
            return missing
        sources, revision = data["sourceContactIds"], data.get("targetContactRevision")
        try:
            if data["preview"]:
                plan = contact_merge_preview(target_id=contact_id, source_ids=sources, target_revision=revision)
                summary = plan.summary()
                filled = summary.pop("filled")
                assert isinstance(filled, dict)
                return Response({"preview": {
                    "targetContactId": str(plan.target.id),
                    "sourceContactIds": [str(s.id) for s in plan.sources],
                    "filled": {API_NAME_OF_FIELD.get(name, name): value for name, value in filled.items()},
                    **summary,
                }})
            result = contact_merge(target_id=contact_id, source_ids=sources, target_revision=revision,
                                   now=timezone.now(), **_acting(request))
        except MergeRefused as exc:
            code = status.HTTP_409_CONFLICT if exc.conflict else status.HTTP_400_BAD_REQUEST
            return _error(code, exc.message, exc.code)
        target = with_details(Contact.objects.filter(pk=result.target_id)).get()
        return Response(MergedContactSerializer(
            {"contact": target, "mergedContactIds": list(result.source_ids)}).data)


def _page(queryset: QuerySet[Any], query: dict[str, Any]) -> tuple[list[Any], dict[str, int]]:
    if query.get("displayName"):
        queryset = queryset.filter(display_name__startswith=query["displayName"])
    queryset = queryset.order_by("display_name", "id")
    offset, limit = query["offset"], query["limit"]
    items = list(queryset[offset:offset + limit])
    return items, {"count": len(items), "offset": offset, "total": queryset.count()}


def _keyed_or_none(model: type[Label] | type[ExtendedField], key: str) -> Any:
    # A key holding a control character (U+0000 cannot even reach PostgreSQL) names nothing.
    if len(key) > limits.LABEL_KEY or forbidden_character(key) is not None:
        return None
    return model.objects.filter(key=key).first()


def _no_such(kind: str, key: str) -> Response:
    return _error(status.HTTP_404_NOT_FOUND, f"No {kind} with key {key!r}.", f"{kind.replace(' ', '_')}_not_found")


class LabelListApi(BackOfficeApi):
    required_permissions = {"GET": [Scope.READ], "POST": [Scope.LABEL]}

    @extend_schema(**docs.LABEL_LIST)
    def get(self, request: Request) -> Response:
        labels, paging = _page(Label.objects.all(), _valid(LabelListQuerySerializer, request.query_params))
        return Response({"labels": LabelSerializer(labels, many=True).data, "pagingMetadata": paging})

    @extend_schema(**docs.LABEL_FIND_OR_CREATE)
    def post(self, request: Request) -> Response:
        data = _valid(LabelCreateInputSerializer, request.data)
        label, created = label_find_or_create(display_name=data["displayName"])
        return Response({"label": LabelSerializer(label).data, "newLabel": created},
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class LabelDetailApi(BackOfficeApi):
    required_permissions = {"GET": [Scope.READ], "PATCH": [Scope.LABEL], "DELETE": [Scope.LABEL]}

    @extend_schema(**docs.LABEL_GET)
    def get(self, request: Request, key: str) -> Response:
        label = _keyed_or_none(Label, key)
        if label is None:
            return _no_such("label", key)
        return Response({"label": LabelSerializer(label).data})

    @extend_schema(**docs.LABEL_RENAME)
    def patch(self, request: Request, key: str) -> Response:
        data = _valid(LabelRenameInputSerializer, request.data)
        label = _keyed_or_none(Label, key)
        if label is None:
            return _no_such("label", key)
        return Response({"label": LabelSerializer(label_rename(label=label, display_name=data["displayName"])).data})

    @extend_schema(**docs.LABEL_DELETE)
    def delete(self, request: Request, key: str) -> Response:
        label = _keyed_or_none(Label, key)
        if label is None:
            return _no_such("label", key)
        if label.label_type == LabelType.SYSTEM:  # the admin's rule: the site manages system labels
            return _error(status.HTTP_403_FORBIDDEN, f"{label.key} is a system label: it cannot be deleted.",
                          "system_label")
        return Response({"key": label.key, "contactsAffected": label_delete(label=label, now=timezone.now())})


class ExtendedFieldListApi(BackOfficeApi):
    required_permissions = {"GET": [Scope.READ], "POST": [Scope.LABEL]}

    @extend_schema(**docs.FIELD_LIST)
    def get(self, request: Request) -> Response:
        query = _valid(ExtendedFieldListQuerySerializer, request.query_params)
        fields, paging = _page(ExtendedField.objects.all(), query)
        return Response({"extendedFields": ExtendedFieldSerializer(fields, many=True).data, "pagingMetadata": paging})

    @extend_schema(**docs.FIELD_FIND_OR_CREATE)
    def post(self, request: Request) -> Response:
        data = _valid(ExtendedFieldCreateInputSerializer, request.data)
        field, created = extended_field_find_or_create(display_name=data["displayName"], data_type=data["dataType"])
        return Response({"field": ExtendedFieldSerializer(field).data, "newField": created},
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ExtendedFieldDetailApi(BackOfficeApi):
    required_permissions = {"GET": [Scope.READ], "PATCH": [Scope.LABEL], "DELETE": [Scope.LABEL]}

    @extend_schema(**docs.FIELD_GET)
    def get(self, request: Request, key: str) -> Response:
        field = _keyed_or_none(ExtendedField, key)
        if field is None:
            return _no_such("extended field", key)
        return Response({"field": ExtendedFieldSerializer(field).data})

    @extend_schema(**docs.FIELD_RENAME)
    def patch(self, request: Request, key: str) -> Response:
        data = _valid(ExtendedFieldRenameInputSerializer, request.data)
        field = _keyed_or_none(ExtendedField, key)
        if field is None:
            return _no_such("extended field", key)
        try:
            field = extended_field_rename(field=field, display_name=data["displayName"])
        except SystemFieldReadOnly as exc:
            return _error(status.HTTP_403_FORBIDDEN, str(exc), "system_field")
        return Response({"field": ExtendedFieldSerializer(field).data})

    @extend_schema(**docs.FIELD_DELETE)
    def delete(self, request: Request, key: str) -> Response:
        field = _keyed_or_none(ExtendedField, key)
        if field is None:
            return _no_such("extended field", key)
        if field.field_type == FieldType.SYSTEM:
            return _error(status.HTTP_403_FORBIDDEN, f"{field.key} is a system field: it cannot be deleted.",
                          "system_field")
        return Response({"key": field.key, "contactsAffected": extended_field_delete(field=field, now=timezone.now())})


class ContactServerAppendOrCreateApi(BackOfficeApi):
    """Append-or-create for trusted server code: the backend step order (create before the
    visitor's contact, decisions.md §1), the visitor named in the body, no member actor."""

    required_permissions = {"POST": [Scope.WRITE]}

    @extend_schema(**docs.SERVER_APPEND_OR_CREATE)
    def post(self, request: Request) -> Response:
        data = _valid(ServerContactInfoSerializer, request.data)
        visitor_id = data.pop("visitorId", None)
        visitor = None
        if visitor_id is not None:
            first_seen = VisitorSession.objects.filter(pk=visitor_id).values_list("first_seen", flat=True).first()
            if first_seen is None:
                raise serializers.ValidationError({"visitorId": [f"No visitor {visitor_id}."]})
            visitor = VisitorIdentity(id=visitor_id, issued_at=first_seen)
        result = contact_append_or_create(
            contact_payload_from_info(data),
            actor=None,
            visitor=visitor,
            channel=Channel.API,
            step_order=StepOrder.BACKEND,
            now=timezone.now(),
        )
        return Response(
            ContactIdentificationSerializer(result).data,
            status=status.HTTP_201_CREATED if result.new_contact else status.HTTP_200_OK,
        )

