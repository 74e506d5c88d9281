"""`GET /api/contacts/export/`: every contact matching the filters, streamed as CSV or JSONL
(`contacts.export`). For integrations with a token holding `contacts.import_contact`, or staff
sessions with that permission.

The filters are the contact query's (`contacts.backoffice.query`: email, phone, labels,
labelsAll, name, company, created and updated ranges, member), without its paging: the export
is every match, oldest first. Merged contacts are never exported. An unknown parameter is a
400, so a misspelt filter never exports everything.
"""

from collections.abc import Iterable
from typing import Any

from django.http import HttpResponseBase
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from contacts.api.schema import ERROR_DETAIL, FIELD_ERRORS
from contacts.backoffice.query import ContactQuerySerializer, contact_query
from contacts.export import CSV_HEADER, ExportFormat, contact_export_response
from integrations.auth import BackOfficePermission, IntegrationTokenAuthentication
from integrations.models import Scope


class ExportNegotiation(BaseContentNegotiation):
    """The export's own `format` parameter chooses the file format (DRF's would 404 on
    `?format=csv`); errors are always JSON."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class ContactExportQuerySerializer(ContactQuerySerializer):
    """The contact query's filters, no paging or order, and the file format."""

    # DRF: None removes an inherited field.
    limit = None  # type: ignore[assignment]
    cursor = None  # type: ignore[assignment]
    ordering = None  # type: ignore[assignment]
    format = serializers.ChoiceField(
        choices=[f.value for f in ExportFormat], required=False, default=ExportFormat.CSV.value,
        help_text="`csv` (default) or `jsonl`.",
    )


def _error(description: str, component: str = ERROR_DETAIL) -> OpenApiResponse:
    return OpenApiResponse(response={"$ref": f"#/components/schemas/{component}"}, description=description)


EXPORT_DOWNLOAD = "The export as a download: CSV (`format=csv`) or JSON Lines (`format=jsonl`)."
EXPORT_SCHEMA: dict[str, Any] = {
    "operation_id": "contacts_export",
    "summary": "Export contacts as CSV or JSONL",
    "description": (
        "Every contact matching the filters (those of the contact query), oldest first, streamed: "
        "the server holds one chunk of 1,000 contacts at a time, whatever the size. `format=csv` "
        "(default): RFC 4180, UTF-8, one row per contact under the header `" + ",".join(CSV_HEADER) + "`. "
        "`email` and `phone` are the primary ones, `emails` and `phones` all of them; lists are "
        "`;`-separated; phones in international form; a name, company or job title starting with "
        "`= + - @` gets a leading `'` (spreadsheet formula injection). The columns the bulk import "
        "also reads keep its names. `format=jsonl`: one back-office Contact object per line. Merged "
        "contacts are not exported. Needs `contacts.import_contact`."
    ),
    "parameters": [ContactExportQuerySerializer],
    "responses": {
        (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=EXPORT_DOWNLOAD),
        (200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.STR, description=EXPORT_DOWNLOAD),
        400: _error("An invalid or unknown parameter, or an unknown label key.", FIELD_ERRORS),
        401: _error("No credentials, or an invalid or revoked token."),
        403: _error("The token or user lacks `contacts.import_contact`."),
    },
}


class ContactExportApi(APIView):
    authentication_classes = [IntegrationTokenAuthentication, SessionAuthentication]
    permission_classes = [BackOfficePermission]
    required_permissions = {"GET": [Scope.IMPORT.value]}
    renderer_classes = [JSONRenderer]  # errors; the export itself is a StreamingHttpResponse
    content_negotiation_class = ExportNegotiation

    @extend_schema(**EXPORT_SCHEMA)
    def get(self, request: Request) -> HttpResponseBase:
        params = ContactExportQuerySerializer(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        return contact_export_response(
            contact_query(params.filters()),
            export_format=ExportFormat(params.validated_data["format"]),
            now=timezone.now(),
        )
