"""Match keys for emails, phones and addresses (decisions.md §6, §8).

The API serializer, the site form, the admin and the service all normalise through these
functions, so an address is accepted or refused the same way wherever it is typed.
"""

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from email_validator import EmailNotValidError, validate_email
from email_validator.syntax import validate_email_domain_name

from contacts import limits

PHONE_CHARACTERS = re.compile(r"^[0-9 +\-.()]+$")
HAS_LETTER = re.compile(r"[A-Za-z]")
VANITY = re.compile(r"(?:.*?[A-Za-z]){3}")
# The common shape of an email: a dot-atom local part of letters, digits, _ + - (a subset of
# what email-validator's DOT_ATOM_TEXT accepts as it is) and one @. For these, the library's
# answer depends on the domain alone (see `_plain_email_key`).
PLAIN_EMAIL = re.compile(r"([A-Za-z0-9_+\-]+(?:\.[A-Za-z0-9_+\-]+)*)@([A-Za-z0-9.\-]+)\Z")
EMAIL_MAX_LENGTH = 254  # email-validator's limit on the whole address, in UTF-8 bytes


@dataclass(frozen=True)
class NormalizedEmail:
    email: str  # as given, trimmed
    key: str


@dataclass(frozen=True)
class NormalizedPhone:
    phone: str  # as given, trimmed
    country_code: str  # as given, trimmed ("" when none)
    e164: str  # "" when phonenumbers does not find it valid
    key: str


def normalize_email(raw: str) -> NormalizedEmail:
    """Validate an email and derive its match key: the normalised form, lower-cased."""
    email = raw.strip()
    if not email:
        raise ValidationError("Enter an email address.", code="blank")
    if len(email) > limits.EMAIL:
        raise ValidationError(f"Ensure this email has at most {limits.EMAIL} characters.", code="max_length")
    key = _plain_email_key(email)
    if key is not None:
        return NormalizedEmail(email=email, key=key)
    try:
        result = validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(f"Enter a valid email address. {exc}", code="invalid_email") from exc
    return NormalizedEmail(email=email, key=result.normalized.lower())


def _plain_email_key(email: str) -> str | None:
    """The key `validate_email` would give a plain address, without running all of it; None
    when the address is not plain or its domain is refused (the caller then asks the library,
    for its answer and its message). For a plain local part the library checks nothing but
    its characters and leaves it as it is, so its verdict and normal form come from the domain
    (validated by the library's own function, once per domain) and the length limit.
    `tests/contacts/test_normalize.py` compares the two on generated addresses."""
    match = PLAIN_EMAIL.match(email)
    if match is None:
        return None
    local, domain = match.groups()
    normal_domain = _plain_domain(domain)
    if normal_domain is None:
        return None
    normalized = f"{local}@{normal_domain}"
    if len(email) > EMAIL_MAX_LENGTH or len(normalized.encode()) > EMAIL_MAX_LENGTH:
        return None
    return normalized.lower()


@lru_cache(maxsize=4096)
def _plain_domain(domain: str) -> str | None:
    """An ASCII domain as email-validator normalises it (the same options as `validate_email`
    with its defaults), or None when it refuses it."""
    try:
        info = validate_email_domain_name(domain, test_environment=False, globally_deliverable=True)
    except EmailNotValidError:
        return None
    if info["ascii_domain"] != info["domain"]:
        return None
    return info["domain"]


def normalize_phone(raw: str, country_code: str | None = None) -> NormalizedPhone:
    """Validate a phone; its key is the E.164 form, or for a plausible but unknown number
    `+<calling code><digits>`. Letters (other than a vanity number), too few or too many digits
    and unknown country codes are refused."""
    phone = raw.strip()
    country = (country_code or "").strip()
    if not phone:
        raise ValidationError("Enter a phone number.", code="blank")
    if len(phone) > limits.PHONE:
        raise ValidationError(f"Ensure this phone has at most {limits.PHONE} characters.", code="max_length")
    region = country.upper() or None
    if region is not None and region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(f"Unknown country code {country!r}: use an ISO 3166 alpha-2 code such as US.",
                              code="invalid_country")
    if region is None and not phone.startswith("+"):
        raise ValidationError(
            "Give the phone's country code, or write the number in international form (+…).", code="no_country"
        )

    parsed = _parse(_vanity_digits(phone), region)
    if parsed is not None and _is_valid_number(parsed):
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        return NormalizedPhone(phone=phone, country_code=country, e164=e164, key=e164)

    if HAS_LETTER.search(phone) or not PHONE_CHARACTERS.match(phone):
        raise ValidationError("Enter a valid phone number: digits, spaces and + - . ( ) only.", code="invalid_phone")
    digits = re.sub(r"\D", "", phone)
    if not limits.PHONE_MIN_DIGITS <= len(digits) <= limits.PHONE_MAX_DIGITS:
        raise ValidationError(
            f"Enter a valid phone number: {limits.PHONE_MIN_DIGITS} to {limits.PHONE_MAX_DIGITS} digits.",
            code="invalid_phone",
        )
    if phone.startswith("+"):
        key = f"+{digits}"
    else:
        assert region is not None  # refused above when there is neither a region nor a +
        key = f"+{phonenumbers.country_code_for_region(region)}{digits}"
    return NormalizedPhone(phone=phone, country_code=country, e164="", key=key)


def _vanity_digits(phone: str) -> str:
    """A vanity number (at least three letters, as phonenumbers defines it: 1-800-FLOWERS) with
    its letters as digits; "" for any other text with letters, so that phonenumbers does not
    pick a number out of it ("call me 650…", "… ext. 12"), which §6 refuses."""
    if not HAS_LETTER.search(phone):
        return phone
    text = phonenumbers.convert_alpha_characters_in_number(phone) if VANITY.match(phone) else ""
    return text if PHONE_CHARACTERS.match(text) else ""


def _is_valid_number(number: phonenumbers.PhoneNumber) -> bool:
    """`phonenumbers.is_valid_number`, with its common case first. The library finds the
    number's region by trying each region of its calling code in order; when the first one
    (the US for +1) has no leading-digits rule and the number is valid there, that is the
    region it finds, so the answer is True without trying the others."""
    main_region = _main_region_without_leading_digits(number.country_code)
    if main_region is not None and phonenumbers.is_valid_number_for_region(number, main_region):
        return True
    return phonenumbers.is_valid_number(number)


@lru_cache(maxsize=512)
def _main_region_without_leading_digits(calling_code: int) -> str | None:
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(calling_code, ())
    if not regions:
        return None
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(regions[0])
    if metadata is None or metadata.leading_digits is not None:
        return None
    return regions[0]


def _parse(phone: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    if not phone:
        return None
    try:
        return phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return None


def text_key(value: str) -> str:
    """Case- and whitespace-insensitive form of a free-text value."""
    return " ".join(value.split()).casefold()


def address_key(fields: tuple[str, ...]) -> str:
    """Digest of an address's normalised text fields; two addresses that differ only in case
    or spacing are the same address."""
    joined = "\x1f".join([text_key(f) if f else "" for f in fields])
    return hashlib.sha256(joined.encode()).hexdigest()


def lock_key(kind: str, key: str) -> int:
    """A signed 64-bit advisory-lock key for one match key (engineering-notes: not hashtext)."""
    digest = hashlib.sha256(f"{kind}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
