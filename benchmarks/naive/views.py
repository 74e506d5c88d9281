"""What a plain DRF endpoint for the same `ContactInfo` body would do: a ModelSerializer that
creates a contact with its nested emails and phones, and no reconciling at all.

No lock, no lookup, no ledger: every call is a new contact. Match keys are made unique by a
random suffix so the unique constraints never fire. It is the cost baseline for
benchmarks/load_test.py, and shows what "one contact per person" is worth: 1000 calls from
25 people leave 1000 contacts here.
"""

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contacts.models import Contact, Email, Phone


class NaiveNameSerializer(serializers.Serializer):
    first = serializers.CharField(source="first_name", required=False, allow_blank=True, max_length=100)
    last = serializers.CharField(source="last_name", required=False, allow_blank=True, max_length=100)


class NaiveEmailSerializer(serializers.ModelSerializer):
    class Meta:
        model = Email
        fields = ["email", "tag", "primary"]


class NaivePhoneSerializer(serializers.ModelSerializer):
    countryCode = serializers.CharField(source="country_code", required=False, allow_blank=True, max_length=2)

    class Meta:
        model = Phone
        fields = ["phone", "countryCode", "tag", "primary"]


class NaiveContactSerializer(serializers.ModelSerializer):
    name = NaiveNameSerializer(source="*", required=False)
    emails = NaiveEmailSerializer(many=True, required=False)
    phones = NaivePhoneSerializer(many=True, required=False)

    class Meta:
        model = Contact
        fields = ["name", "emails", "phones"]

    def create(self, validated_data: dict[str, Any]) -> Contact:
        emails = validated_data.pop("emails", [])
        phones = validated_data.pop("phones", [])
        now = timezone.now()
        with transaction.atomic():
            contact = super().create({**validated_data, "created_at": now, "updated_at": now})
            Email.objects.bulk_create(
                Email(contact=contact, created_at=now, key=f"{uuid.uuid4().hex}:{e['email'].lower()}"[:254],
                      **{**e, "primary": i == 0})
                for i, e in enumerate(emails)
            )
            Phone.objects.bulk_create(
                Phone(contact=contact, created_at=now, key=uuid.uuid4().hex, **{**p, "primary": i == 0})
                for i, p in enumerate(phones)
            )
        return contact


class NaiveContactCreateApi(APIView):
    authentication_classes = [SessionAuthentication]
    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        serializer = NaiveContactSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contact = serializer.save()
        return Response({"contactId": str(contact.id)}, status=status.HTTP_201_CREATED)
