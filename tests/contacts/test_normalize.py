"""Match keys for emails and phones (decisions.md §6): what is accepted, what is refused, and
which spellings of one address or number are recognised as the same one."""

from collections.abc import Callable

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from contacts.normalize import _is_valid_number, _plain_email_key, address_key, normalize_email, normalize_phone


def refused_code(func: Callable[..., object], *args: str | None) -> str | None:
    """The ValidationError code `func(*args)` raises; fails the test when it accepts the value."""
    with pytest.raises(ValidationError) as info:
        func(*args)
    return info.value.code


# --- emails ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    [
        "ari.thereyet@example.com",
        "Ari.Thereyet@Example.COM",
        "ARI.THEREYET@EXAMPLE.COM",
        "  ari.thereyet@example.com\t",
    ],
)
def test_email_key_ignores_letter_case_and_surrounding_whitespace(given: str) -> None:
    assert normalize_email(given).key == "ari.thereyet@example.com"


def test_email_is_stored_as_given_but_trimmed() -> None:
    normalized = normalize_email("  Ari.Thereyet@Example.COM \n")
    assert normalized.email == "Ari.Thereyet@Example.COM"
    assert normalized.key == "ari.thereyet@example.com"


def test_different_addresses_have_different_keys() -> None:
    assert normalize_email("ari@example.com").key != normalize_email("ari.thereyet@example.com").key


@pytest.mark.parametrize(
    "given",
    [
        "Ari Thereyet <ari@example.com>",  # display name
        "<ari@example.com>",
        "ari thereyet@example.com",  # space inside
        "ari@exam ple.com",
        "ari",  # no @
        "ari@",
        "@example.com",
        "ari@@example.com",
    ],
)
def test_email_with_display_name_spaces_or_bad_shape_is_refused(given: str) -> None:
    assert refused_code(normalize_email, given) == "invalid_email"


@pytest.mark.parametrize("given", ["", "   "])
def test_blank_email_is_refused(given: str) -> None:
    assert refused_code(normalize_email, given) == "blank"


def test_overlong_email_is_refused() -> None:
    assert refused_code(normalize_email, "a" * 250 + "@example.com") == "max_length"


# --- phones ------------------------------------------------------------------------------


def test_seed_example_phone_is_accepted_without_e164() -> None:
    normalized = normalize_phone("601-081-124", "US")
    assert normalized.phone == "601-081-124"
    assert normalized.country_code == "US"
    assert normalized.e164 == ""  # not a valid US number: flagged for staff
    assert normalized.key == "+1601081124"


@pytest.mark.parametrize(
    ("phone", "country"),
    [
        ("+16502530000", None),
        ("+16502530000", "US"),
        ("+1 650 253 0000", None),
        ("650-253-0000", "US"),
        ("(650) 253 0000", "US"),
        ("650.253.0000", "us"),  # country code is case-insensitive
        ("  6502530000 ", " US "),
    ],
)
def test_spellings_of_one_us_number_share_its_e164_key(phone: str, country: str | None) -> None:
    normalized = normalize_phone(phone, country)
    assert normalized.key == "+16502530000"
    assert normalized.e164 == "+16502530000"


def test_phone_and_country_are_stored_as_given_but_trimmed() -> None:
    normalized = normalize_phone(" (650) 253 0000 ", " US ")
    assert normalized.phone == "(650) 253 0000"
    assert normalized.country_code == "US"


