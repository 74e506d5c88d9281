"""The frozen input of a reconcile call, and the one converter every caller uses.

Callers (the JSON API, the site form, member signup) validate the *shape* of what they got,
turn it into a Wix `ContactInfo` mapping with flat arrays and camelCase names, and pass it to
`contact_payload_from_info`. Identical mappings give identical payloads, so the form and the
API cannot drift apart.
"""

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from contacts.enums import AddressTag, EmailTag, PhoneTag
from contacts.normalize import NormalizedEmail, NormalizedPhone, address_key, normalize_email, normalize_phone

JsonValue = str | int | float | bool | None


@dataclass(frozen=True)
class EmailInput:
    email: str
    key: str
    tag: str = EmailTag.UNTAGGED
    primary: bool = False


@dataclass(frozen=True)
class PhoneInput:
    phone: str
    country_code: str
    e164: str
    key: str
    tag: str = PhoneTag.UNTAGGED
    primary: bool = False


@dataclass(frozen=True)
class AddressInput:
    tag: str = AddressTag.UNTAGGED
    address_line1: str = ""
    address_line2: str = ""
    street_number: str = ""
    street_name: str = ""
    city: str = ""
    subdivision: str = ""
    country: str = ""
    postal_code: str = ""
    formatted: str = ""
    latitude: float | None = None
    longitude: float | None = None

    TEXT_FIELDS = (
        "address_line1", "address_line2", "street_number", "street_name",
        "city", "subdivision", "country", "postal_code",
    )

    @cached_property
    def key(self) -> str:
        """Same place, same key: compared on the address text, not the tag or display form."""
        return address_key(tuple(getattr(self, name) for name in self.TEXT_FIELDS))

    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in (*self.TEXT_FIELDS, "formatted"))


@dataclass(frozen=True)
class ContactPayload:
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    job_title: str = ""
    birthdate: datetime.date | None = None
    locale: str = ""
    picture: str = ""
    emails: tuple[EmailInput, ...] = ()
    phones: tuple[PhoneInput, ...] = ()
    addresses: tuple[AddressInput, ...] = ()
    label_keys: tuple[str, ...] = ()
    extended_fields: tuple[tuple[str, JsonValue], ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def has_name(self) -> bool:
        return bool(self.first_name or self.last_name)

    def can_create(self) -> bool:
        """Step 4's condition: an email, a phone or a name was given."""
        return bool(self.emails or self.phones or self.has_name)

    def is_empty(self) -> bool:
        return not any(
            (self.first_name, self.last_name, self.company, self.job_title, self.birthdate, self.locale,
             self.picture, self.emails, self.phones, self.addresses, self.label_keys, self.extended_fields)
        )


def contact_payload_from_info(
    info: Mapping[str, Any],
    *,
    normalized_emails: Sequence[NormalizedEmail] | None = None,
    normalized_phones: Sequence[NormalizedPhone] | None = None,
) -> ContactPayload:
    """Build the payload from a shape-validated `ContactInfo` mapping (camelCase, flat arrays).

    Raises `django.core.exceptions.ValidationError` for an email or phone that does not
    normalise (the serializer and form have normally refused it already). A caller that has
    already normalised every email (phone) of `info`, in order, may pass the results as
    `normalized_emails` (`normalized_phones`) so they are not normalised twice.
    """
    name = info.get("name") or {}
    email_items = info.get("emails") or ()
    phone_items = info.get("phones") or ()
    if normalized_emails is None:
        normalized_emails = [normalize_email(item["email"]) for item in email_items]
    if normalized_phones is None:
        normalized_phones = [normalize_phone(item["phone"], item.get("countryCode")) for item in phone_items]
    return ContactPayload(
        first_name=_text(name.get("first")),
        last_name=_text(name.get("last")),
        company=_text(info.get("company")),
        job_title=_text(info.get("jobTitle")),
        birthdate=info.get("birthdate"),
        locale=_text(info.get("locale")),
        picture=_text(info.get("picture")),
        emails=tuple(_email(item, n) for item, n in zip(email_items, normalized_emails, strict=True)),
        phones=tuple(_phone(item, n) for item, n in zip(phone_items, normalized_phones, strict=True)),
        addresses=tuple(a for a in (_address(item) for item in info.get("addresses") or ()) if not a.is_empty()),
        label_keys=tuple(dict.fromkeys(_text(k) for k in info.get("labelKeys") or () if _text(k))),
        extended_fields=tuple((str(k), v) for k, v in (info.get("extendedFields") or {}).items()),
        raw=_jsonable(info),
    )


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _email(item: Mapping[str, Any], normalized: NormalizedEmail) -> EmailInput:
    return EmailInput(
        email=normalized.email,
        key=normalized.key,
        tag=item.get("tag") or EmailTag.UNTAGGED,
        primary=bool(item.get("primary")),
    )


def _phone(item: Mapping[str, Any], normalized: NormalizedPhone) -> PhoneInput:
    return PhoneInput(
        phone=normalized.phone,
        country_code=normalized.country_code,
        e164=normalized.e164,
        key=normalized.key,
        tag=item.get("tag") or PhoneTag.UNTAGGED,
        primary=bool(item.get("primary")),
    )


def _address(item: Mapping[str, Any]) -> AddressInput:
    address = item.get("address") or {}
    street = address.get("streetAddress") or {}
    location = address.get("location") or {}
    return AddressInput(
        tag=item.get("tag") or AddressTag.UNTAGGED,
        address_line1=_text(address.get("addressLine1")),
        address_line2=_text(address.get("addressLine2")),
        street_number=_text(street.get("number")),
        street_name=_text(street.get("name")),
        city=_text(address.get("city")),
        subdivision=_text(address.get("subdivision")),
        country=_text(address.get("country")),
        postal_code=_text(address.get("postalCode")),
        formatted=_text(address.get("formatted")),
        latitude=location.get("latitude"),
        longitude=location.get("longitude"),
    )


_JSON_SCALARS = (str, int, float, bool, type(None))


def _jsonable(value: Any) -> Any:
    """The submission as JSON for the ledger (dates as ISO strings)."""
    if type(value) in _JSON_SCALARS:  # the common case first; the same answer as below
        return value
    if isinstance(value, Mapping):
        return {str(k): v if type(v) in _JSON_SCALARS else _jsonable(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [v if type(v) in _JSON_SCALARS else _jsonable(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value
