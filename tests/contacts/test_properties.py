"""Property: over any sequence of submissions for a small pool of people, a reconcile never
changes or removes anything already stored (decisions.md §7-§9), every submitted email/phone
ends on exactly one contact or is recorded as skipped, and the contact it picks follows the
steps (§1, §4): first matched email, else first matched phone, else the visitor's contact,
else a new contact, else `NothingToReconcile` with nothing written.

Each Hypothesis example runs inside its own transaction that is rolled back, so examples do
not see each other's rows (the service's own `atomic()` becomes a savepoint).
"""

import uuid
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from contacts.enums import Channel
from contacts.models import (
    Address,
    Contact,
    ContactLabel,
    Email,
    ExtendedField,
    Label,
    Phone,
    Submission,
    VisitorSession,
)
from contacts.normalize import normalize_email, normalize_phone
from contacts.payload import contact_payload_from_info
from contacts.reconcile.service import NothingToReconcile, contact_append_or_create
from contacts.visitor import VisitorIdentity

pytestmark = pytest.mark.django_db

EMAILS = ["ann.lee@example.com", "bob.smith@example.org", "carol+news@example.net", "dave@sub.example.com"]
# Four valid numbers, each in several written forms that share one E.164 match key.
PHONES = [
    [("+16502530001", None), ("650-253-0001", "US"), ("(650) 253 0001", "US"), ("+1 650 253 0001", None)],
    [("+442079460958", None), ("020 7946 0958", "GB"), ("+44 20 7946 0958", None)],
    [("+4915112345678", None), ("0151 12345678", "DE"), ("0151 1234 5678", "de")],
    [("+79991234567", None), ("8 999 123-45-67", "RU"), ("+7 (999) 123-45-67", None)],
]
VISITORS = [VisitorIdentity(id=uuid.UUID(int=i + 1), issued_at=timezone.now()) for i in range(2)]
ADDRESSES = [
    {"address": {"addressLine1": "1 Main St", "city": "Springfield", "country": "US", "postalCode": "12345"}},
    {"tag": "WORK", "address": {"addressLine1": "Unter den Linden 5", "city": "Berlin", "country": "DE"}},
    {"address": {"addressLine1": "1 MAIN  st", "city": "springfield", "country": "us", "postalCode": "12345"}},
]
SCALARS = ("first_name", "last_name", "company", "job_title", "birthdate", "locale", "picture",
           "source_type", "created_at")
SKIP_REASONS = {"belongs_to_other_contact", "contact_limit_reached", "duplicate_in_request"}


@st.composite
def email_items(draw: st.DrawFn) -> dict[str, Any]:
    address = draw(st.sampled_from(EMAILS))
    mask = draw(st.lists(st.booleans(), min_size=len(address), max_size=len(address)))
    cased = "".join(c.upper() if up else c for c, up in zip(address, mask, strict=True))
    item: dict[str, Any] = {"email": draw(st.sampled_from([cased, f"  {cased} "]))}
    if draw(st.booleans()):
        item["primary"] = True
    return item


@st.composite
def phone_items(draw: st.DrawFn) -> dict[str, Any]:
    phone, country = draw(st.sampled_from(draw(st.sampled_from(PHONES))))
    item: dict[str, Any] = {"phone": phone}
    if country:
        item["countryCode"] = country
    if draw(st.booleans()):
        item["tag"] = "MOBILE"
    return item


@st.composite
def submissions(draw: st.DrawFn) -> tuple[dict[str, Any], VisitorIdentity | None]:
    info: dict[str, Any] = {}
    first = draw(st.sampled_from(["", "Ann", "Bob", "Zoë"]))
    last = draw(st.sampled_from(["", "Lee", "Smith"]))
    if first or last:
        info["name"] = {"first": first, "last": last}
    if draw(st.booleans()):
        info["company"] = draw(st.sampled_from(["Acme", "Globex"]))
    if emails := draw(st.lists(email_items(), max_size=2)):
        info["emails"] = emails
    if phones := draw(st.lists(phone_items(), max_size=2)):
        info["phones"] = phones
    if addresses := draw(st.lists(st.sampled_from(ADDRESSES), max_size=2)):
        info["addresses"] = addresses
    if draw(st.booleans()):
        info["labelKeys"] = [draw(st.sampled_from(["vip", "newsletter"]))]
    if draw(st.booleans()):
        info["extendedFields"] = {"favourite": draw(st.sampled_from(["tea", "coffee"]))}
    visitor = draw(st.sampled_from([None, None, *VISITORS]))
    return info, visitor


