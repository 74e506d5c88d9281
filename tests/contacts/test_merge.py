"""contact_merge: the staff merge rules of decisions.md §13."""

import threading
import uuid
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

from contacts.enums import Channel, StepOrder
from contacts.merge import MergeRefused, contact_merge, contact_merge_preview, contact_resolve
from contacts.models import (
    Address,
    Contact,
    ContactLabel,
    ContactMerge,
    Email,
    Label,
    Phone,
    PossibleDuplicate,
    Submission,
    VisitorLink,
    VisitorSession,
)
from contacts.payload import contact_payload_from_info
from contacts.reconcile import contact_append_or_create
from contacts.visitor import VisitorIdentity
from members.services import member_signup

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make(info: dict[str, Any], visitor: VisitorIdentity | None = None) -> Contact:
    result = contact_append_or_create(
        contact_payload_from_info(info), actor=None, visitor=visitor, channel=Channel.API,
        step_order=StepOrder.BACKEND, now=timezone.now(),
    )
    return Contact.objects.get(pk=result.contact_id)


def merge(target: Contact, *sources: Contact, user: Any = None) -> None:
    contact_merge(target_id=target.id, source_ids=[s.id for s in sources], acting_user=user, now=timezone.now())


def visitor() -> VisitorIdentity:
    return VisitorIdentity(id=uuid.uuid4(), issued_at=timezone.now())


def test_target_values_are_never_overwritten_and_empty_ones_are_filled_in_source_order() -> None:
    target = make({"name": {"first": "Ari"}, "emails": [{"email": "ari@example.com"}]})
    first = make({"name": {"first": "Arianne", "last": "Thereyet"}, "jobTitle": "CTO",
                  "emails": [{"email": "a1@example.com"}]})
    second = make({"name": {"last": "Other"}, "company": "Acme", "jobTitle": "CEO",
                   "emails": [{"email": "a2@example.com"}]})

    merge(target, first, second)

    target.refresh_from_db()
    assert (target.first_name, target.last_name, target.job_title, target.company) == ("Ari", "Thereyet", "CTO", "Acme")
    assert target.revision == 2


def test_emails_and_phones_move_and_the_target_keeps_its_primary() -> None:
    target = make({"emails": [{"email": "t@example.com"}]})
    source = make({"emails": [{"email": "s@example.com"}], "phones": [{"phone": "+16502530000"}]})

    merge(target, source)

    assert set(Email.objects.filter(contact=target).values_list("key", "primary")) == {
        ("t@example.com", True), ("s@example.com", False)}
    assert list(Phone.objects.filter(contact=target).values_list("key", "primary")) == [("+16502530000", True)]
    assert not Email.objects.filter(contact=source).exists()


def test_addresses_and_labels_are_unioned_without_duplicates() -> None:
    Label.objects.create(key="custom.vip", display_name="VIP")
    Label.objects.create(key="custom.new", display_name="New")
    home = {"address": {"addressLine1": "1 Main St", "city": "Springfield"}}
    target = make({"emails": [{"email": "t@example.com"}], "addresses": [home], "labelKeys": ["custom.vip"]})
    source = make({"emails": [{"email": "s@example.com"}], "labelKeys": ["custom.vip", "custom.new"],
                   "addresses": [{"address": {"addressLine1": "1 MAIN st", "city": "springfield"}},
                                 {"address": {"addressLine1": "2 Side St"}}]})

    merge(target, source)

    assert Address.objects.filter(contact=target).count() == 2
    assert Address.objects.filter(contact=source).count() == 1  # the twin stays on the source, not lost
    assert set(ContactLabel.objects.filter(contact=target).values_list("label__key", flat=True)) == {
        "custom.vip", "custom.new"}


def test_visitors_submissions_and_duplicates_move_to_the_target() -> None:
    browser = visitor()
    target = make({"emails": [{"email": "t@example.com"}]})
    source = make({"emails": [{"email": "s@example.com"}]}, visitor=browser)
    third = make({"emails": [{"email": "x@example.com"}]})
    now = timezone.now()
    a, b = sorted([source.id, third.id])
    PossibleDuplicate.objects.create(contact_a_id=a, contact_b_id=b, reason="test", created_at=now)
    a, b = sorted([source.id, target.id])
    PossibleDuplicate.objects.create(contact_a_id=a, contact_b_id=b, reason="test", created_at=now)

    merge(target, source)

    assert VisitorSession.objects.get(pk=browser.id).contact_id == target.id
    assert VisitorLink.objects.filter(visitor_id=browser.id, contact=target).exists()
    assert Submission.objects.filter(contact=target).count() == 2
    assert not Submission.objects.filter(contact=source).exists()
    pairs = list(PossibleDuplicate.objects.values_list("contact_a_id", "contact_b_id"))
    assert pairs == [tuple(sorted([target.id, third.id]))]  # moved; the merged pair is settled


