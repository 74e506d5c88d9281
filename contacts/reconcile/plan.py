"""The pure heart of a reconcile: given what a contact holds and what was submitted, decide
what to write and what to skip, and why (decisions.md §7-§10). No ORM here, so every append
rule is tested without a database.
"""

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from contacts import limits
from contacts.payload import AddressInput, ContactPayload, EmailInput, JsonValue, PhoneInput

Item = TypeVar("Item", EmailInput, PhoneInput, AddressInput)
Primaried = TypeVar("Primaried", EmailInput, PhoneInput)

# API name → Contact field, in the order they are reported.
SCALAR_FIELDS: tuple[tuple[str, str], ...] = (
    ("name.first", "first_name"),
    ("name.last", "last_name"),
    ("company", "company"),
    ("jobTitle", "job_title"),
    ("birthdate", "birthdate"),
    ("locale", "locale"),
    ("picture", "picture"),
)

# Why something submitted was not written; stored on the submission for staff.
ALREADY_ON_CONTACT = "already_on_contact"
FIELD_NOT_EMPTY = "field_not_empty"
BELONGS_TO_OTHER_CONTACT = "belongs_to_other_contact"
CONTACT_LIMIT = "contact_limit_reached"
DUPLICATE_IN_REQUEST = "duplicate_in_request"
PRIMARY_KEPT = "existing_primary_kept"
NOT_AUTHENTICATED_MEMBER = "not_authenticated_member"


@dataclass(frozen=True)
class Change:
    field: str
    value: JsonValue
    reason: str = ""

    def as_json(self) -> dict[str, JsonValue]:
        entry: dict[str, JsonValue] = {"field": self.field, "value": self.value}
        if self.reason:
            entry["reason"] = self.reason
        return entry


@dataclass(frozen=True)
class ContactSnapshot:
    """What a locked contact holds now, reduced to what the append rules compare."""

    scalars: Mapping[str, object] = field(default_factory=dict)
    extended: Mapping[str, JsonValue] = field(default_factory=dict)
    email_keys: frozenset[str] = frozenset()
    phone_keys: frozenset[str] = frozenset()
    address_keys: frozenset[str] = frozenset()
    label_keys: frozenset[str] = frozenset()
    has_primary_email: bool = False
    has_primary_phone: bool = False


@dataclass(frozen=True)
class AppendPlan:
    scalars: Mapping[str, object]
    extended: Mapping[str, JsonValue]
    emails: tuple[tuple[EmailInput, bool], ...]  # (email, becomes primary)
    phones: tuple[tuple[PhoneInput, bool], ...]
    addresses: tuple[AddressInput, ...]
    label_keys: tuple[str, ...]
    written: tuple[Change, ...]
    skipped: tuple[Change, ...]

    @property
    def changes_contact(self) -> bool:
        return bool(self.written)


def plan_append(
    snapshot: ContactSnapshot,
    payload: ContactPayload,
    *,
    extended_values: Mapping[str, JsonValue],
    owners: Mapping[str, object],
    contact_id: object,
) -> AppendPlan:
    """Fill empty scalars, append new array items, overwrite nothing.

    `owners` maps every submitted email/phone match key that already exists to the contact
    that owns it; a key owned by another contact is skipped, never moved or copied.
    """
    written: list[Change] = []
    skipped: list[Change] = []

    scalars: dict[str, object] = {}
    for api_name, model_field in SCALAR_FIELDS:
        value = getattr(payload, model_field)
        if value in ("", None):
            continue
        _fill_empty(api_name, model_field, value, snapshot.scalars.get(model_field), scalars, written, skipped)

    extended: dict[str, JsonValue] = {}
    for key, value in extended_values.items():
        _fill_empty(f"extendedFields.{key}", key, value, snapshot.extended.get(key), extended, written, skipped)

    email_items = _append_items(
        "emails", payload.emails, snapshot.email_keys, owners, contact_id, written, skipped,
        display=lambda e: e.email,
    )
    emails = _with_primary("emails", email_items, snapshot.has_primary_email, skipped, display=lambda e: e.email)
    phone_items = _append_items(
        "phones", payload.phones, snapshot.phone_keys, owners, contact_id, written, skipped,
        display=lambda p: p.phone,
    )
    phones = _with_primary("phones", phone_items, snapshot.has_primary_phone, skipped, display=lambda p: p.phone)
    addresses = _append_items(
        "addresses", payload.addresses, snapshot.address_keys, {}, contact_id, written, skipped,
        display=address_display,
    )

    label_keys: list[str] = []
    for key in payload.label_keys:
        if key in snapshot.label_keys:
            skipped.append(Change("labelKeys", key, ALREADY_ON_CONTACT))
        else:
            label_keys.append(key)
            written.append(Change("labelKeys", key))

    return AppendPlan(
        scalars=scalars,
        extended=extended,
        emails=emails,
        phones=phones,
        addresses=tuple(addresses),
        label_keys=tuple(label_keys),
        written=tuple(written),
        skipped=tuple(skipped),
    )