def _state() -> dict[str, set[tuple[Any, ...]]]:
    """Every stored value, as hashable facts; a later state must contain every earlier fact."""
    contacts: set[tuple[Any, ...]] = set()
    for row in Contact.objects.values("id", "extended_fields", *SCALARS):
        contacts |= {(row["id"], name, row[name]) for name in SCALARS if row[name] not in ("", None)}
        contacts |= {(row["id"], f"ext.{k}", v) for k, v in (row["extended_fields"] or {}).items()}
    return {
        "contact": contacts,
        "email": set(Email.objects.values_list("id", "contact_id", "email", "key", "tag", "primary", "created_at")),
        "phone": set(Phone.objects.values_list(
            "id", "contact_id", "phone", "country_code", "e164", "key", "tag", "primary", "created_at")),
        "address": set(Address.objects.values_list(
            "id", "contact_id", "key", "tag", "address_line1", "city", "country", "postal_code", "created_at")),
        "label": set(ContactLabel.objects.values_list("id", "contact_id", "label_id", "created_at")),
    }


def _expected_choice(info: dict[str, Any], visitor: VisitorIdentity | None) -> tuple[uuid.UUID | None, str]:
    """The contact the steps must pick, from the rows as they are before the call."""
    for item in info.get("emails", []):
        owner = Email.objects.filter(key=normalize_email(item["email"]).key).values_list("contact_id", flat=True)
        if owner:
            return owner[0], "email"
    for item in info.get("phones", []):
        key = normalize_phone(item["phone"], item.get("countryCode")).key
        phone_owner = Phone.objects.filter(key=key).values_list("contact_id", flat=True)
        if phone_owner:
            return phone_owner[0], "phone"
    if visitor is not None:
        linked = VisitorSession.objects.filter(pk=visitor.id).values_list("contact_id", flat=True).first()
        if linked is not None:
            return linked, "visitor"
    return None, "created"


def _check_items(kind: str, model: type[Email] | type[Phone], keys_values: list[tuple[str, str]],
                 contact_id: uuid.UUID, skipped: list[dict[str, Any]]) -> None:
    for key, value in keys_values:
        owners = list(model.objects.filter(key=key).values_list("contact_id", flat=True))
        assert len(owners) == 1, (kind, key, owners)
        if owners[0] != contact_id:
            reasons = {s.get("reason") for s in skipped if s["field"] == kind and s["value"] == value}
            assert reasons & SKIP_REASONS, (kind, value, skipped)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(submissions(), min_size=1, max_size=8))
def test_reconcile_never_loses_or_overwrites_and_places_every_email_and_phone(steps: list[Any]) -> None:
    with transaction.atomic():
        Label.objects.create(key="vip", display_name="VIP")
        Label.objects.create(key="newsletter", display_name="Newsletter")
        ExtendedField.objects.create(key="favourite", display_name="Favourite")
        for info, visitor in steps:
            _one_step(info, visitor)
        transaction.set_rollback(True)


def submission_skipped(submission_id: uuid.UUID) -> list[dict[str, Any]]:
    return list(Submission.objects.get(pk=submission_id).skipped)


def _one_step(info: dict[str, Any], visitor: VisitorIdentity | None) -> None:
    before = _state()
    submissions_before = Submission.objects.count()
    expected_contact, expected_by = _expected_choice(info, visitor)
    payload = contact_payload_from_info(info)
    try:
        result = contact_append_or_create(payload, actor=None, visitor=visitor, channel=Channel.FORM,
                                          now=timezone.now())
    except NothingToReconcile:
        event("nothing to reconcile")
        assert not payload.can_create() and expected_contact is None
        assert _state() == before and Submission.objects.count() == submissions_before
        return

    event(f"matched by {result.matched_by}")
    for reason in {s.get("reason") for s in submission_skipped(result.submission_id)}:
        event(f"skipped: {reason}")
    after = _state()
    for kind, facts in before.items():
        lost = facts - after[kind]
        assert not lost, f"{kind}: stored values changed or removed: {sorted(map(str, lost))}"

    assert Submission.objects.count() == submissions_before + 1
    submission = Submission.objects.get(pk=result.submission_id)
    assert submission.contact_id == result.contact_id
    assert result.matched_by == expected_by
    if expected_contact is None:
        assert result.new_contact and result.contact_id not in {f[0] for f in before["contact"]}
    else:
        assert not result.new_contact and result.contact_id == expected_contact

    _check_items("emails", Email, [(e.key, e.email) for e in payload.emails], result.contact_id,
                 submission.skipped)
    _check_items("phones", Phone, [(p.key, p.phone) for p in payload.phones], result.contact_id,
                 submission.skipped)
    for contact_id in Contact.objects.values_list("id", flat=True):
        assert Email.objects.filter(contact_id=contact_id, primary=True).count() <= 1
        assert Phone.objects.filter(contact_id=contact_id, primary=True).count() <= 1
    if visitor is not None:
        assert VisitorSession.objects.get(pk=visitor.id).contact_id == result.contact_id
