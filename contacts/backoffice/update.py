"""`contact_update`: Wix's updateContact (wix-contacts.md §6.3) for integrations and staff.

Unlike append-or-create, an update REPLACES what it is given:
- `name.first`, `name.last`, `company`, `jobTitle`, `birthdate`, `locale`, `picture`: each one
  given replaces the stored value (`""` clears it; `birthdate: ""` too); one not given is kept;
- `emails`, `phones`, `addresses`: a list given replaces the stored list (`[]` empties it).
  Items whose match key (address: normalised text) is already on the contact keep their id
  and take the given tag, text and primary flag; the others are added; the rest are removed.
  At most one item may say `primary: true`; when none does, the current primary stays primary
  if it is still given, else the first item becomes primary (as Wix's create does);
- `extendedFields`: each key given replaces that key's value (`""` removes it); keys not given
  are kept, so fields the caller does not know about (system ones, other apps') survive;
- labels are not changed here (the label endpoints do that).

Rules, checked before anything is written (an error writes nothing):
- the revision must be the current one (optimistic lock), else `RevisionConflict`; each
  update adds 1 to it, even when the values given equal the stored ones (Wix: "every update");
- uniqueness as everywhere (decisions.md §7): an email or phone whose match key belongs to
  another contact is refused (`DuplicateContactExists`), never moved;
- a member's login email stays on their contact and stays primary (decisions.md §3, §6.3);
- an email, phone or address given twice in one list is a field error;
- a merged (source) contact cannot be updated (`ContactMerged`): only get resolves merged ids.

Concurrency: the advisory locks a reconcile takes (every email/phone key the contact holds now
and every key given), then the contact's row, so an append-or-create for the same person
sees the contact wholly before or wholly after the update. Nothing is added to the submission
ledger: it records reconcile calls (who matched what, what was appended or skipped), and an
update matches nothing; the revision and `updatedDate` say that the contact changed.
"""

import datetime
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from contacts.locks import lock_contact, lock_match_keys
from contacts.models import Address, Contact, Email, ExtendedField, Phone
from contacts.normalize import normalize_email
from contacts.payload import AddressInput, ContactPayload, EmailInput, PhoneInput, contact_payload_from_info
from contacts.reconcile.references import coerce_extended_value
from members.models import Member

logger = logging.getLogger("crmsite.backoffice")

# API name → Contact field.
SCALARS: tuple[tuple[str, str], ...] = (
    ("company", "company"),
    ("jobTitle", "job_title"),
    ("birthdate", "birthdate"),
    ("locale", "locale"),
    ("picture", "picture"),
)
NAME_PARTS: tuple[tuple[str, str], ...] = (("first", "first_name"), ("last", "last_name"))
ADDRESS_FIELDS = ("tag", *AddressInput.TEXT_FIELDS, "formatted", "latitude", "longitude")


class RevisionConflict(Exception):
    def __init__(self, current_revision: int) -> None:
        super().__init__(f"The contact is at revision {current_revision}.")
        self.current_revision = current_revision


class ContactMerged(Exception):
    def __init__(self, target_id: uuid.UUID) -> None:
        super().__init__(f"The contact was merged into {target_id}.")
        self.target_id = target_id


class InvalidInfo(Exception):
    """Field errors in the request's shape: `{"emails": {"1": {"email": [...]}}}` (under `info`)."""

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__("invalid info")
        self.errors = errors


class DuplicateContactExists(Exception):
    """An email or phone given belongs to another contact (decisions.md §7)."""

    def __init__(self, *, field: str, kind: str, value: str, contact_id: uuid.UUID | None) -> None:
        super().__init__(f"{field}: this {kind} already belongs to another contact.")
        self.field = field  # e.g. "info.emails.1.email"
        self.kind = kind  # "email" or "phone"
        self.value = value
        self.contact_id = contact_id


@dataclass(frozen=True)
class UpdateResult:
    contact_id: uuid.UUID
    revision: int


def contact_update(
    *,
    contact_id: uuid.UUID,
    revision: int,
    info: Mapping[str, Any],
    acting_user: object,
    now: datetime.datetime,
) -> UpdateResult:
    """Replace the given parts of a contact's info (rules in the module docstring).

    `info` is a `ContactInfo` mapping validated by `ContactUpdateInfoSerializer` (camelCase,
    flat arrays, no `labelKeys`). Raises `Contact.DoesNotExist`, `ContactMerged`,
    `RevisionConflict`, `DuplicateContactExists` or `InvalidInfo` (field errors of `info`);
    nothing is written then.
    """
    payload = contact_payload_from_info(info)
    extended = _extended_values(info.get("extendedFields"))
    _refuse_repeats(info, payload.emails, payload.phones)
    try:
        with transaction.atomic():
            result = _update(contact_id, revision, info, payload, extended, now)
    except IntegrityError as exc:
        # A writer that takes no advisory locks (admin, shell) took a key between our check
        # and our insert: the same refusal as the check's, but without knowing which key.
        raise DuplicateContactExists(field="info", kind="email or phone", value="", contact_id=None) from exc
    logger.info("contact %s updated to revision %s by %s", result.contact_id, result.revision, acting_user)
    return result


