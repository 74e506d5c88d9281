"""Match keys for emails, phones and addresses (decisions.md §6, §8).

The API serializer, the site form, the admin and the service all normalise through these
functions, so an address is accepted or refused the same way wherever it is typed.
"""

import hashlib
import re
from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import ValidationError
from email_validator import EmailNotValidError, validate_email

from contacts import limits

PHONE_CHARACTERS = re.compile(r"^[0-9 +\-.()]+$")
HAS_LETTER = re.compile(r"[A-Za-z]")
VANITY = re.compile(r"(?:.*?[A-Za-z]){3}")


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
    try:
        result = validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(f"Enter a valid email address. {exc}", code="invalid_email") from exc
    return NormalizedEmail(email=email, key=result.normalized.lower())


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
    if parsed is not None and phonenumbers.is_valid_number(parsed):
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
    joined = "\x1f".join(text_key(f) for f in fields)
    return hashlib.sha256(joined.encode()).hexdigest()


def lock_key(kind: str, key: str) -> int:
    """A signed 64-bit advisory-lock key for one match key (engineering-notes: not hashtext)."""
    digest = hashlib.sha256(f"{kind}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
