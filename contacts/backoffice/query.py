"""Query contacts (wix-contacts.md §6.5): the filters of `GET /api/contacts/`, parsed from the
query string, and the selector that turns them into one index-backed queryset.

Every filter is an index lookup: emails and phones by their unique match keys (normalised
as the admin search does: `contacts/admin/search.py`), names and companies by prefix on the
`UPPER(col) text_pattern_ops` indexes of migration 0003, dates and the orders on the
`(created_at, id)` and `(updated_at, id)` indexes. Merged contacts are never listed.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from rest_framework import serializers

from contacts import limits
from contacts.api.fields import StrictCharField, StrictSerializer
from contacts.backoffice.keyset import Cursor, KeysetOrder, decode_cursor
from contacts.models import Contact, ContactLabel, Email, Label, Phone
from contacts.normalize import normalize_email, normalize_phone

ORDERINGS = {
    order.name: order
    for order in (
        KeysetOrder("-createdDate", "created_at", descending=True),
        KeysetOrder("createdDate", "created_at", descending=False),
        KeysetOrder("-updatedDate", "updated_at", descending=True),
        KeysetOrder("updatedDate", "updated_at", descending=False),
    )
}
DEFAULT_ORDERING = "-createdDate"
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000


@dataclass(frozen=True)
class ContactFilters:
    email_key: str | None = None
    phone_key: str | None = None
    label_ids_any: tuple[int, ...] | None = None
    label_ids_all: tuple[int, ...] | None = None
    name_prefix: str | None = None
    company_prefix: str | None = None
    created_from: datetime.datetime | None = None
    created_to: datetime.datetime | None = None
    updated_from: datetime.datetime | None = None
    updated_to: datetime.datetime | None = None
    member: bool | None = None


def contact_query(filters: ContactFilters) -> QuerySet[Contact]:
    """The live (not merged) contacts matching every given filter; unordered."""
    queryset = Contact.objects.filter(merged_into__isnull=True)
    if filters.email_key is not None:
        queryset = queryset.filter(pk__in=Email.objects.filter(key=filters.email_key).values("contact_id"))
    if filters.phone_key is not None:
        queryset = queryset.filter(pk__in=Phone.objects.filter(key=filters.phone_key).values("contact_id"))
    if filters.label_ids_any is not None:
        queryset = queryset.filter(
            Exists(ContactLabel.objects.filter(contact_id=OuterRef("pk"), label_id__in=filters.label_ids_any))
        )
    for label_id in filters.label_ids_all or ():
        queryset = queryset.filter(Exists(ContactLabel.objects.filter(contact_id=OuterRef("pk"), label_id=label_id)))
    if filters.name_prefix is not None:
        # `__istartswith` is UPPER(col::text) LIKE UPPER('prefix%'): the migration 0003 indexes.
        queryset = queryset.filter(
            Q(first_name__istartswith=filters.name_prefix) | Q(last_name__istartswith=filters.name_prefix)
        )
    if filters.company_prefix is not None:
        queryset = queryset.filter(company__istartswith=filters.company_prefix)
    if filters.created_from is not None:
        queryset = queryset.filter(created_at__gte=filters.created_from)
    if filters.created_to is not None:
        queryset = queryset.filter(created_at__lt=filters.created_to)
    if filters.updated_from is not None:
        queryset = queryset.filter(updated_at__gte=filters.updated_from)
    if filters.updated_to is not None:
        queryset = queryset.filter(updated_at__lt=filters.updated_to)
    if filters.member is not None:
        queryset = queryset.filter(member__isnull=not filters.member)
    return queryset


def phone_filter_key(term: str) -> str:
    """A phone's match key: international when it starts with `+`, else read in
    `CRM_DEFAULT_PHONE_REGION` (as the admin search reads it). ValidationError if it is none."""
    region = None if term.startswith("+") else (getattr(settings, "CRM_DEFAULT_PHONE_REGION", "") or None)
    return normalize_phone(term, region).key


def label_ids(keys: list[str]) -> tuple[int, ...]:
    """The ids of these label keys; ValidationError naming the unknown ones."""
    found = dict(Label.objects.filter(key__in=keys).values_list("key", "id"))
    unknown = [key for key in keys if key not in found]
    if unknown:
        raise serializers.ValidationError([f"Unknown label key {key!r}." for key in unknown])
    return tuple(found[key] for key in keys)


def _split_keys(value: str) -> list[str]:
    keys = list(dict.fromkeys(k.strip() for k in value.split(",") if k.strip()))
    if not keys:
        raise serializers.ValidationError("Give one or more label keys, separated by commas.")
    if len(keys) > limits.MAX_LABELS_PER_REQUEST:
        raise serializers.ValidationError(f"At most {limits.MAX_LABELS_PER_REQUEST} label keys.")
    if any(len(k) > limits.LABEL_KEY for k in keys):
        raise serializers.ValidationError(f"A label key has at most {limits.LABEL_KEY} characters.")
    return keys


class StrictQuerySerializer(StrictSerializer):
    """Query parameters; an unknown one is a 400 (a misspelt filter would list everything)."""

    unknown_key_message = "Unknown query parameter."


class PageQuerySerializer(StrictQuerySerializer):
    limit = serializers.IntegerField(
        required=False, default=DEFAULT_LIMIT, min_value=1, max_value=MAX_LIMIT,
        help_text=f"Page size, 1 to {MAX_LIMIT}; default {DEFAULT_LIMIT}.",
    )
    cursor = StrictCharField(
        required=False, max_length=500,
        help_text="The opaque cursor of a `next` or `previous` link; absent for the first page.",
    )

    def validate_cursor(self, value: str) -> Cursor:
        try:
            return decode_cursor(value)
        except ValueError:
            raise serializers.ValidationError("Invalid cursor: use a `next` or `previous` link as given.") from None

    def ordering_name(self, attrs: dict[str, Any]) -> str:
        return "-createdDate"

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        cursor = attrs.get("cursor")
        if cursor is not None and cursor.ordering != self.ordering_name(attrs):
            raise serializers.ValidationError({"cursor": ["This cursor belongs to another ordering."]})
        return attrs


def _datetime(help_text: str) -> serializers.DateTimeField:
    return serializers.DateTimeField(required=False, help_text=help_text)


class ContactQuerySerializer(PageQuerySerializer):
    email = StrictCharField(
        required=False, max_length=limits.EMAIL,
        help_text="Contacts with this email among their emails (compared by its normalised form).",
    )
    phone = StrictCharField(
        required=False, max_length=limits.PHONE,
        help_text="Contacts with this phone among their phones: international (`+…`) or a national number "
                  "of the site's default region; compared by its E.164 (or `+digits`) match key.",
    )
    labels = StrictCharField(
        required=False, help_text="Comma-separated label keys: contacts with ANY of them (Wix hasSome).",
    )
    labelsAll = StrictCharField(
        required=False, help_text="Comma-separated label keys: contacts with ALL of them (Wix hasAll).",
    )
    name = StrictCharField(
        required=False, max_length=limits.NAME_PART,
        help_text="Prefix of the first or the last name, in any letter case.",
    )
    company = StrictCharField(required=False, max_length=limits.COMPANY, help_text="Prefix of the company, any case.")
    createdFrom = _datetime("Created at or after this moment (ISO 8601).")
    createdTo = _datetime("Created before this moment (ISO 8601, exclusive).")
    updatedFrom = _datetime("Updated at or after this moment (ISO 8601).")
    updatedTo = _datetime("Updated before this moment (ISO 8601, exclusive).")
    member = serializers.ChoiceField(
        choices=["true", "false"], required=False, help_text="`true`: members' contacts only; `false`: no members.",
    )
    ordering = serializers.ChoiceField(
        choices=list(ORDERINGS), required=False, default=DEFAULT_ORDERING,
        help_text="`createdDate` or `updatedDate`, `-` for newest first; default `-createdDate`.",
    )

    def validate_email(self, value: str) -> str:
        try:
            return normalize_email(value).key
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc

    def validate_phone(self, value: str) -> str:
        try:
            return phone_filter_key(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc

    def validate_labels(self, value: str) -> tuple[int, ...]:
        return label_ids(_split_keys(value))

    def validate_labelsAll(self, value: str) -> tuple[int, ...]:
        return label_ids(_split_keys(value))

    def ordering_name(self, attrs: dict[str, Any]) -> str:
        return str(attrs.get("ordering", DEFAULT_ORDERING))

    def filters(self) -> ContactFilters:
        data = self.validated_data
        member = data.get("member")
        return ContactFilters(
            email_key=data.get("email"),
            phone_key=data.get("phone"),
            label_ids_any=data.get("labels"),
            label_ids_all=data.get("labelsAll"),
            name_prefix=data.get("name"),
            company_prefix=data.get("company"),
            created_from=data.get("createdFrom"),
            created_to=data.get("createdTo"),
            updated_from=data.get("updatedFrom"),
            updated_to=data.get("updatedTo"),
            member=None if member is None else member == "true",
        )
