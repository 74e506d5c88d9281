"""A fast, accept-only twin of `ContactInfoSerializer` for the plain rows an import is made of.

`fast_validate(info)` returns what `ContactInfoSerializer().run_validation(info)` would return,
together with the payload `contact_payload_from_info` builds from that (each email and phone
normalised once, in the same walk), for
rows it is sure the serializer accepts; for anything else (a wrong type, an unknown key, a
tag, a primary flag, a picture, a value too long, a control character, an email or phone that
does not normalise, …) it returns None, and the caller runs the serializer itself, so every
error message is the serializer's own. It checks with the same limits (`contacts/limits.py`),
the same patterns and the same normalisers; `tests/importer/test_fast_rows.py` compares the two
on generated rows.
"""

import datetime
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError

from contacts import limits
from contacts.api.serializers import LOCALE_PATTERN
from contacts.enums import AddressTag, EmailTag, PhoneTag
from contacts.normalize import NormalizedEmail, NormalizedPhone, normalize_email, normalize_phone
from contacts.payload import AddressInput, ContactPayload, EmailInput, PhoneInput

# Characters a single-line field refuses (contacts/text.py), and surrogates (DRF's CharField).
_SINGLE_LINE_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# The same for multi-line text (an extended field's value), which may hold \t, \n and \r.
_MULTI_LINE_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_LOCALE = re.compile(LOCALE_PATTERN)

NAME_LIMITS = {"first": limits.NAME_PART, "last": limits.NAME_PART}
ADDRESS_LIMITS = {
    "addressLine1": limits.ADDRESS_LINE, "addressLine2": limits.ADDRESS_LINE, "city": limits.CITY,
    "subdivision": limits.SUBDIVISION, "country": limits.COUNTRY_CODE, "postalCode": limits.POSTAL_CODE,
}
KNOWN_KEYS = frozenset({"name", "emails", "phones", "addresses", "company", "jobTitle", "birthdate", "locale",
                        "labelKeys", "extendedFields"})


class _NotSure(Exception):
    """The fast path leaves this row to the serializer."""


@dataclass(frozen=True)
class FastRow:
    info: dict[str, Any]  # what the serializer's run_validation returns
    payload: ContactPayload  # what contact_payload_from_info(info) returns, raw included


def fast_validate(info: Any) -> FastRow | None:
    """The validated row and its payload, or None: ask the serializer."""
    if type(info) is not dict or not KNOWN_KEYS.issuperset(info):
        return None
    try:
        return _validate(info)
    except _NotSure:
        return None


def _validate(info: dict[str, Any]) -> FastRow:
    """One walk that validates and builds the payload as `contact_payload_from_info` would:
    every text trimmed, items untagged and not primary, an address only with text in it."""
    out: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    if "name" in info:
        name = out["name"] = _texts(info["name"], NAME_LIMITS)
        fields["first_name"] = name.get("first", "")
        fields["last_name"] = name.get("last", "")
    if "emails" in info:
        emails = tuple(_email(item) for item in _list(info["emails"], limits.MAX_ITEMS))
        out["emails"] = [{"email": e.email} for e in emails]
        fields["emails"] = tuple(EmailInput(email=e.email, key=e.key, tag=EmailTag.UNTAGGED) for e in emails)
    if "phones" in info:
        phones = tuple(_phone(item) for item in _list(info["phones"], limits.MAX_ITEMS))
        out["phones"] = [_phone_info(p) for p in phones]
        fields["phones"] = tuple(PhoneInput(phone=p.phone, country_code=p.country_code, e164=p.e164, key=p.key,
                                            tag=PhoneTag.UNTAGGED) for p in phones)
    if "addresses" in info:
        addresses = [_address(item) for item in _list(info["addresses"], limits.MAX_ITEMS)]
        out["addresses"] = [{"address": a} for a in addresses]
        fields["addresses"] = tuple(_address_input(a) for a in addresses)
    if "company" in info:
        fields["company"] = out["company"] = _text(info["company"], limits.COMPANY)
    if "jobTitle" in info:
        fields["job_title"] = out["jobTitle"] = _text(info["jobTitle"], limits.JOB_TITLE)
    raw = dict(out)
    if "birthdate" in info:
        fields["birthdate"] = out["birthdate"] = _date(info["birthdate"])
        raw["birthdate"] = out["birthdate"].isoformat()
    if "locale" in info:
        fields["locale"] = raw["locale"] = out["locale"] = _locale(info["locale"])
    if "labelKeys" in info:
        keys = [_text(key, limits.LABEL_KEY) for key in _list(info["labelKeys"], limits.MAX_LABELS_PER_REQUEST)]
        raw["labelKeys"] = out["labelKeys"] = keys
        fields["label_keys"] = tuple(dict.fromkeys(keys))
    if "extendedFields" in info:
        extended = raw["extendedFields"] = out["extendedFields"] = _extended(info["extendedFields"])
        fields["extended_fields"] = tuple(extended.items())
    return FastRow(out, ContactPayload(**fields, raw=raw))


