"""Request and response bodies of the back-office write endpoints (labeling, merging, labels,
extended fields, server-side append-or-create). Requests are strict as the public endpoint's
are: a wrong JSON type is a 400, an unknown field is refused, never dropped."""

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contacts import limits
from contacts.api.fields import StrictBooleanField, StrictCharField, StrictSerializer
from contacts.api.serializers import ContactInfoSerializer
from contacts.backoffice.representation import contact_representation
from contacts.enums import DataType, FieldType, LabelType
from contacts.merge import MAX_SOURCES
from contacts.models import Contact, ExtendedField, Label


class StrictUUIDField(serializers.UUIDField):
    """A UUID written as a JSON string (DRF's own also takes an integer)."""

    default_error_messages = {"invalid": "Expected a UUID string."}

    def to_internal_value(self, data: Any) -> uuid.UUID:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer: not `"3"`, `3.0` or `true`."""

    default_error_messages = {"invalid": "Expected an integer."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


def label_keys_field() -> serializers.ListField:
    return serializers.ListField(
        child=StrictCharField(max_length=limits.LABEL_KEY), allow_empty=False,
        max_length=limits.MAX_LABELS_PER_REQUEST,
        help_text="Keys of existing labels (`custom.<slug>`); an unknown key is a 400 naming it.",
    )


class LabelKeysInputSerializer(StrictSerializer):
    labelKeys = label_keys_field()


class MergeInputSerializer(StrictSerializer):
    sourceContactIds = serializers.ListField(
        child=StrictUUIDField(), allow_empty=False, max_length=MAX_SOURCES,
        help_text=f"1 to {MAX_SOURCES} contacts merged into the target; the first takes precedence when "
                  "filling the target's empty fields, then the second, and so on.",
    )
    targetContactRevision = StrictIntegerField(
        required=False, min_value=1, max_value=2**31 - 1,
        help_text="The target's revision as last read; when given and no longer current, the answer is 409.",
    )
    preview = StrictBooleanField(
        required=False, default=False, help_text="true: answer what the merge would do, and write nothing.",
    )


class LabelCreateInputSerializer(StrictSerializer):
    displayName = StrictCharField(max_length=limits.LABEL_DISPLAY_NAME)


class LabelRenameInputSerializer(StrictSerializer):
    displayName = StrictCharField(max_length=limits.LABEL_DISPLAY_NAME)


class ExtendedFieldCreateInputSerializer(StrictSerializer):
    displayName = StrictCharField(max_length=limits.FIELD_DISPLAY_NAME)
    dataType = serializers.ChoiceField(
        choices=DataType.choices, required=False, default=DataType.TEXT,
        help_text="For a new field only (default TEXT); ignored when a field of that name exists.",
    )


class ExtendedFieldRenameInputSerializer(StrictSerializer):
    displayName = StrictCharField(max_length=limits.FIELD_DISPLAY_NAME)


class ServerContactInfoSerializer(ContactInfoSerializer):
    """The public endpoint's `ContactInfo`, plus the visitor a site backend knows."""

    visitorId = StrictUUIDField(
        required=False,
        help_text="The id of a visitor identity (the `crm_visitor` cookie's visitor) the site backend knows; "
                  "an unknown id is a 400.",
    )


# Page sizes of the lists (wix-contacts.md §7, §8, §9).
LABEL_PAGE_DEFAULT, LABEL_PAGE_MAX = 1000, 2000
FIELD_PAGE_DEFAULT, FIELD_PAGE_MAX = 100, 1000


class LabelListQuerySerializer(serializers.Serializer):
    """`?displayName=<prefix>&limit=&offset=`; the prefix is case-sensitive, as in Wix's list."""

    displayName = StrictCharField(required=False, max_length=limits.LABEL_DISPLAY_NAME, trim_whitespace=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=LABEL_PAGE_MAX,
                                     default=LABEL_PAGE_DEFAULT)
    offset = serializers.IntegerField(required=False, min_value=0, max_value=2**31 - 1, default=0)


class ExtendedFieldListQuerySerializer(LabelListQuerySerializer):
    displayName = StrictCharField(required=False, max_length=limits.FIELD_DISPLAY_NAME, trim_whitespace=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=FIELD_PAGE_MAX,
                                     default=FIELD_PAGE_DEFAULT)


def namespace_of(key: str) -> str:
    return key.split(".", 1)[0]


class LabelSerializer(serializers.Serializer):
    namespace = serializers.SerializerMethodField()
    key = serializers.CharField()
    displayName = serializers.CharField(source="display_name")
    labelType = serializers.ChoiceField(source="label_type", choices=LabelType.choices)
    createdDate = serializers.DateTimeField(source="created_at")
    updatedDate = serializers.DateTimeField(source="updated_at")

    def get_namespace(self, label: Label) -> str:
        return namespace_of(label.key)


class ExtendedFieldSerializer(serializers.Serializer):
    namespace = serializers.SerializerMethodField()
    key = serializers.CharField()
    displayName = serializers.CharField(source="display_name")
    dataType = serializers.ChoiceField(source="data_type", choices=DataType.choices)
    fieldType = serializers.ChoiceField(source="field_type", choices=FieldType.choices)
    createdDate = serializers.DateTimeField(source="created_at")
    updatedDate = serializers.DateTimeField(source="updated_at")

    def get_namespace(self, field: ExtendedField) -> str:
        return namespace_of(field.key)


class PagingMetadataSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Items on this page.")
    offset = serializers.IntegerField()
    total = serializers.IntegerField(help_text="Items matching the filter.")


