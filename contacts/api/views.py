"""The public append-or-create endpoint: validate shape → payload → service → id only."""

from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from django.utils import timezone
from drf_spectacular.utils import extend_schema

from contacts.api.schema import APPEND_OR_CREATE_SCHEMA
from contacts.api.serializers import ContactIdentificationSerializer, ContactInfoSerializer
from contacts.api.throttles import API_THROTTLES
from contacts.enums import Channel
from contacts.payload import contact_payload_from_info
from contacts.reconcile import contact_append_or_create
from contacts.visitor import visitor_for


class ContactAppendOrCreateApi(APIView):
    """POST a `ContactInfo`; answers `{contactId, identityType, newContact}` and nothing more,
    because the caller need not be logged in. Anonymous callers need no CSRF token; a
    logged-in member's call must carry one (session auth), since it writes to their contact."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = API_THROTTLES  # per client address and per submitted email/phone

    @extend_schema(**APPEND_OR_CREATE_SCHEMA)  # contacts/api/schema.py
    def post(self, request: Request) -> Response:
        serializer = ContactInfoSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = contact_append_or_create(
            contact_payload_from_info(serializer.validated_data),
            actor=request.user,
            visitor=visitor_for(request),
            channel=Channel.API,
            now=timezone.now(),
        )
        return Response(
            ContactIdentificationSerializer(result).data,
            status=status.HTTP_201_CREATED if result.new_contact else status.HTTP_200_OK,
        )