def test_sources_are_kept_as_merged_into_the_target_and_the_merge_is_recorded(django_user_model) -> None:
    staff = django_user_model.objects.create_user("staff", password="x")
    target = make({"emails": [{"email": "t@example.com"}]})
    source = make({"emails": [{"email": "s@example.com"}]})

    merge(target, source, user=staff)

    source.refresh_from_db()
    assert source.merged_into_id == target.id
    record = ContactMerge.objects.get(source=source)
    assert (record.target_id, record.merged_by_id) == (target.id, staff.id)
    assert record.summary["emails"] == ["s@example.com"]
    assert contact_resolve(source.id) == target


def test_a_later_submission_with_a_merged_email_lands_on_the_target() -> None:
    target = make({"emails": [{"email": "t@example.com"}]})
    source = make({"emails": [{"email": "s@example.com"}]})
    merge(target, source)

    result = contact_append_or_create(
        contact_payload_from_info({"emails": [{"email": "S@example.com"}], "company": "Acme"}),
        actor=None, visitor=None, channel=Channel.API, now=timezone.now(),
    )

    assert result.contact_id == target.id


def test_chains_resolve_in_one_hop() -> None:
    a, b, c = (make({"emails": [{"email": f"{n}@example.com"}]}) for n in "abc")
    merge(b, a)
    merge(c, b)
    a.refresh_from_db()
    assert a.merged_into_id == c.id
    assert ContactMerge.objects.get(source=a).target_id == c.id


def signup(email: str) -> Contact:
    member = member_signup(email=email, password="pw-Long-enough-1", first_name="M", last_name="",
                           visitor=None, now=timezone.now())
    return Contact.objects.get(pk=member.contact_id)


def test_a_member_can_be_the_target_but_never_a_source() -> None:
    member_contact = signup("member@example.com")
    plain = make({"emails": [{"email": "plain@example.com"}], "name": {"last": "Plain"}})

    with pytest.raises(MergeRefused, match="member"):
        merge(plain, member_contact)
    merge(member_contact, plain)

    member_contact.refresh_from_db()
    assert member_contact.last_name == "Plain"
    assert Email.objects.get(key="member@example.com").primary  # the login email stays primary


def test_two_members_are_never_merged_and_a_refused_merge_writes_nothing() -> None:
    first, second = signup("m1@example.com"), signup("m2@example.com")
    before = list(Email.objects.order_by("key").values_list("key", "contact_id"))
    with pytest.raises(MergeRefused):
        merge(first, second)
    assert list(Email.objects.order_by("key").values_list("key", "contact_id")) == before
    assert not ContactMerge.objects.exists()


@pytest.mark.parametrize("case", ["self", "already_merged", "too_many", "none"])
def test_invalid_merges_are_refused(case: str) -> None:
    contacts = [make({"emails": [{"email": f"c{i}@example.com"}]}) for i in range(7)]
    target, sources = contacts[0], contacts[1:2]
    if case == "self":
        sources = [target]
    elif case == "already_merged":
        merge(contacts[2], contacts[1])
    elif case == "too_many":
        sources = contacts[1:7]
    elif case == "none":
        sources = []
    with pytest.raises(MergeRefused):
        merge(target, *sources)


def test_a_merge_over_fifty_emails_is_refused() -> None:
    target = make({"emails": [{"email": f"t{i}@example.com"} for i in range(30)]})
    source = make({"emails": [{"email": f"s{i}@example.com"} for i in range(21)]})
    with pytest.raises(MergeRefused, match="at most 50"):
        merge(target, source)
    assert Email.objects.filter(contact=source).count() == 21


def test_preview_writes_nothing() -> None:
    target = make({"emails": [{"email": "t@example.com"}]})
    source = make({"emails": [{"email": "s@example.com"}], "company": "Acme"})
    plan = contact_merge_preview(target_id=target.id, source_ids=[source.id])
    assert plan.fills["company"][0] == "Acme" and [e.email for e in plan.emails] == ["s@example.com"]
    target.refresh_from_db()
    assert target.company == "" and Email.objects.filter(contact=source).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_during_a_merge_land_on_the_target() -> None:
    """A reconcile racing a merge either sees the source before it or the target after it."""
    target = make({"emails": [{"email": "t@example.com"}]})
    source = make({"emails": [{"email": "s@example.com"}]})
    barrier, errors, results = threading.Barrier(9), [], []

    def submit(i: int) -> None:
        try:
            barrier.wait()
            results.append(contact_append_or_create(
                contact_payload_from_info({"emails": [{"email": "s@example.com"}, {"email": f"n{i}@example.com"}]}),
                actor=None, visitor=None, channel=Channel.API, now=timezone.now()))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    def do_merge() -> None:
        try:
            barrier.wait()
            merge(target, source)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(8)] + [threading.Thread(target=do_merge)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert Email.objects.filter(contact=source).count() == 0
    assert Email.objects.filter(contact=target).count() == 10  # t, s and the 8 new ones
    assert Contact.objects.filter(merged_into__isnull=True).count() == 1
