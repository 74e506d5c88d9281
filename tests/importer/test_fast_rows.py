"""The importer's fast row path agrees with the API's serializer: every row it accepts, the
serializer accepts with the same validated data, and the payload built from it (with the
emails and phones normalised once) is the payload the serializer's data gives. Rows it is not
sure about are left to the serializer, so bad rows keep the serializer's messages."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from contacts import limits
from contacts.api.serializers import ContactInfoSerializer
from contacts.enums import DataType
from contacts.importer.fast_rows import fast_validate
from contacts.importer.parse import CSV_COLUMNS, csv_row_info
from contacts.payload import contact_payload_from_info

SERIALIZER = ContactInfoSerializer()

TRICKY = st.sampled_from(["", " ", "\t", "\x00", "\x1f", "\x7f", "\x85", "\ud800", "é", "İ", "\n", "\u2028", "-"])
TEXT = st.one_of(
    st.sampled_from(["Ann", " Ann ", "Lee", "Acme", "a" * limits.NAME_PART, "a" * (limits.NAME_PART + 1),
                     "b" * limits.COMPANY, "b" * (limits.COMPANY + 1)]),
    st.builds(lambda a, b, c: a + b + c, st.sampled_from(["", "x", " y"]), TRICKY, st.sampled_from(["", "z "])),
    st.text(max_size=12),
)
EMAILS = st.one_of(
    st.sampled_from(["ann@example.com", " Ann.Lee@Example.COM ", "not an email", "a@b", "x@localhost",
                     "ann@example.test", "ü@example.com", "ann@exämple.com", "a" * 65 + "@example.com",
                     "ann@" + "b" * 250 + ".com", "ann@example.com\x00", "\tann@example.com"]),
    st.builds(lambda local, domain: f"{local}@{domain}", st.text(max_size=8),
              st.sampled_from(["example.com", "example.org", "sub.example.net", "x", ""])),
)
PHONES = st.one_of(
    st.sampled_from(["+16502530001", "(650) 253-0001", "650.253.0001", "12", "+4915112345678",
                     "020 7946 0958", "601-081-124", "1-800-FLOWERS", "call me 650 253 0001", "+1 650 253 0001 ext. 2",
                     "+" + "9" * 20, "6" * 51]),
    st.text(alphabet="0123456789 +-.()a", max_size=18),
)
COUNTRIES = st.sampled_from(["", "US", "us", " US ", "GB", "DE", "XX", "USA", "\x00U"])
DATES = st.sampled_from(["1990-01-02", "1990-1-2", " 1990-01-02", "1990-02-30", "02/01/1990", "19900102", "x"])
LOCALES = st.sampled_from(["en", "en-US", "EN-us", "e", "en_US", "de-DE-1996", "x" * 36, " fr "])
LABELS = st.sampled_from(["custom.vip", "custom.vip; custom.newsletter", ";;", " a ;b", "x" * 81, "a\x01b"])
EXTENDED = st.one_of(st.sampled_from(["1500", "1.5e3", "nan", "inf", "likes tea", "line\nbreak", "bell\x07"]),
                     st.text(max_size=8))
EXTENDED_TYPES = {"custom.budget": DataType.NUMBER, "custom.notes": DataType.TEXT}

CELLS: dict[str, Any] = {
    "firstName": TEXT, "lastName": TEXT, "email": EMAILS, "email2": EMAILS, "phone": PHONES, "phone2": PHONES,
    "phoneCountry": COUNTRIES, "phone2Country": COUNTRIES, "company": TEXT, "jobTitle": TEXT, "birthdate": DATES,
    "locale": LOCALES, "picture": st.sampled_from(["https://example.com/a.png", "not a url"]), "labels": LABELS,
    "addressLine1": TEXT, "addressLine2": TEXT, "city": TEXT, "subdivision": TEXT, "postalCode": TEXT,
    "country": COUNTRIES, "ext.custom.budget": EXTENDED, "ext.custom.notes": EXTENDED,
    "emails": st.lists(EMAILS, max_size=3).map(";".join), "phones": st.lists(PHONES, max_size=3).map(";".join),
    "id": st.just("0b3c…"), "createdDate": st.just("2026-01-01T00:00:00+00:00"), "updatedDate": st.just(""),
    "source": st.just("IMPORT"), "member": st.sampled_from(["true", "false"]),
}
assert set(CELLS) - {"ext.custom.budget", "ext.custom.notes"} == set(CSV_COLUMNS)


@st.composite
def csv_infos(draw: st.DrawFn) -> dict[str, Any]:
    columns = draw(st.lists(st.sampled_from(sorted(CELLS)), unique=True, max_size=8))
    cells = {column: draw(CELLS[column]) for column in columns}
    return csv_row_info(cells, EXTENDED_TYPES)[0]


# JSON Lines bodies: the CSV shapes plus what only JSON can say (tags, primary, wrong types).
ODD_VALUES = st.sampled_from([None, 1, 1.5, True, [], {}, "", " ", {"email": "ann@example.com", "tag": "WORK"},
                              {"email": "ann@example.com", "primary": True}, {"phone": "+16502530001", "x": 1},
                              [{"email": "ann@example.com"}], ["custom.vip", 3]])


@st.composite
def json_infos(draw: st.DrawFn) -> Any:
    info = draw(csv_infos())
    for key in draw(st.lists(st.sampled_from(["name", "emails", "phones", "addresses", "company", "birthdate",
                                              "labelKeys", "extendedFields", "unknown"]), max_size=2)):
        info[key] = draw(ODD_VALUES)
    return info


def _serializer_result(info: Any) -> Any:
    try:
        return SERIALIZER.run_validation(info)
    except serializers.ValidationError:
        return None


def _assert_agrees(info: Any) -> None:
    fast = fast_validate(info)
    if fast is None:
        return  # left to the serializer: nothing to compare
    expected = _serializer_result(info)
    assert expected is not None, "the fast path accepted a row the serializer refuses"
    assert fast.info == expected
    reference = contact_payload_from_info(expected)
    assert fast.payload == reference
    assert fast.payload.raw == reference.raw


@settings(max_examples=400, deadline=None)
@given(info=csv_infos())
def test_fast_path_agrees_with_the_serializer_on_csv_rows(info: dict[str, Any]) -> None:
    _assert_agrees(info)


@settings(max_examples=200, deadline=None)
@given(info=json_infos())
def test_fast_path_agrees_with_the_serializer_on_json_bodies(info: Any) -> None:
    _assert_agrees(info)


def test_plain_rows_take_the_fast_path_and_odd_ones_do_not() -> None:
    plain = csv_row_info({
        "firstName": "Ann", "lastName": "Lee", "email": "ANN@Example.com", "phone": "(650) 253-0001",
        "phoneCountry": "US", "company": "Acme", "jobTitle": "CTO", "birthdate": "1990-01-02", "locale": "en-US",
        "labels": "custom.vip", "addressLine1": "1 Main St", "city": "Springfield", "postalCode": "12345",
        "country": "US", "ext.custom.budget": "1500", "ext.custom.notes": "likes tea",
    }, EXTENDED_TYPES)[0]
    fast = fast_validate(plain)
    assert fast is not None and fast.info == SERIALIZER.run_validation(plain)
    for odd in ({"emails": [{"email": "not an email"}]}, {"picture": "https://example.com/a.png"},
                {"emails": [{"email": "a@example.com", "tag": "WORK"}]}, {"name": {"first": "\x00"}}, ["a list"]):
        assert fast_validate(odd) is None
