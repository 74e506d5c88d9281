"""Request and response shapes of the back-office read and update endpoints.

The update body reuses the public API's field rules (`contacts/api/serializers.py`), so a
value the append-or-create endpoint refuses is refused here too. The response serializers
only document `contact_representation` and the ledger rows in the OpenAPI schema; the bodies
themselves are built by `representation.py` and the views.
"""

from typing import Any

from rest_framework import serializers

from contacts.api.fields import ExtendedValueField, StrictDateField, StrictSerializer
from contacts.api.serializers import ContactInfoSerializer
from contacts.enums import ActivityType, AddressTag, Channel, EmailTag, IdentityType, PhoneTag, SourceType
from members.models import Member

MAX_REVISION = 2**31 - 1  # PositiveIntegerField


# --- the update body ----------------------------------------------------------------------------


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer and nothing else (`"1"`, `1.0` and `true` are not revisions)."""

    default_error_messages = {"invalid": "Expected an integer."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class ClearableDateField(StrictDateField):
    """`YYYY-MM-DD`, or `""` to clear the date (no field takes null)."""

    def to_internal_value(self, value: Any) -> Any:
        if value == "":
            return None
        return super().to_internal_value(value)


class ContactUpdateInfoSerializer(ContactInfoSerializer):
    """`ContactInfo` as append-or-create takes it, without `labelKeys` (the label endpoints
    change labels), and with `birthdate: ""` to clear the birthdate."""

    labelKeys = None  # type: ignore[assignment]  # DRF: None removes an inherited field
    birthdate = ClearableDateField(required=False)


class ContactUpdateSerializer(StrictSerializer):
    revision = StrictIntegerField(
        min_value=1, max_value=MAX_REVISION,
        help_text="The contact's current revision, as the last read returned it.",
    )
    info = ContactUpdateInfoSerializer()


# --- responses (documentation only) -------------------------------------------------------------


class ExtendedValueOutputField(ExtendedValueField):
    """A stored extended-field value: a string or a number (no request limits)."""


class _NameOut(serializers.Serializer):
    first = serializers.CharField()
    last = serializers.CharField()


class _EmailOut(serializers.Serializer):
    id = serializers.IntegerField()
    tag = serializers.ChoiceField(choices=EmailTag.choices)
    email = serializers.CharField()
    primary = serializers.BooleanField()


class _PhoneOut(serializers.Serializer):
    id = serializers.IntegerField()
    tag = serializers.ChoiceField(choices=PhoneTag.choices)
    countryCode = serializers.CharField()
    phone = serializers.CharField()
    e164Phone = serializers.CharField(allow_null=True, help_text="E.164 form; null when not a valid number.")
    primary = serializers.BooleanField()


class _StreetOut(serializers.Serializer):
    number = serializers.CharField()
    name = serializers.CharField()


class _LocationOut(serializers.Serializer):
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)


class _AddressOut(serializers.Serializer):
    addressLine1 = serializers.CharField()
    addressLine2 = serializers.CharField()
    streetAddress = _StreetOut()
    city = serializers.CharField()
    subdivision = serializers.CharField()
    country = serializers.CharField()
    postalCode = serializers.CharField()
    formatted = serializers.CharField()
    location = _LocationOut(required=False, help_text="Only when a latitude or longitude is stored.")


class _AddressInfoOut(serializers.Serializer):
    id = serializers.IntegerField()
    tag = serializers.ChoiceField(choices=AddressTag.choices)
    address = _AddressOut()


class _EmailsOut(serializers.Serializer):
    items = _EmailOut(many=True)


class _PhonesOut(serializers.Serializer):
    items = _PhoneOut(many=True)


class _AddressesOut(serializers.Serializer):
    items = _AddressInfoOut(many=True)


class _LabelKeysOut(serializers.Serializer):
    items = serializers.ListField(child=serializers.CharField())


class _ExtendedFieldsOut(serializers.Serializer):
    items = serializers.DictField(child=ExtendedValueOutputField(), help_text="Empty values are not returned.")


class ContactInfoOutSerializer(serializers.Serializer):
    name = _NameOut()
    emails = _EmailsOut()
    phones = _PhonesOut()
    addresses = _AddressesOut()
    company = serializers.CharField()
    jobTitle = serializers.CharField()
    birthdate = serializers.DateField(allow_null=True)
    locale = serializers.CharField()
    picture = serializers.CharField()
    labelKeys = _LabelKeysOut()
    extendedFields = _ExtendedFieldsOut()


class _SourceOut(serializers.Serializer):
    sourceType = serializers.ChoiceField(choices=SourceType.choices)


class _LastActivityOut(serializers.Serializer):
    activityDate = serializers.DateTimeField(allow_null=True)
    activityType = serializers.ChoiceField(choices=ActivityType.choices, allow_null=True)


class _PrimaryInfoOut(serializers.Serializer):
    email = serializers.CharField(allow_null=True)
    phone = serializers.CharField(allow_null=True, help_text="The primary phone as given, not its E.164 form.")


class _MemberInfoOut(serializers.Serializer):
    memberId = serializers.IntegerField()
    signupDate = serializers.DateTimeField()
    email = serializers.CharField(help_text="The member's login email.")
    status = serializers.ChoiceField(choices=Member.Status.choices)


class BackOfficeContactSerializer(serializers.Serializer):
    """The Contact object (wix-contacts.md §5), as `contact_representation` builds it."""

    id = serializers.UUIDField()
    revision = serializers.IntegerField(help_text="Send it back to update the contact; +1 on every update.")
    source = _SourceOut()  # type: ignore[assignment]  # a declared field, not Field.source
    createdDate = serializers.DateTimeField()
    updatedDate = serializers.DateTimeField()
    lastActivity = _LastActivityOut()
    primaryInfo = _PrimaryInfoOut()
    info = ContactInfoOutSerializer()
    memberInfo = _MemberInfoOut(allow_null=True, help_text="Null unless the contact is a site member's.")


class ContactResponseSerializer(serializers.Serializer):
    contact = BackOfficeContactSerializer()


class ContactGetResponseSerializer(ContactResponseSerializer):
    responseType = serializers.ChoiceField(
        choices=["REGULAR", "MERGED"],
        help_text="MERGED: the id asked for was merged into this contact, whose id is returned.",
    )


class ContactPageSerializer(serializers.Serializer):
    contacts = BackOfficeContactSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next page, or null on the last one.")
    previous = serializers.URLField(allow_null=True, help_text="The previous page, or null on the first one.")


class _ChangeOut(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.JSONField()
    reason = serializers.CharField(required=False)


class SubmissionSerializer(serializers.Serializer):
    """One ledger row (decisions.md §12)."""

    id = serializers.UUIDField()
    createdDate = serializers.DateTimeField(source="created_at")
    channel = serializers.ChoiceField(choices=Channel.choices)
    identityType = serializers.ChoiceField(source="identity_type", choices=IdentityType.choices)
    matchedBy = serializers.CharField(source="matched_by", help_text="member, email, phone, visitor or created.")
    newContact = serializers.BooleanField(source="new_contact")
    visitorId = serializers.UUIDField(source="visitor_id", allow_null=True)
    written = _ChangeOut(many=True)
    skipped = _ChangeOut(many=True)
    payload = serializers.JSONField(help_text="The ContactInfo as submitted.")
    message = serializers.CharField()


class SubmissionPageSerializer(serializers.Serializer):
    submissions = SubmissionSerializer(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
