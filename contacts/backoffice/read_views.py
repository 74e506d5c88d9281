"""Back-office endpoints to read, query and update contacts (wix-contacts.md §6.2, §6.3, §6.5),
for integrations (a token with scopes) and staff sessions. Views validate, call a selector or
the service, and render with `contact_representation`; errors are JSON."""

import uuid
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contacts.backoffice import openapi
from contacts.backoffice.keyset import KeysetOrder, keyset_page, page_links
from contacts.backoffice.query import ORDERINGS, ContactQuerySerializer, PageQuerySerializer, contact_query
from contacts.backoffice.representation import contact_representation, with_details
from contacts.backoffice.serializers import (
    ContactGetResponseSerializer,
    ContactPageSerializer,
    ContactResponseSerializer,
    ContactUpdateSerializer,
    SubmissionPageSerializer,
    SubmissionSerializer,
)
from contacts.backoffice.update import (
    ContactMerged,
    DuplicateContactExists,
    InvalidInfo,
    RevisionConflict,
    contact_update,
)
from contacts.models import Contact, Submission
from integrations.auth import BackOfficePermission, IntegrationTokenAuthentication
from integrations.models import Scope

CONTACT_ID = OpenApiParameter("contact_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="A contact id.")
NO_CONTACT = "No contact with this id."
COMMON_ERRORS: dict[int, OpenApiResponse] = {
    400: openapi.FIELD_ERRORS_400,
    401: openapi.UNAUTHORIZED,
    403: openapi.FORBIDDEN,
    503: openapi.UNAVAILABLE,
}


class BackOfficeApi(APIView):
    authentication_classes = [IntegrationTokenAuthentication, SessionAuthentication]
    permission_classes = [BackOfficePermission]
    required_permissions: dict[str, list[str]] = {"GET": [Scope.READ]}


def _merged_away(target_id: uuid.UUID) -> Response:
    return Response(
        {"detail": f"This contact was merged into {target_id}; use that id.", "code": "contact_merged",
         "mergedInto": str(target_id)},
        status=status.HTTP_404_NOT_FOUND,
    )


def _live_contact_id(contact_id: uuid.UUID) -> uuid.UUID | Response:
    """The id when it is a live contact; a 404 response when unknown or merged away."""
    row = Contact.objects.filter(pk=contact_id).values_list("pk", "merged_into_id").first()
    if row is None:
        raise NotFound(NO_CONTACT)
    if row[1] is not None:
        return _merged_away(row[1])
    return contact_id


class ContactApi(BackOfficeApi):
    """GET one contact (a merged id resolves to its target) and PATCH it (update)."""

    required_permissions = {"GET": [Scope.READ], "PATCH": [Scope.WRITE]}

    @extend_schema(
        operation_id="backoffice_contact_get",
        summary="Get a contact",
        description="The Contact object. An id that was merged into another contact resolves to that "
                    "contact (`responseType: MERGED`, the target's id in `contact.id`). Needs the "
                    "`contacts.view_contact` scope.",
        tags=["back office"],
        parameters=[CONTACT_ID],
        responses={
            200: ContactGetResponseSerializer,
            401: openapi.UNAUTHORIZED,
            403: openapi.FORBIDDEN,
            404: openapi.error(NO_CONTACT),
            503: openapi.UNAVAILABLE,
        },
    )
    def get(self, request: Request, contact_id: uuid.UUID) -> Response:
        # One hop is enough: a merge re-points the ids merged into its sources (contacts/merge.py).
        row = Contact.objects.filter(pk=contact_id).values_list("pk", "merged_into_id").first()
        if row is None:
            raise NotFound(NO_CONTACT)
        target_id = row[1] or row[0]
        contact = with_details(Contact.objects.filter(pk=target_id)).first()
        if contact is None:  # pragma: no cover - merged targets are PROTECTed
            raise NotFound(NO_CONTACT)
        return Response({
            "contact": contact_representation(contact),
            "responseType": "MERGED" if target_id != contact_id else "REGULAR",
        })

    @extend_schema(
        operation_id="backoffice_contact_update",
        summary="Update a contact",
        description=(
            "Replaces the parts of the contact's info that are given (Wix updateContact): each scalar given "
            "replaces the stored one (`\"\"` clears it), `emails`, `phones` and `addresses` replace the stored "
            "lists (an item already on the contact keeps its id), each extended field given replaces that "
            "field (`\"\"` removes it). Fields not given are kept; labels are changed by the label endpoints.\n\n"
            "`revision` must be the contact's current one (else 409 `revision_conflict` with "
            "`currentRevision`); the update adds 1 to it. An email or phone that belongs to another contact "
            "is a 409 `duplicate_contact_exists` naming the field; a member's login email cannot be removed "
            "or lose its primary flag (400). Any error writes nothing. Needs the `contacts.change_contact` "
            "scope."
        ),
        tags=["back office"],
        parameters=[CONTACT_ID],
        request=ContactUpdateSerializer,
        examples=[OpenApiExample("Replace the phones, set the company", request_only=True, value={
            "revision": 3,
            "info": {"company": "Acme", "phones": [{"tag": "MOBILE", "phone": "+1 650 253 0000", "primary": True}]},
        })],
        responses={
            200: ContactResponseSerializer,
            **COMMON_ERRORS,
            404: openapi.error("No contact with this id, or the id was merged into another contact "
                               "(`code: contact_merged`, `mergedInto`)."),
            409: openapi.error(
                "Nothing written: the revision is not the current one (`code: revision_conflict`, "
                "`currentRevision`), or an email or phone given belongs to another contact "
                "(`code: duplicate_contact_exists`, `field`, `duplicateContactId`).",
                OpenApiExample("Stale revision", response_only=True, value={
                    "detail": "The contact changed since you read it: it is at revision 4.",
                    "code": "revision_conflict", "currentRevision": 4}),
            ),
            415: openapi.error("The body is not `application/json`."),
        },
    )
    def patch(self, request: Request, contact_id: uuid.UUID) -> Response:
        serializer = ContactUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            result = contact_update(
                contact_id=contact_id,
                revision=serializer.validated_data["revision"],
                info=serializer.validated_data["info"],
                acting_user=request.user,
                now=timezone.now(),
            )
        except InvalidInfo as exc:
            return Response({"info": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
        except Contact.DoesNotExist:
            raise NotFound(NO_CONTACT) from None
        except ContactMerged as exc:
            return _merged_away(exc.target_id)
        except RevisionConflict as exc:
            return Response(
                {"detail": f"The contact changed since you read it: it is at revision {exc.current_revision}.",
                 "code": "revision_conflict", "currentRevision": exc.current_revision},
                status=status.HTTP_409_CONFLICT,
            )
        except DuplicateContactExists as exc:
            body: dict[str, Any] = {
                "detail": f"{exc.field}: this {exc.kind} already belongs to another contact; nothing was written.",
                "code": "duplicate_contact_exists",
                "field": exc.field,
            }
            if exc.contact_id is not None:
                body["duplicateContactId"] = str(exc.contact_id)
            return Response(body, status=status.HTTP_409_CONFLICT)
        contact = with_details(Contact.objects.filter(pk=result.contact_id)).get()
        return Response({"contact": contact_representation(contact)})


QUERY_PARAMETERS = [
    OpenApiParameter("email", OpenApiTypes.EMAIL, description="Contacts with this email (normalised exact match)."),
    OpenApiParameter("phone", OpenApiTypes.STR, description="Contacts with this phone: `+…`, or a national number "
                     "of the site's default region (`CRM_DEFAULT_PHONE_REGION`); compared by match key."),
    OpenApiParameter("labels", OpenApiTypes.STR, description="Comma-separated label keys: contacts with any of "
                     "them (hasSome). An unknown key is a 400."),
    OpenApiParameter("labelsAll", OpenApiTypes.STR, description="Comma-separated label keys: contacts with all "
                     "of them (hasAll). An unknown key is a 400."),
    OpenApiParameter("name", OpenApiTypes.STR, description="Prefix of the first or last name, any letter case."),
    OpenApiParameter("company", OpenApiTypes.STR, description="Prefix of the company, any letter case."),
    OpenApiParameter("createdFrom", OpenApiTypes.DATETIME, description="Created at or after (ISO 8601)."),
    OpenApiParameter("createdTo", OpenApiTypes.DATETIME, description="Created before (ISO 8601, exclusive)."),
    OpenApiParameter("updatedFrom", OpenApiTypes.DATETIME, description="Updated at or after (ISO 8601)."),
    OpenApiParameter("updatedTo", OpenApiTypes.DATETIME, description="Updated before (ISO 8601, exclusive)."),
    OpenApiParameter("member", OpenApiTypes.STR, enum=["true", "false"],
                     description="`true`: members' contacts only; `false`: contacts that are not members'."),
    OpenApiParameter("ordering", OpenApiTypes.STR, enum=list(ORDERINGS), default="-createdDate",
                     description="Sort by creation or last update; `-` for newest first."),
]
PAGE_PARAMETERS = [
    OpenApiParameter("limit", OpenApiTypes.INT, description="Page size, 1 to 1000; default 50."),
    OpenApiParameter("cursor", OpenApiTypes.STR,
                     description="From a `next` or `previous` link, as given; absent for the first page."),
]


class ContactQueryApi(BackOfficeApi):
    @extend_schema(
        operation_id="backoffice_contacts_query",
        summary="Query contacts",
        description="Contacts matching every filter given, newest first by default, in pages that follow each "
                    "other without gaps or repeats (keyset cursors in `next` / `previous`). Merged contacts are "
                    "not listed. An invalid value or an unknown parameter is a 400. Needs the "
                    "`contacts.view_contact` scope.",
        tags=["back office"],
        parameters=[*QUERY_PARAMETERS, *PAGE_PARAMETERS],
        responses={200: ContactPageSerializer, **COMMON_ERRORS},
    )
    def get(self, request: Request) -> Response:
        params = ContactQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        order = ORDERINGS[params.validated_data["ordering"]]
        page = keyset_page(
            with_details(contact_query(params.filters())),
            order=order, limit=params.validated_data["limit"], cursor=params.validated_data.get("cursor"),
        )
        return Response({"contacts": [contact_representation(c) for c in page.rows], **page_links(request, page)})


SUBMISSION_ORDER = KeysetOrder("-createdDate", "created_at", descending=True)


class ContactSubmissionsApi(BackOfficeApi):
    @extend_schema(
        operation_id="backoffice_contact_submissions",
        summary="A contact's submissions (the ledger)",
        description="Every append-or-create call that reached this contact (form, API, import, admin, signup), "
                    "newest first, with what it wrote and skipped. A merged id is a 404 (`contact_merged`): its "
                    "submissions moved to the target. Needs the `contacts.view_contact` scope.",
        tags=["back office"],
        parameters=[CONTACT_ID, *PAGE_PARAMETERS],
        responses={200: SubmissionPageSerializer, **COMMON_ERRORS, 404: openapi.NOT_FOUND},
    )
    def get(self, request: Request, contact_id: uuid.UUID) -> Response:
        params = PageQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        live = _live_contact_id(contact_id)
        if isinstance(live, Response):
            return live
        page = keyset_page(
            Submission.objects.filter(contact_id=live),
            order=SUBMISSION_ORDER, limit=params.validated_data["limit"], cursor=params.validated_data.get("cursor"),
        )
        return Response({"submissions": SubmissionSerializer(page.rows, many=True).data, **page_links(request, page)})
