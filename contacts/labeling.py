"""Labeling contacts and finding-or-creating labels and extended fields by name, as the
back-office API does them (wix-contacts.md §6.7, §7, §8).

`contact_label` / `contact_unlabel` take existing label keys only (an unknown key is a field
error, nothing written), lock the contact's row, and move its revision on only when its labels
actually changed. Find-or-create matches an exact display name and generates the key the
admin would (`contacts.labels`); concurrent calls for one name serialise on an advisory lock,
so they find one label rather than create two.
"""

import datetime
import uuid
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction

from contacts.enums import DataType, FieldType, LabelType
from contacts.labels import extended_field_create, label_create
from contacts.locks import lock_contact, lock_match_keys
from contacts.models import Contact, ContactLabel, ExtendedField, Label


class ContactMerged(Exception):
    """The contact was merged into another; writes must name the target (Wix rejects a merged
    source id everywhere but get)."""

    def __init__(self, contact_id: uuid.UUID, target_id: uuid.UUID) -> None:
        super().__init__(f"Contact {contact_id} was merged into {target_id}.")
        self.contact_id = contact_id
        self.target_id = target_id


def contact_label(*, contact_id: uuid.UUID, label_keys: Sequence[str], now: datetime.datetime) -> Contact:
    """Add the labels to the contact (those it already carries are skipped)."""
    return _relabel(contact_id, label_keys, now, add=True)


def contact_unlabel(*, contact_id: uuid.UUID, label_keys: Sequence[str], now: datetime.datetime) -> Contact:
    """Take the labels off the contact (those it does not carry are skipped)."""
    return _relabel(contact_id, label_keys, now, add=False)


@transaction.atomic
def _relabel(contact_id: uuid.UUID, label_keys: Sequence[str], now: datetime.datetime, *, add: bool) -> Contact:
    labels = _existing_labels(label_keys)
    contact = lock_contact(contact_id)  # raises Contact.DoesNotExist
    if contact.merged_into_id is not None:
        raise ContactMerged(contact.id, contact.merged_into_id)
    carried = set(ContactLabel.objects.filter(contact=contact).values_list("label_id", flat=True))
    if add:
        new = [label_id for label_id in labels.values() if label_id not in carried]
        ContactLabel.objects.bulk_create(
            [ContactLabel(contact=contact, label_id=label_id, created_at=now) for label_id in new],
            ignore_conflicts=True,  # a writer that does not lock the row (admin inline) may have added one
        )
        changed = bool(new)
    else:
        gone = [label_id for label_id in labels.values() if label_id in carried]
        ContactLabel.objects.filter(contact=contact, label_id__in=gone).delete()
        changed = bool(gone)
    if changed:
        contact.revision += 1
        contact.updated_at = now
        contact.save(update_fields=["revision", "updated_at"])
    return contact


def _existing_labels(label_keys: Sequence[str]) -> dict[str, int]:
    keys = list(dict.fromkeys(label_keys))
    found = dict(Label.objects.filter(key__in=keys).values_list("key", "id"))
    unknown = [key for key in keys if key not in found]
    if unknown:
        raise ValidationError({"labelKeys": [f"Unknown label key: {key}." for key in unknown]}, code="unknown_label")
    return {key: found[key] for key in keys}


def label_find_or_create(*, display_name: str) -> tuple[Label, bool]:
    """The label named exactly `display_name` (the oldest, should staff have made two), or a new
    USER_DEFINED one under a generated key; returns it and whether it was created."""
    with transaction.atomic():
        lock_match_keys([("label-name", display_name)])
        label = Label.objects.filter(display_name=display_name).order_by("id").first()
        if label is not None:
            return label, False
        return label_create(display_name=display_name, label_type=LabelType.USER_DEFINED), True


def extended_field_find_or_create(*, display_name: str, data_type: DataType) -> tuple[ExtendedField, bool]:
    """The extended field named exactly `display_name`, whatever its data type (Wix ignores
    `dataType` for an existing field), or a new USER_DEFINED one; returns it and whether it was
    created."""
    with transaction.atomic():
        lock_match_keys([("field-name", display_name)])
        field = ExtendedField.objects.filter(display_name=display_name).order_by("id").first()
        if field is not None:
            return field, False
        return extended_field_create(display_name=display_name, data_type=data_type,
                                     field_type=FieldType.USER_DEFINED), True


def label_rename(*, label: Label, display_name: str) -> Label:
    """A new display name; the key never changes (wix-contacts.md §7)."""
    label.display_name = display_name
    label.save(update_fields=["display_name", "updated_at"])
    return label


class SystemFieldReadOnly(Exception):
    """System extended fields are managed by the site: not renamed or deleted (wix-contacts.md §8)."""


def extended_field_rename(*, field: ExtendedField, display_name: str) -> ExtendedField:
    """A new display name for a USER_DEFINED field; the key and data type never change."""
    if field.field_type == FieldType.SYSTEM:
        raise SystemFieldReadOnly(f"{field.key} is a system field: it cannot be renamed.")
    field.display_name = display_name
    field.save(update_fields=["display_name", "updated_at"])
    return field