@pytest.mark.parametrize(
    ("phone", "country", "key"),
    [
        ("+442079460958", None, "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("+4915112345678", None, "+4915112345678"),
        ("+79991234567", None, "+79991234567"),
    ],
)
def test_valid_international_numbers_are_keyed_by_e164(phone: str, country: str | None, key: str) -> None:
    normalized = normalize_phone(phone, country)
    assert normalized.key == key
    assert normalized.e164 == key


def test_same_digits_in_another_country_are_another_number() -> None:
    assert normalize_phone("020 7946 0958", "GB").key != normalize_phone("020 7946 0958", "DE").key


def test_a_country_code_does_not_override_an_international_number() -> None:
    assert normalize_phone("+442079460958", "US").key == "+442079460958"


def test_plausible_international_number_without_e164_is_keyed_by_its_digits() -> None:
    normalized = normalize_phone("+999 123 4567", None)
    assert normalized.e164 == ""
    assert normalized.key == "+9991234567"


@pytest.mark.parametrize(
    ("phone", "key"),
    [("1-800-FLOWERS", "+18003569377"), ("1-800-flowers", "+18003569377"), ("650-CALL-NOW", "+16502255669")],
)
def test_vanity_numbers_are_accepted_with_their_digits_as_key(phone: str, key: str) -> None:
    normalized = normalize_phone(phone, "US")
    assert normalized.phone == phone
    assert normalized.key == key


@pytest.mark.parametrize(
    "phone",
    [
        "FLOWERS",
        "abc",
        "6502530000abc",
        "650 253 000x",
        "call me 6502530000",  # text around a valid number is not a vanity number
        "hello 650-253-0000",
        "650-253-0000 ext. 12",
        "1-800-FLOWERS-NOW",
    ],
)
def test_letters_that_are_not_a_vanity_number_are_refused(phone: str) -> None:
    assert refused_code(normalize_phone, phone, "US") == "invalid_phone"


@pytest.mark.parametrize("phone", ["123456", "12-34", "+1 23456"])
def test_too_few_digits_are_refused(phone: str) -> None:
    assert refused_code(normalize_phone, phone, "US") == "invalid_phone"


@pytest.mark.parametrize("phone", ["6502530000123456", "+1 650 253 0000 1234 56"])
def test_too_many_digits_are_refused(phone: str) -> None:
    assert refused_code(normalize_phone, phone, "US") == "invalid_phone"


@pytest.mark.parametrize("phone", ["1234567", "123456789012345"])
def test_seven_and_fifteen_digits_are_the_plausible_bounds(phone: str) -> None:
    assert normalize_phone(phone, "US").key == "+1" + phone


@pytest.mark.parametrize("country", ["XX", "USA", "1", "ZZ"])
def test_unknown_country_code_is_refused(country: str) -> None:
    assert refused_code(normalize_phone, "650-253-0000", country) == "invalid_country"


@pytest.mark.parametrize("country", [None, "", "  "])
def test_phone_without_country_or_plus_is_refused(country: str | None) -> None:
    assert refused_code(normalize_phone, "650-253-0000", country) == "no_country"


@pytest.mark.parametrize("phone", ["", "   "])
def test_blank_phone_is_refused(phone: str) -> None:
    assert refused_code(normalize_phone, phone, "US") == "blank"


def test_overlong_phone_is_refused() -> None:
    assert refused_code(normalize_phone, "1" * 51, "US") == "max_length"


# --- addresses ---------------------------------------------------------------------------


def test_address_key_ignores_case_and_spacing_but_not_content() -> None:
    base = address_key(("1 Main St", "", "", "", "Springfield", "", "US", "12345"))
    assert address_key(("1  main st ", "", "", "", "SPRINGFIELD", "", "us", "12345")) == base
    assert address_key(("2 Main St", "", "", "", "Springfield", "", "US", "12345")) != base


# --- the shortcuts agree with the libraries ---------------------------------------------------
# normalize_email answers plain addresses without running all of email-validator, and
# normalize_phone checks the main region of a calling code first; both must give exactly the
# libraries' answers.

LOCAL = st.one_of(
    st.text(alphabet="aZ09._+-!#'", min_size=0, max_size=10),
    st.sampled_from(["postmaster", "POSTMASTER", "a..b", ".a", "a.", "a" * 64, "a" * 65, "é", "a b"]),
)
LABEL = st.one_of(
    st.text(alphabet="aZ09-", min_size=0, max_size=8),
    st.sampled_from(["xn--bcher-kva", "xn--zz", "ab--c", "a" * 63, "a" * 64, "com", "123", "localhost", "test",
                     "local", "invalid", "onion", "arpa", "example", "ä"]),
)
DOMAIN = st.lists(LABEL, min_size=1, max_size=4).map(".".join)


def _library_key(email: str) -> str | None:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


@settings(max_examples=2000, deadline=None)
@given(local=LOCAL, domain=DOMAIN, case=st.booleans())
def test_plain_email_shortcut_gives_email_validators_answer(local: str, domain: str, case: bool) -> None:
    email = f"{local}@{domain}"
    email = email.upper() if case else email
    shortcut = _plain_email_key(email)
    if shortcut is not None:
        assert shortcut == _library_key(email)
    try:
        assert normalize_email(email).key == _library_key(email)
    except ValidationError:
        assert _library_key(email) is None


def test_everyday_addresses_take_the_email_shortcut() -> None:
    for email in ("ann@example.com", "Ann.Lee+news@Mail.Example.CO.UK", "a_b-c@sub-domain.example.org"):
        assert _plain_email_key(email) == _library_key(email) == email.lower()
    for email in ("ann@localhost", "ann@example.test", "ann@-example.com", "ann@xn--zz.com", "a..b@example.com"):
        assert _plain_email_key(email) is None


DIGITS = st.text(alphabet="0123456789", min_size=4, max_size=15)
REGIONS = st.sampled_from(["US", "CA", "JM", "GB", "JE", "DE", "RU", "KZ", "FR", "IN", None])


@settings(max_examples=2000, deadline=None)
@given(digits=DIGITS, region=REGIONS, plus=st.booleans())
def test_phone_validity_shortcut_gives_phonenumbers_answer(digits: str, region: str | None, plus: bool) -> None:
    try:
        number = phonenumbers.parse(("+" if plus or region is None else "") + digits, region)
    except phonenumbers.NumberParseException:
        return
    assert _is_valid_number(number) == phonenumbers.is_valid_number(number)


@pytest.mark.parametrize("phone", ["+16502530001", "+18762345678", "+14165550123", "+447911123456",
                                   "+441534123456", "+77012345678", "+74951234567"])
def test_phone_validity_shortcut_on_shared_calling_codes(phone: str) -> None:
    number = phonenumbers.parse(phone)
    assert _is_valid_number(number) == phonenumbers.is_valid_number(number)
