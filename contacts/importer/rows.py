"""Validate import rows exactly as the public API validates a body, a batch at a time.

Each row goes through the API's own `ContactInfoSerializer` (or, for a plain row, its
accept-only twin `fast_rows.fast_validate`, which hands every row it is unsure of to the
serializer) and the one converter `contact_payload_from_info`, then the service's rules for labels and extended fields (they
must exist; values of the field's type) against label and field tables read once per batch
instead of twice per row. Step 5 (nothing to reconcile) is decided here too: with no visitor
and the backend order, a row without an email, a phone or a name can never match or create a
contact, so it is rejected before any lock is taken.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from contacts.api.serializers import ContactInfoSerializer
from contacts.importer.fast_rows import fast_validate
from contacts.importer.parse import SourceRow
from contacts.models import ExtendedField, Label
from contacts.payload import ContactPayload, JsonValue, contact_payload_from_info
from contacts.reconcile.references import coerce_extended_value
from contacts.reconcile.service import NothingToReconcile

NOTHING_TO_RECONCILE = (
    f"{NothingToReconcile.code}: the row has no email, phone or name to find or create a contact by."
)


@dataclass(frozen=True)
class ValidRow:
    number: int
    payload: ContactPayload
    label_ids: Mapping[str, int]
    extended: Mapping[str, JsonValue]


@dataclass(frozen=True)
class BadRow:
    number: int
    reason: str


@dataclass(frozen=True)
class ShapedRow:
    """A row the serializer accepts, as its payload; labels and extended fields not yet checked."""

    number: int
    payload: ContactPayload


class RowValidator:
    """One serializer instance for a whole import: building a DRF serializer costs more than
    validating a row with it (its fields are deep-copied per instance). Plain rows take the
    accept-only fast path (`fast_rows.fast_validate`); every other row, and so every error
    message, is the serializer's."""

    def __init__(self) -> None:
        self._serializer = ContactInfoSerializer()

    def validate(self, rows: Sequence[SourceRow]) -> list[ValidRow | BadRow]:
        return check_references(self.shape(rows))

    def shape(self, rows: Sequence[SourceRow]) -> list[ShapedRow | BadRow]:
        """Each row as the API would take it; reads nothing from the database."""
        return [self._shape(row) for row in rows]

    def _shape(self, row: SourceRow) -> ShapedRow | BadRow:
        if row.error:
            return BadRow(row.number, row.error)
        fast = fast_validate(row.info)
        try:
            if fast is not None:
                payload = fast.payload
            else:
                payload = contact_payload_from_info(self._serializer.run_validation(row.info))
        except serializers.ValidationError as exc:
            return BadRow(row.number, describe_errors(exc.detail, row.columns))
        except DjangoValidationError as exc:
            return BadRow(row.number, "; ".join(exc.messages))
        if not payload.can_create():
            return BadRow(row.number, NOTHING_TO_RECONCILE)
        return ShapedRow(row.number, payload)


def check_references(shaped: Sequence[ShapedRow | BadRow]) -> list[ValidRow | BadRow]:
    """The service's label and extended-field rules, against tables read once for the batch."""
    payloads = [item.payload for item in shaped if isinstance(item, ShapedRow)]
    labels = _labels_of(payloads)
    field_types = _field_types_of(payloads)
    out: list[ValidRow | BadRow] = []
    for item in shaped:
        if isinstance(item, BadRow):
            out.append(item)
            continue
        payload = item.payload
        if not payload.label_keys and not payload.extended_fields:  # most rows: nothing to look up
            out.append(ValidRow(item.number, payload, _NONE, _NONE))
            continue
        errors = _reference_errors(payload, labels, field_types)
        if errors:
            out.append(BadRow(item.number, errors))
            continue
        out.append(ValidRow(
            number=item.number,
            payload=payload,
            label_ids={key: labels[key] for key in payload.label_keys},
            extended={k: coerce_extended_value(field_types[k], v) for k, v in dict(payload.extended_fields).items()},
        ))
    return out


_NONE: Mapping[str, Any] = MappingProxyType({})


def _labels_of(payloads: Iterable[ContactPayload]) -> dict[str, int]:
    keys = {key for p in payloads for key in p.label_keys}
    return dict(Label.objects.filter(key__in=keys).values_list("key", "id")) if keys else {}


def _field_types_of(payloads: Iterable[ContactPayload]) -> dict[str, str]:
    keys = {key for p in payloads for key, _ in p.extended_fields}
    return dict(ExtendedField.objects.filter(key__in=keys).values_list("key", "data_type")) if keys else {}


def _reference_errors(payload: ContactPayload, labels: Mapping[str, int], field_types: Mapping[str, str]) -> str:
    """The messages `resolve_labels` and `resolve_extended_fields` would raise, or ""."""
    errors = [f"labelKeys: Unknown label key {key!r}: staff create labels first."
              for key in payload.label_keys if key not in labels]
    for key, value in dict(payload.extended_fields).items():
        if key not in field_types:
            errors.append(f"extendedFields: {key}: unknown extended field; staff create extended fields first.")
            continue
        try:
            coerce_extended_value(field_types[key], value)
        except DjangoValidationError as exc:
            errors.extend(f"extendedFields: {key}: {message}" for message in exc.messages)
    return "; ".join(errors)


def describe_errors(detail: Any, columns: Mapping[str, str], path: str = "") -> str:
    """DRF's nested error detail as one line: `emails.0.email: Enter a valid email …`, with
    the CSV column named when the row came from one (`email2 (emails.1.email): …`)."""
    parts: list[str] = []
    _flatten(detail, path, parts, columns)
    return "; ".join(parts)


def _flatten(detail: Any, path: str, parts: list[str], columns: Mapping[str, str]) -> None:
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            child = f"{path}.{key}" if path else str(key)
            if key == "non_field_errors":
                child = path
            _flatten(value, child, parts, columns)
    elif isinstance(detail, list) and detail and not all(isinstance(d, str) for d in detail):
        for index, value in enumerate(detail):
            _flatten(value, f"{path}.{index}" if path else str(index), parts, columns)
    else:
        messages = detail if isinstance(detail, list) else [detail]
        label = _label(path, columns)
        parts.extend(f"{label}: {m}" if label else str(m) for m in messages)


def _label(path: str, columns: Mapping[str, str]) -> str:
    probe = path
    while probe:
        if probe in columns:
            column = columns[probe]
            return column if column == path else f"{column} ({path})"
        probe = probe.rpartition(".")[0]
    return path