class LabelPageSerializer(serializers.Serializer):
    labels = LabelSerializer(many=True)
    pagingMetadata = PagingMetadataSerializer()


class ExtendedFieldPageSerializer(serializers.Serializer):
    extendedFields = ExtendedFieldSerializer(many=True)
    pagingMetadata = PagingMetadataSerializer()


# `label` is also an attribute of DRF's Field in the stubs; the serializer metaclass takes the
# declared field out of the class, so the name is free at runtime.
class LabelFoundSerializer(serializers.Serializer):
    label = LabelSerializer()  # type: ignore[assignment]
    newLabel = serializers.BooleanField()


class LabelEnvelopeSerializer(serializers.Serializer):
    label = LabelSerializer()  # type: ignore[assignment]


class ExtendedFieldFoundSerializer(serializers.Serializer):
    field = ExtendedFieldSerializer()
    newField = serializers.BooleanField()


class ExtendedFieldEnvelopeSerializer(serializers.Serializer):
    field = ExtendedFieldSerializer()


class DeletedSerializer(serializers.Serializer):
    key = serializers.CharField()
    contactsAffected = serializers.IntegerField(help_text="Contacts the label or field value was removed from.")


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


_STR = {"type": "string"}
_ADDRESS = {
    "type": "object",
    "properties": {
        "addressLine1": _STR, "addressLine2": _STR,
        "streetAddress": {"type": "object", "properties": {"number": _STR, "name": _STR}},
        "city": _STR, "subdivision": _STR, "country": _STR, "postalCode": _STR, "formatted": _STR,
        "location": {"type": "object", "properties": {"latitude": _nullable({"type": "number"}),
                                                      "longitude": _nullable({"type": "number"})}},
    },
}
CONTACT_OBJECT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "The Contact object (wix-contacts.md §5): REST wrapper form, camelCase, empty extended fields "
                   "omitted.",
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "revision": {"type": "integer", "description": "Moves on by 1 with every change."},
        "source": {"type": "object", "properties": {"sourceType": _STR}},
        "createdDate": {"type": "string", "format": "date-time"},
        "updatedDate": {"type": "string", "format": "date-time"},
        "lastActivity": {"type": "object", "properties": {
            "activityDate": _nullable({"type": "string", "format": "date-time"}),
            "activityType": _nullable(_STR)}},
        "primaryInfo": {"type": "object", "properties": {"email": _nullable(_STR), "phone": _nullable(_STR)}},
        "info": {"type": "object", "properties": {
            "name": {"type": "object", "properties": {"first": _STR, "last": _STR}},
            "emails": {"type": "object", "properties": {"items": {"type": "array", "items": {
                "type": "object", "properties": {"id": {"type": "integer"}, "tag": _STR, "email": _STR,
                                                 "primary": {"type": "boolean"}}}}}},
            "phones": {"type": "object", "properties": {"items": {"type": "array", "items": {
                "type": "object", "properties": {"id": {"type": "integer"}, "tag": _STR, "countryCode": _STR,
                                                 "phone": _STR, "e164Phone": _nullable(_STR),
                                                 "primary": {"type": "boolean"}}}}}},
            "addresses": {"type": "object", "properties": {"items": {"type": "array", "items": {
                "type": "object", "properties": {"id": {"type": "integer"}, "tag": _STR, "address": _ADDRESS}}}}},
            "company": _STR,
            "jobTitle": _STR,
            "birthdate": _nullable({"type": "string", "format": "date"}),
            "locale": _STR,
            "picture": _STR,
            "labelKeys": {"type": "object", "properties": {"items": {"type": "array", "items": _STR}}},
            "extendedFields": {"type": "object", "properties": {"items": {
                "type": "object", "additionalProperties": {"oneOf": [_STR, {"type": "number"}]}}}},
        }},
        "memberInfo": _nullable({"type": "object", "properties": {
            "memberId": {"type": "integer"}, "signupDate": _nullable({"type": "string", "format": "date-time"}),
            "email": _STR, "status": _STR}}),
    },
    "required": ["id", "revision", "info"],
}


@extend_schema_field(CONTACT_OBJECT_SCHEMA)
class ContactObjectField(serializers.Field):
    """A contact rendered by `contact_representation` (read-only)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: Contact) -> dict[str, Any]:
        return contact_representation(value)


class ContactEnvelopeSerializer(serializers.Serializer):
    contact = ContactObjectField(source="*")


class MergedContactSerializer(serializers.Serializer):
    contact = ContactObjectField()
    mergedContactIds = serializers.ListField(child=serializers.UUIDField())


class MergePreviewBodySerializer(serializers.Serializer):
    targetContactId = serializers.UUIDField()
    sourceContactIds = serializers.ListField(child=serializers.UUIDField())
    filled = serializers.DictField(child=serializers.CharField(),
                                   help_text="Empty target fields the merge fills, by API name (`name.first`), "
                                             "with the value taken.")
    extendedFilled = serializers.DictField(child=serializers.JSONField(),
                                           help_text="Empty extended fields the merge fills.")
    emails = serializers.ListField(child=serializers.CharField(), help_text="Emails moved to the target.")
    phones = serializers.ListField(child=serializers.CharField(), help_text="Phones moved to the target.")
    addresses = serializers.IntegerField(help_text="Addresses moved to the target.")
    labels = serializers.IntegerField(help_text="Labels the target gains.")
    visitors = serializers.IntegerField(help_text="Visitor identities moved to the target.")
    submissions = serializers.IntegerField(help_text="Submissions moved to the target.")


class MergePreviewSerializer(serializers.Serializer):
    preview = MergePreviewBodySerializer()
