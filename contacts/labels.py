"""Labels and extended fields as staff manage them (wix-contacts.md §7, §8).

A key is generated once, at creation, from the display name (`custom.<slug>`), and never
changes: renaming changes only the display name. Deleting a label or an extended field also
removes it from every contact, set-based and in one transaction.
"""

import datetime
import string
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F
from django.db.models.sql.compiler import SQLCompiler
from django.utils.crypto import get_random_string
from django.utils.text import slugify

from contacts import limits
from contacts.enums import DataType, FieldType, LabelType
from contacts.models import Contact, ContactLabel, ExtendedField, Label

NAMESPACE = "custom"
RANDOM_SUFFIX_LENGTH = 12
# A concurrent create can take the key we picked between our read and our insert: pick again.
MAX_CREATE_ATTEMPTS = 5
_Keyed = TypeVar("_Keyed", Label, ExtendedField)
MAX_SUFFIX = len("-9999999")


def label_key_for(display_name: str) -> str:
    """A free label key for `display_name`: `custom.vip`, then `custom.vip-2`, `custom.vip-3`…"""
    return _free_key(display_name, max_length=limits.LABEL_KEY, taken=_taken_keys(Label))


def extended_field_key_for(display_name: str) -> str:
    """A free extended-field key for `display_name`, generated as `label_key_for` does."""
    return _free_key(display_name, max_length=limits.FIELD_KEY, taken=_taken_keys(ExtendedField))


def label_create(*, display_name: str, label_type: LabelType = LabelType.USER_DEFINED) -> Label:
    """Create a label under a freshly generated key."""
    return label_insert(Label(display_name=display_name, label_type=label_type))


def label_insert(label: Label) -> Label:
    """Save a new, unsaved `label` under a key generated from its display name."""
    return _insert_with_key(label, label_key_for)


def extended_field_create(
    *, display_name: str, data_type: DataType = DataType.TEXT, field_type: FieldType = FieldType.USER_DEFINED
) -> ExtendedField:
    """Create an extended field under a freshly generated key; its data type never changes after."""
    return extended_field_insert(ExtendedField(display_name=display_name, data_type=data_type,
                                               field_type=field_type))


def extended_field_insert(field: ExtendedField) -> ExtendedField:
    """Save a new, unsaved extended `field` under a key generated from its display name."""
    return _insert_with_key(field, extended_field_key_for)


def label_contact_count(label: Label) -> int:
    """How many contacts carry `label`."""
    return ContactLabel.objects.filter(label=label).count()


def extended_field_contact_count(field: ExtendedField) -> int:
    """How many contacts hold a value for `field`."""
    return Contact.objects.filter(extended_fields__has_key=field.key).count()


@transaction.atomic
def label_delete(*, label: Label, now: datetime.datetime) -> int:
    """Delete `label` and take it off every contact carrying it; returns how many contacts that was.

    Those contacts changed, so their revision and `updated_at` move on."""
    carriers = Contact.objects.filter(pk__in=ContactLabel.objects.filter(label=label).values("contact_id"))
    count = carriers.update(revision=F("revision") + 1, updated_at=now)
    label.delete()  # ContactLabel rows cascade
    return count


@transaction.atomic
def extended_field_delete(*, field: ExtendedField, now: datetime.datetime) -> int:
    """Delete `field` and its value on every contact (Wix `deleteExtendedField`); returns how many
    contacts held a value. One UPDATE removes the key from all of them."""
    count = Contact.objects.filter(extended_fields__has_key=field.key).update(
        extended_fields=JsonRemoveKey("extended_fields", key=field.key),
        revision=F("revision") + 1,
        updated_at=now,
    )
    field.delete()
    return count


class JsonRemoveKey(models.Func):
    """`json_column` without the top-level `key`: jsonb `- key` on PostgreSQL, `json_remove` on
    SQLite (the `make run` database)."""

    output_field = models.JSONField()

    def __init__(self, expression: Any, *, key: str) -> None:
        super().__init__(expression)
        self.key = key

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, list[Any]]:
        column, params = compiler.compile(self.source_expressions[0])
        return f"({column} - %s::text)", [*params, self.key]

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, tuple[str | int, ...]]:
        column, params = compiler.compile(self.source_expressions[0])
        escaped = self.key.replace("\\", "\\\\").replace('"', '\\"')
        return f"json_remove({column}, %s)", (*params, f'$."{escaped}"')


def _taken_keys(model: type[Label] | type[ExtendedField]) -> Callable[[str], set[str]]:
    def taken(prefix: str) -> set[str]:
        return set(model.objects.filter(key__startswith=prefix).values_list("key", flat=True))

    return taken


def _free_key(display_name: str, *, max_length: int, taken: Callable[[str], set[str]]) -> str:
    namespace = f"{NAMESPACE}."
    slug = slugify(display_name)
    if not slug:  # nothing Latin to slugify (e.g. "顧客"): a random key, as Wix generates
        return _random_key(namespace, taken)
    room = max_length - len(namespace)
    # One read covers every candidate: a suffix of up to MAX_SUFFIX characters only shortens the stem.
    existing = taken(namespace + _truncate(slug, room - MAX_SUFFIX))
    key = namespace + _truncate(slug, room)
    n = 2
    while key in existing:
        suffix = f"-{n}"
        key = namespace + _truncate(slug, room - len(suffix)) + suffix
        n += 1
    return key


def _random_key(namespace: str, taken: Callable[[str], set[str]]) -> str:
    while True:
        key = namespace + get_random_string(RANDOM_SUFFIX_LENGTH, allowed_chars=string.ascii_lowercase)
        if key not in taken(key):
            return key


def _truncate(slug: str, length: int) -> str:
    return slug[:length].rstrip("-_") or slug[:length]


def _insert_with_key(obj: _Keyed, key_for: Callable[[str], str]) -> _Keyed:
    for attempt in range(1, MAX_CREATE_ATTEMPTS + 1):
        obj.key = key_for(obj.display_name)
        try:
            with transaction.atomic():
                obj.save(force_insert=True)
            return obj
        except IntegrityError:
            if attempt == MAX_CREATE_ATTEMPTS:
                raise
    raise AssertionError("unreachable")