def _update(
    contact_id: uuid.UUID,
    revision: int,
    info: Mapping[str, Any],
    payload: ContactPayload,
    extended: Mapping[str, Any],
    now: datetime.datetime,
) -> UpdateResult:
    current_keys = [("email", k) for k in Email.objects.filter(contact_id=contact_id).values_list("key", flat=True)]
    current_keys += [("phone", k) for k in Phone.objects.filter(contact_id=contact_id).values_list("key", flat=True)]
    given_keys = [("email", e.key) for e in payload.emails] + [("phone", p.key) for p in payload.phones]
    lock_match_keys(current_keys + given_keys)
    contact = lock_contact(contact_id)  # raises Contact.DoesNotExist
    if contact.merged_into_id is not None:
        raise ContactMerged(contact.merged_into_id)
    if contact.revision != revision:
        raise RevisionConflict(contact.revision)

    if "emails" in info:
        _check_owners(Email, contact.id, "emails", "email", [e.key for e in payload.emails],
                      [e.email for e in payload.emails])
        _check_login_email(contact, payload.emails)
    if "phones" in info:
        _check_owners(Phone, contact.id, "phones", "phone", [p.key for p in payload.phones],
                      [p.phone for p in payload.phones])

    fields = _set_scalars(contact, info, payload)
    if extended:
        values = dict(contact.extended_fields or {})
        for key, value in extended.items():
            if value is None:
                values.pop(key, None)
            else:
                values[key] = value
        contact.extended_fields = values
        fields.append("extended_fields")
    if "emails" in info:
        _replace_emails(contact, payload.emails, now)
    if "phones" in info:
        _replace_phones(contact, payload.phones, now)
    if "addresses" in info:
        _replace_addresses(contact, payload.addresses, now)
    contact.revision += 1
    contact.updated_at = now
    contact.save(update_fields=[*fields, "revision", "updated_at"])
    return UpdateResult(contact.id, contact.revision)


def _set_scalars(contact: Contact, info: Mapping[str, Any], payload: ContactPayload) -> list[str]:
    fields: list[str] = []
    name = info.get("name") or {}
    for api_name, field in NAME_PARTS:
        if api_name in name:
            setattr(contact, field, getattr(payload, field))
            fields.append(field)
    for api_name, field in SCALARS:
        if api_name in info:
            setattr(contact, field, getattr(payload, field))
            fields.append(field)
    return fields


def _extended_values(given: Mapping[str, Any] | None) -> dict[str, Any]:
    """Each given extended field coerced to its type (None: remove it); field errors otherwise."""
    if not given:
        return {}
    types = dict(ExtendedField.objects.filter(key__in=list(given)).values_list("key", "data_type"))
    errors: list[str] = []
    values: dict[str, Any] = {}
    for key, value in given.items():
        if key not in types:
            errors.append(f"{key}: unknown extended field; staff create extended fields first.")
        elif value == "":
            values[key] = None
        else:
            try:
                values[key] = coerce_extended_value(types[key], value)
            except ValidationError as exc:
                errors.extend(f"{key}: {message}" for message in exc.messages)
    if errors:
        raise InvalidInfo({"extendedFields": errors})
    return values


def _refuse_repeats(
    info: Mapping[str, Any], emails: Sequence[EmailInput], phones: Sequence[PhoneInput]
) -> None:
    """One list may not name the same email, phone or place twice, nor two primaries."""
    errors: dict[str, Any] = {}
    for name, keys, primaries in (
        ("emails", [e.key for e in emails], [e.primary for e in emails]),
        ("phones", [p.key for p in phones], [p.primary for p in phones]),
    ):
        item_errors = {str(i): {name[:-1]: ["Given twice in this list."]}
                       for i, key in enumerate(keys) if key in keys[:i]}
        if item_errors:
            errors[name] = item_errors
        elif sum(primaries) > 1:
            errors[name] = [f"At most one of the {name} can be primary."]
    seen: set[str] = set()
    address_errors: dict[str, Any] = {}
    for i, item in enumerate(info.get("addresses") or ()):
        for address in contact_payload_from_info({"addresses": [item]}).addresses:
            if address.key in seen:
                address_errors[str(i)] = {"address": ["The same address is given twice in this list."]}
            seen.add(address.key)
    if address_errors:
        errors["addresses"] = address_errors
    if errors:
        raise InvalidInfo(errors)