def plan_nothing(payload: ContactPayload, reason: str) -> AppendPlan:
    """Every submitted value skipped for one reason (the NOT_AUTHENTICATED_MEMBER case)."""
    skipped = [Change(api, _json(getattr(payload, model))) for api, model in SCALAR_FIELDS if getattr(payload, model)]
    skipped += [Change(f"extendedFields.{k}", v) for k, v in payload.extended_fields]
    skipped += [Change("emails", e.email) for e in payload.emails]
    skipped += [Change("phones", p.phone) for p in payload.phones]
    skipped += [Change("addresses", address_display(a)) for a in payload.addresses]
    skipped += [Change("labelKeys", k) for k in payload.label_keys]
    return AppendPlan(
        scalars={}, extended={}, emails=(), phones=(), addresses=(), label_keys=(), written=(),
        skipped=tuple(Change(c.field, c.value, reason) for c in skipped),
    )


def address_display(address: AddressInput) -> str:
    street = " ".join(p for p in (address.street_number, address.street_name) if p)
    parts = (address.address_line1 or street, address.address_line2, address.city, address.subdivision,
             address.postal_code, address.country)
    return address.formatted or ", ".join(p for p in parts if p)


def _fill_empty(
    api_name: str,
    name: str,
    value: object,
    current: object,
    out: dict,
    written: list[Change],
    skipped: list[Change],
) -> None:
    if current in ("", None):
        out[name] = value
        written.append(Change(api_name, _json(value)))
    elif current == value:
        skipped.append(Change(api_name, _json(value), ALREADY_ON_CONTACT))
    else:
        skipped.append(Change(api_name, _json(value), FIELD_NOT_EMPTY))


def _append_items(
    field_name: str,
    items: Sequence[Item],
    existing_keys: frozenset[str],
    owners: Mapping[str, object],
    contact_id: object,
    written: list[Change],
    skipped: list[Change],
    *,
    display: Callable[[Item], str],
) -> list[Item]:
    appended: list[Item] = []
    seen: set[str] = set()
    count = len(existing_keys)
    for item in items:
        key = item.key
        if key in seen:
            skipped.append(Change(field_name, display(item), DUPLICATE_IN_REQUEST))
        elif key in existing_keys:
            skipped.append(Change(field_name, display(item), ALREADY_ON_CONTACT))
        elif owners.get(key, contact_id) != contact_id:
            skipped.append(Change(field_name, display(item), BELONGS_TO_OTHER_CONTACT))
        elif count >= limits.MAX_ITEMS:
            skipped.append(Change(field_name, display(item), CONTACT_LIMIT))
        else:
            appended.append(item)
            written.append(Change(field_name, display(item)))
            count += 1
        seen.add(key)
    return appended


def _with_primary(
    field_name: str,
    items: list[Primaried],
    has_primary: bool,
    skipped: list[Change],
    *,
    display: Callable[[Primaried], str],
) -> tuple[tuple[Primaried, bool], ...]:
    """§9: a contact without a primary gets one (the first flagged primary, else the first
    appended); an existing primary is never replaced."""
    if not items:
        return ()
    if has_primary:
        skipped.extend(Change(f"{field_name}.primary", display(i), PRIMARY_KEPT) for i in items if i.primary)
        return tuple((item, False) for item in items)
    chosen = next((item for item in items if item.primary), items[0])
    return tuple((item, item is chosen) for item in items)


def _json(value: object) -> JsonValue:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value  # type: ignore[return-value]
