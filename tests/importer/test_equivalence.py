"""Property: importing a file leaves the database exactly as calling the service once per row
(actor None, no visitor, channel import, backend order), in file order, would: the same
contacts with the same fields, emails, phones, addresses and labels, the same possible
duplicates, and the same ledger row for every accepted row; the same rows rejected.

Rows are drawn from a small pool of people (as tests/contacts/test_properties.py), so rows
match contacts that existed before the import, contacts earlier rows of the same file (or the
same batch) created, and a member's contact. Each example runs the import and the reference
in turn inside transactions that are rolled back.
"""

import datetime
import uuid
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacts.enums import Channel, DataType
from contacts.models import ExtendedField, Label
from contacts.payload import contact_payload_from_info
from contacts.reconcile import contact_append_or_create
from members.models import Member
from tests.importer.common import import_bytes, jsonl, natural_state, row_by_row

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)
SEED_NOW = datetime.datetime(2026, 11, 1, 12, 0, tzinfo=datetime.UTC)
EMAILS = ["ann.lee@example.com", "bob.smith@example.org", "carol+news@example.net", "dave@sub.example.com",
          "member@example.com"]
PHONES = [
    [("+16502530001", None), ("650-253-0001", "US"), ("(650) 253 0001", "US")],
    [("+442079460958", None), ("020 7946 0958", "GB")],
    [("+4915112345678", None), ("0151 12345678", "DE")],
    [("601-081-124", "US")],  # plausible, not valid: keyed by calling code + digits
]
ADDRESSES = [
    {"address": {"addressLine1": "1 Main St", "city": "Springfield", "country": "US", "postalCode": "12345"}},
    {"tag": "WORK", "address": {"addressLine1": "Unter den Linden 5", "city": "Berlin", "country": "DE"}},
    {"address": {"addressLine1": "1 MAIN  st", "city": "springfield", "country": "us", "postalCode": "12345"}},
]


@st.composite
def email_items(draw: st.DrawFn) -> dict[str, Any]:
    address = draw(st.sampled_from(EMAILS))
    item: dict[str, Any] = {"email": draw(st.sampled_from([address, address.upper(), f" {address} "]))}
    if draw(st.booleans()):
        item["primary"] = True
    if draw(st.booleans()):
        item["tag"] = "WORK"
    return item


@st.composite
def phone_items(draw: st.DrawFn) -> dict[str, Any]:
    phone, country = draw(st.sampled_from(draw(st.sampled_from(PHONES))))
    item: dict[str, Any] = {"phone": phone}
    if country:
        item["countryCode"] = country
    if draw(st.booleans()):
        item["primary"] = True
    return item


@st.composite
def rows(draw: st.DrawFn) -> Any:
    kind = draw(st.integers(0, 19))
    if kind == 0:
        return {}  # nothing to reconcile
    if kind == 1:
        return {"company": "Acme"}  # nothing to reconcile either: no email, phone or name
    if kind == 2:
        return {"emails": [{"email": "not an email"}]}
    if kind == 3:
        return {"name": {"first": "Ann"}, "labelKeys": ["no-such-label"]}
    if kind == 4:
        return ["not", "an", "object"]
    info: dict[str, Any] = {}
    first = draw(st.sampled_from(["", "Ann", "Bob"]))
    last = draw(st.sampled_from(["", "Lee", "Smith"]))
    if first or last:
        info["name"] = {"first": first, "last": last}
    if draw(st.booleans()):
        info["company"] = draw(st.sampled_from(["Acme", "Globex"]))
    if draw(st.booleans()):
        info["birthdate"] = draw(st.sampled_from(["1990-01-02", "1985-05-06"]))
    if emails := draw(st.lists(email_items(), max_size=3)):
        info["emails"] = emails
    if phones := draw(st.lists(phone_items(), max_size=2)):
        info["phones"] = phones
    if addresses := draw(st.lists(st.sampled_from(ADDRESSES), max_size=2)):
        info["addresses"] = addresses
    if draw(st.booleans()):
        info["labelKeys"] = draw(st.lists(st.sampled_from(["vip", "newsletter"]), min_size=1, max_size=2))
    if draw(st.booleans()):
        info["extendedFields"] = draw(st.sampled_from([{"favourite": "tea"}, {"favourite": "coffee"},
                                                       {"score": 3}, {"score": 4.5, "favourite": "tea"}]))
    return info


def _seed() -> dict[uuid.UUID, str]:
    """Contacts that exist before the file: a plain one and a member's one."""
    Label.objects.create(key="vip", display_name="VIP")
    Label.objects.create(key="newsletter", display_name="Newsletter")
    ExtendedField.objects.create(key="favourite", display_name="Favourite")
    ExtendedField.objects.create(key="score", display_name="Score", data_type=DataType.NUMBER)
    plain = contact_append_or_create(
        contact_payload_from_info({"name": {"first": "Ann"}, "emails": [{"email": EMAILS[0]}],
                                   "extendedFields": {"favourite": "tea"}}),
        actor=None, visitor=None, channel=Channel.API, now=SEED_NOW)
    member = contact_append_or_create(
        contact_payload_from_info({"name": {"first": "Mem"}, "emails": [{"email": EMAILS[4]}],
                                   "phones": [{"phone": "+4915112345678"}]}),
        actor=None, visitor=None, channel=Channel.API, now=SEED_NOW)
    user = get_user_model().objects.create_user("member")  # no password: no slow hashing
    Member.objects.create(user=user, contact_id=member.contact_id, signup_date=SEED_NOW)
    return {plain.contact_id: "seed-plain", member.contact_id: "seed-member"}


def _imported(infos: list[Any], batch_size: int) -> dict[str, Any]:
    with transaction.atomic():
        seeds = _seed()
        report = import_bytes(jsonl(infos), now=NOW, batch_size=batch_size, keep_results=True)
        submissions: dict[int, uuid.UUID | None] = {bad.number: None for bad in report.bad_rows}
        submissions.update({r.number: r.submission_id for r in report.results})
        state = natural_state(seeds, submissions)
        transaction.set_rollback(True)
    return state


def _reference(infos: list[Any]) -> dict[str, Any]:
    with transaction.atomic():
        seeds = _seed()
        state = natural_state(seeds, row_by_row(infos, NOW))
        transaction.set_rollback(True)
    return state


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(infos=st.lists(rows(), min_size=1, max_size=14), batch_size=st.sampled_from([1, 3, 1000]))
def test_import_equals_the_service_row_by_row(infos: list[Any], batch_size: int) -> None:
    imported = _imported(infos, batch_size)
    reference = _reference(infos)
    assert imported == reference