def _text(value: Any, max_length: int) -> str:
    """A single-line string as DRF's CharField leaves it (trimmed), when it surely passes."""
    if type(value) is not str or _SINGLE_LINE_UNSAFE.search(value):
        raise _NotSure
    text = value.strip()
    if not text or len(text) > max_length:
        raise _NotSure
    return text


def _texts(value: Any, allowed: Mapping[str, int]) -> dict[str, str]:
    if type(value) is not dict or not value or not allowed.keys() >= value.keys():
        raise _NotSure
    return {key: _text(text, allowed[key]) for key, text in value.items()}


def _list(value: Any, max_items: int) -> list[Any]:
    if type(value) is not list or not value or len(value) > max_items:
        raise _NotSure
    return value


def _email(item: Any) -> NormalizedEmail:
    if type(item) is not dict or item.keys() != {"email"}:
        raise _NotSure
    normalized = _normalized_email(_text(item["email"], limits.EMAIL))
    if normalized is None:
        raise _NotSure
    return normalized


def _phone(item: Any) -> NormalizedPhone:
    if type(item) is not dict or not {"phone"} <= item.keys() <= {"phone", "countryCode"}:
        raise _NotSure
    phone = _text(item["phone"], limits.PHONE)
    country = _text(item["countryCode"], limits.COUNTRY_CODE) if "countryCode" in item else None
    normalized = _normalized_phone(phone, country)
    if normalized is None:
        raise _NotSure
    return normalized


# The normalisers are pure functions of their text; a file names the same person on nearby
# rows (in several spellings), so a small cache saves re-validating. None: it did not normalise.
@lru_cache(maxsize=4096)
def _normalized_email(email: str) -> NormalizedEmail | None:
    try:
        return normalize_email(email)
    except ValidationError:
        return None


@lru_cache(maxsize=4096)
def _normalized_phone(phone: str, country: str | None) -> NormalizedPhone | None:
    try:
        return normalize_phone(phone, country)
    except ValidationError:
        return None


def _phone_info(phone: NormalizedPhone) -> dict[str, str]:
    if phone.country_code:
        return {"countryCode": phone.country_code, "phone": phone.phone}
    return {"phone": phone.phone}


def _address(item: Any) -> dict[str, str]:
    if type(item) is not dict or item.keys() != {"address"}:
        raise _NotSure
    return _texts(item["address"], ADDRESS_LIMITS)


def _address_input(address: Mapping[str, str]) -> AddressInput:
    get = address.get
    return AddressInput(
        tag=AddressTag.UNTAGGED, address_line1=get("addressLine1", ""), address_line2=get("addressLine2", ""),
        city=get("city", ""), subdivision=get("subdivision", ""), country=get("country", ""),
        postal_code=get("postalCode", ""),
    )


def _date(value: Any) -> datetime.date:
    """As StrictDateField: the raw string read with `%Y-%m-%d`."""
    if type(value) is not str:
        raise _NotSure
    try:
        return datetime.datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise _NotSure from None


def _locale(value: Any) -> str:
    text = _text(value, limits.LOCALE)
    if not _LOCALE.search(text):
        raise _NotSure
    return text


def _extended(value: Any) -> dict[str, str | int | float]:
    if type(value) is not dict or len(value) > limits.MAX_EXTENDED_FIELDS_PER_REQUEST:
        raise _NotSure
    out: dict[str, str | int | float] = {}
    for key, item in value.items():
        if type(key) is not str or _SINGLE_LINE_UNSAFE.search(key):
            raise _NotSure
        if type(item) is str:
            if _MULTI_LINE_UNSAFE.search(item):
                raise _NotSure
        elif type(item) not in (int, float) or not _finite(item):
            raise _NotSure
        out[key] = item
    return out


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:
        return False