def _check_owners(
    model: type[Email] | type[Phone], contact_id: uuid.UUID, list_name: str, item_name: str,
    keys: list[str], values: list[str],
) -> None:
    owners = dict(model.objects.filter(key__in=keys).exclude(contact_id=contact_id).values_list("key", "contact_id"))
    for i, key in enumerate(keys):
        if key in owners:
            raise DuplicateContactExists(
                field=f"info.{list_name}.{i}.{item_name}", kind=item_name, value=values[i], contact_id=owners[key]
            )


def _login_key(contact: Contact) -> str | None:
    member = Member.objects.filter(contact=contact).select_related("user").first()
    if member is None or not member.user.email:
        return None
    try:
        return normalize_email(member.user.email).key
    except ValidationError:
        return member.user.email.lower()


def _check_login_email(contact: Contact, emails: Sequence[EmailInput]) -> None:
    """decisions.md §3: a member's login email is their contact's primary email; only a change
    of the login email (members app) changes it."""
    login_key = _login_key(contact)
    if login_key is None or not Email.objects.filter(contact=contact, key=login_key).exists():
        return
    given = next((e for e in emails if e.key == login_key), None)
    if given is None:
        raise InvalidInfo({"emails": [
            "The member's login email cannot be removed from their contact; change the login email instead."
        ]})
    if any(e.primary for e in emails if e.key != login_key):
        raise InvalidInfo({"emails": [
            "The member's login email must stay the primary email; change the login email instead."
        ]})


def _primary_index(items: Sequence[EmailInput] | Sequence[PhoneInput], current_primary: str | None,
                   forced: str | None = None) -> int | None:
    keys = [item.key for item in items]
    if not keys:
        return None
    for wanted in (forced, next((item.key for item in items if item.primary), None), current_primary):
        if wanted is not None and wanted in keys:
            return keys.index(wanted)
    return 0


def _replace_emails(contact: Contact, emails: Sequence[EmailInput], now: datetime.datetime) -> None:
    stored = {row.key: row for row in Email.objects.filter(contact=contact)}
    current_primary = next((key for key, row in stored.items() if row.primary), None)
    primary = _primary_index(emails, current_primary, forced=_login_key(contact))
    given = {e.key for e in emails}
    Email.objects.filter(contact=contact).exclude(key__in=given).delete()
    Email.objects.filter(contact=contact, primary=True).update(primary=False)  # one primary, set below
    kept, new = [], []
    for i, e in enumerate(emails):
        if e.key in stored:
            row = stored[e.key]
            row.email, row.tag, row.primary = e.email, e.tag, i == primary
            kept.append(row)
        else:
            new.append(Email(contact=contact, email=e.email, key=e.key, tag=e.tag, primary=i == primary,
                             created_at=now))
    Email.objects.bulk_update(kept, ["email", "tag", "primary"])
    Email.objects.bulk_create(new)


def _replace_phones(contact: Contact, phones: Sequence[PhoneInput], now: datetime.datetime) -> None:
    stored = {row.key: row for row in Phone.objects.filter(contact=contact)}
    current_primary = next((key for key, row in stored.items() if row.primary), None)
    primary = _primary_index(phones, current_primary)
    given = {p.key for p in phones}
    Phone.objects.filter(contact=contact).exclude(key__in=given).delete()
    Phone.objects.filter(contact=contact, primary=True).update(primary=False)
    kept, new = [], []
    for i, p in enumerate(phones):
        if p.key in stored:
            row = stored[p.key]
            row.phone, row.country_code, row.e164, row.tag, row.primary = (
                p.phone, p.country_code, p.e164, p.tag, i == primary)
            kept.append(row)
        else:
            new.append(Phone(contact=contact, phone=p.phone, country_code=p.country_code, e164=p.e164, key=p.key,
                             tag=p.tag, primary=i == primary, created_at=now))
    Phone.objects.bulk_update(kept, ["phone", "country_code", "e164", "tag", "primary"])
    Phone.objects.bulk_create(new)


def _replace_addresses(contact: Contact, addresses: Sequence[AddressInput], now: datetime.datetime) -> None:
    stored = {row.key: row for row in Address.objects.filter(contact=contact)}
    Address.objects.filter(contact=contact).exclude(key__in=[a.key for a in addresses]).delete()
    kept, new = [], []
    for a in addresses:
        values = {name: getattr(a, name) for name in ADDRESS_FIELDS}
        if a.key in stored:
            row = stored[a.key]
            for name, value in values.items():
                setattr(row, name, value)
            kept.append(row)
        else:
            new.append(Address(contact=contact, key=a.key, created_at=now, **values))
    Address.objects.bulk_update(kept, list(ADDRESS_FIELDS))
    Address.objects.bulk_create(new)
