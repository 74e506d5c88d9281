"""The append-or-create request body: Wix's `ContactInfo` with flat arrays, camelCase names.

Field names are the API's own, so `validated_data` is already the `ContactInfo` mapping that
`contacts.payload.contact_payload_from_info` takes.
"""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from rest_framework import serializers

from contacts import limits
from contacts.api.fields import (
    ExtendedValueField,
    StrictBooleanField,
    StrictCharField,
    StrictDateField,
    StrictFloatField,
    StrictSerializer,
    StrictURLField,
)
from contacts.enums import AddressTag, EmailTag, IdentityType, PhoneTag
from contacts.normalize import normalize_email, normalize_phone
from contacts.text import forbidden_character, forbidden_character_message

LOCALE_PATTERN = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"


def _text(max_length: int, **kwargs: Any) -> StrictCharField:
    return StrictCharField(max_length=max_length, required=False, allow_blank=True, **kwargs)


class NameSerializer(StrictSerializer):
    first = _text(limits.NAME_PART)
    last = _text(limits.NAME_PART)


class EmailInfoSerializer(StrictSerializer):
    tag = serializers.ChoiceField(choices=EmailTag.choices, required=False)
    email = StrictCharField(max_length=limits.EMAIL)
    primary = StrictBooleanField(required=False)

    def validate_email(self, value: str) -> str:
        try:
            normalize_email(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return value


class PhoneInfoSerializer(StrictSerializer):
    tag = serializers.ChoiceField(choices=PhoneTag.choices, required=False)
    countryCode = StrictCharField(
        max_length=limits.COUNTRY_CODE, required=False, allow_blank=True,
        help_text="ISO 3166 alpha-2 region, such as US. Needed unless the phone starts with +.",
    )
    phone = StrictCharField(max_length=limits.PHONE)
    primary = StrictBooleanField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            normalize_phone(attrs["phone"], attrs.get("countryCode"))
        except DjangoValidationError as exc:
            field = "countryCode" if exc.code == "invalid_country" else "phone"
            raise serializers.ValidationError({field: exc.messages}) from exc
        return attrs


class StreetAddressSerializer(StrictSerializer):
    number = _text(limits.STREET_NUMBER)
    name = _text(limits.ADDRESS_LINE)


class LocationSerializer(StrictSerializer):
    latitude = StrictFloatField(required=False, min_value=-90, max_value=90)
    longitude = StrictFloatField(required=False, min_value=-180, max_value=180)


class AddressSerializer(StrictSerializer):
    addressLine1 = _text(limits.ADDRESS_LINE)
    addressLine2 = _text(limits.ADDRESS_LINE)
    streetAddress = StreetAddressSerializer(required=False)
    city = _text(limits.CITY)
    subdivision = _text(limits.SUBDIVISION)
    country = _text(limits.COUNTRY_CODE)
    postalCode = _text(limits.POSTAL_CODE)
    formatted = _text(limits.FORMATTED_ADDRESS, multiline=True)
    location = LocationSerializer(required=False)


class AddressInfoSerializer(StrictSerializer):
    tag = serializers.ChoiceField(choices=AddressTag.choices, required=False)
    address = AddressSerializer()


class ContactInfoSerializer(StrictSerializer):
    name = NameSerializer(required=False)
    emails = serializers.ListField(child=EmailInfoSerializer(), required=False, max_length=limits.MAX_ITEMS)
    phones = serializers.ListField(child=PhoneInfoSerializer(), required=False, max_length=limits.MAX_ITEMS)
    addresses = serializers.ListField(child=AddressInfoSerializer(), required=False, max_length=limits.MAX_ITEMS)
    company = _text(limits.COMPANY)
    jobTitle = _text(limits.JOB_TITLE)
    birthdate = StrictDateField(required=False)
    locale = _text(
        limits.LOCALE, validators=[RegexValidator(LOCALE_PATTERN, "Expected an IETF BCP 47 tag such as en-US.")]
    )
    picture = StrictURLField(required=False, allow_blank=True, max_length=limits.URL)
    labelKeys = serializers.ListField(
        child=StrictCharField(max_length=limits.LABEL_KEY), required=False, max_length=limits.MAX_LABELS_PER_REQUEST
    )
    extendedFields = serializers.DictField(child=ExtendedValueField(), required=False)

    def validate_extendedFields(self, value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > limits.MAX_EXTENDED_FIELDS_PER_REQUEST:
            raise serializers.ValidationError(
                f"Ensure this field has no more than {limits.MAX_EXTENDED_FIELDS_PER_REQUEST} keys."
            )
        for key in value:
            char = forbidden_character(key)
            if char is not None:
                raise serializers.ValidationError(forbidden_character_message(char))
        return value


class ContactIdentificationSerializer(serializers.Serializer):
    contactId = serializers.UUIDField(source="contact_id")
    identityType = serializers.ChoiceField(source="identity_type", choices=IdentityType.choices)
    newContact = serializers.BooleanField(source="new_contact")
