"""Concurrent reconciles of one person never make twins, lose an append or leak an error.

Every test releases its threads together through a `threading.Barrier`; each thread has its
own database connection (closed in its `finally`), so the submissions really overlap inside
PostgreSQL and serialise only on the service's advisory locks and row locks
(engineering-notes: "Race-free find-or-create"). `transaction=True` is required: with the
default wrapping transaction the threads could not see each other's commits.
"""

import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import phonenumbers
import pytest
from django.db import connections
from django.utils import timezone

from contacts.enums import Channel
from contacts.models import Contact, Email, Phone, PossibleDuplicate, Submission, VisitorLink, VisitorSession
from contacts.payload import contact_payload_from_info
from contacts.reconcile import service
from contacts.reconcile.service import ReconcileResult, contact_append_or_create
from contacts.visitor import VisitorIdentity

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20
JOIN_TIMEOUT = 60  # seconds; a thread still alive after this is a hang (lock never released)


@pytest.fixture(autouse=True)
def attempts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count `_reconcile` runs. The advisory locks must serialise every race up front: the
    unique constraints are only the backstop, so a retry here means a lock is missing."""
    runs: list[int] = []
    original = service._reconcile

    def counted(*args: Any, **kwargs: Any) -> ReconcileResult:
        runs.append(1)  # list.append is atomic under the GIL
        return original(*args, **kwargs)

    monkeypatch.setattr(service, "_reconcile", counted)
    return runs


@pytest.fixture(autouse=True)
def _no_retries(attempts: list[int], transactional_db: None) -> Any:
    """Checked after the test body, before the database is flushed."""
    yield
    calls = Submission.objects.count()
    assert len(attempts) == calls, f"{len(attempts) - calls} reconcile(s) were retried after a lost race"


def _phone(n: int) -> str:
    """A distinct valid US number per n (the 650-253 range is valid; 555-01xx is fictional)."""
    number = f"+1650253{n:04d}"
    assert phonenumbers.is_valid_number(phonenumbers.parse(number)), number
    return number


def _case_variant(email: str, i: int) -> str:
    """The same address in a different letter case for each i (bit j of i uppercases letter j)."""
    letters = [k for k, ch in enumerate(email) if ch.isalpha()]
    chars = list(email)
    for bit, k in enumerate(letters):
        if (i >> (bit % 12)) & 1:
            chars[k] = chars[k].upper()
    return "".join(chars)


def _submit(info: Mapping[str, Any], visitor: VisitorIdentity | None = None) -> ReconcileResult:
    return contact_append_or_create(
        contact_payload_from_info(info), actor=None, visitor=visitor, channel=Channel.API, now=timezone.now()
    )


def run_together(calls: Sequence[Callable[[], ReconcileResult]]) -> list[ReconcileResult]:
    """Run every call in its own thread, all released at once; fail on any error or hang."""
    barrier = threading.Barrier(len(calls))
    results: list[ReconcileResult | None] = [None] * len(calls)
    errors: list[tuple[int, BaseException]] = []

    def worker(index: int) -> None:
        try:
            connections["default"].ensure_connection()  # connect first, so the calls truly overlap
            barrier.wait(timeout=30)
            results[index] = calls[index]()
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread below
            errors.append((index, exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not [t for t in threads if t.is_alive()], "a reconcile hung (lock never released?)"
    assert not errors, f"{len(errors)} thread(s) raised: {errors[:3]!r}"
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


def test_same_new_email_in_different_cases_makes_one_contact_with_every_phone() -> None:
    # "race.person@example.com", "Race.person@example.com", "rAce.person@example.com", …
    variants = [_case_variant("race.person@example.com", i) for i in range(THREADS)]
    assert len({v.lower() for v in variants}) == 1 and len(set(variants)) == THREADS
    phones = [_phone(i) for i in range(THREADS)]
    calls = [
        partial(_submit, {"name": {"first": "Race"}, "emails": [{"email": v}], "phones": [{"phone": p}]})
        for v, p in zip(variants, phones, strict=True)
    ]

    results = run_together(calls)

    assert Contact.objects.count() == 1
    contact = Contact.objects.get()
    assert Email.objects.count() == 1
    assert Email.objects.get().key == "race.person@example.com"
    assert Email.objects.get().contact_id == contact.id
    assert sorted(Phone.objects.filter(contact=contact).values_list("key", flat=True)) == sorted(phones)
    assert Phone.objects.count() == THREADS
    assert Phone.objects.filter(contact=contact, primary=True).count() == 1  # only the creator's phone
    assert Email.objects.filter(contact=contact, primary=True).count() == 1
    assert sum(r.new_contact for r in results) == 1
    assert {r.contact_id for r in results} == {contact.id}
    assert {r.matched_by for r in results} == {"created", "email"}
    assert Submission.objects.count() == THREADS
    assert set(Submission.objects.values_list("id", flat=True)) == {r.submission_id for r in results}
    assert Submission.objects.filter(new_contact=True).count() == 1


@pytest.mark.parametrize("rounds", [10])
def test_email_only_phone_only_and_combined_submissions_never_make_twins_per_key(rounds: int) -> None:
    """Per person, threads are released together sending {email E}, {email E, phone P} or
    {phone P} (E and P new).

    An email-only and a phone-only submission lock different keys, and nothing in either
    links E to P, so when both run before any combined one they legitimately create two
    contacts (Wix would too: each finds no match). What must never happen: two contacts
    owning E, two owning P, an error, or a silent split. If the person ends up as two
    contacts, every combined submission ran after both existed, matched the E-contact
    (first email wins, §4), skipped P as belonging to the other contact, and recorded the
    pair as a possible duplicate for staff. Otherwise there is exactly one contact with both.
    """
    shapes = ("email", "both", "phone")
    two_contact_rounds = 0
    for r in range(rounds):
        email = f"split.{r}.{uuid.uuid4().hex[:6]}@example.com"
        phone = _phone(1000 + r)

        def info(shape: str, i: int, email: str = email, phone: str = phone) -> dict[str, Any]:
            data: dict[str, Any] = {"name": {"first": f"P{i}"}}
            if shape in ("email", "both"):
                data["emails"] = [{"email": _case_variant(email, i)}]
            if shape in ("phone", "both"):
                data["phones"] = [{"phone": phone}]
            return data

        plan = [shapes[i % 3] for i in range(THREADS)]
        results = run_together([partial(_submit, info(s, i)) for i, s in enumerate(plan)])

        e_rows = list(Email.objects.filter(key=email.lower()).values_list("contact_id", flat=True))
        p_rows = list(Phone.objects.filter(key=phone).values_list("contact_id", flat=True))
        assert len(e_rows) == 1 and len(p_rows) == 1
        e_owner, p_owner = e_rows[0], p_rows[0]
        person = {r.contact_id for r in results}
        assert person == {e_owner, p_owner}
        assert sum(r.new_contact for r in results) == len(person)
        assert Submission.objects.filter(id__in=[r.submission_id for r in results]).count() == THREADS
        combined = [res for res, shape in zip(results, plan, strict=True) if shape == "both"]
        if e_owner == p_owner:
            assert Contact.objects.filter(id=e_owner).count() == 1
        else:
            two_contact_rounds += 1
            assert all(res.contact_id == e_owner and res.matched_by == "email" for res in combined)
            a, b = sorted([e_owner, p_owner])
            assert PossibleDuplicate.objects.filter(contact_a_id=a, contact_b_id=b).count() == 1
            for res in combined:
                skipped = Submission.objects.get(id=res.submission_id).skipped
                assert {"field": "phones", "value": phone, "reason": "belongs_to_other_contact"} in skipped
    assert Email.objects.count() == rounds and Phone.objects.count() == rounds
    assert Submission.objects.count() == rounds * THREADS
    assert Contact.objects.count() == rounds + two_contact_rounds


def test_one_visitor_sending_names_concurrently_gets_one_contact_and_one_session() -> None:
    visitor = VisitorIdentity(id=uuid.uuid4(), issued_at=timezone.now())
    calls = [partial(_submit, {"name": {"first": f"Name{i}"}}, visitor) for i in range(THREADS)]

    results = run_together(calls)

    assert Contact.objects.count() == 1
    contact = Contact.objects.get()
    assert contact.first_name.startswith("Name")  # the first writer's name; later ones skipped
    assert sum(r.new_contact for r in results) == 1
    assert {r.contact_id for r in results} == {contact.id}
    assert sorted(r.matched_by for r in results) == ["created"] + ["visitor"] * (THREADS - 1)
    assert VisitorSession.objects.count() == 1
    assert VisitorSession.objects.get().contact_id == contact.id
    assert VisitorLink.objects.count() == 1
    assert Submission.objects.filter(visitor_id=visitor.id).count() == THREADS


def test_appends_of_different_emails_to_one_contact_are_all_kept() -> None:
    """Each thread reaches the contact through a different one of its phones, so the threads
    share no advisory lock: only the contact's row lock serialises their read-modify-write
    (snapshot → primary decision → revision bump). Without it appends are lost or the
    one-primary constraint trips."""
    phones = [_phone(100 + i) for i in range(THREADS)]
    seed = _submit({"name": {"first": "Holder"}, "phones": [{"phone": p} for p in phones]})
    assert seed.new_contact and not Email.objects.exists()
    emails = [f"holder.{i}@example.com" for i in range(THREADS)]
    calls = [
        partial(_submit, {"emails": [{"email": e}], "phones": [{"phone": p}]})
        for e, p in zip(emails, phones, strict=True)
    ]

    results = run_together(calls)

    assert Contact.objects.count() == 1
    assert {r.contact_id for r in results} == {seed.contact_id}
    assert not any(r.new_contact for r in results)
    assert {r.matched_by for r in results} == {"phone"}
    assert sorted(Email.objects.filter(contact_id=seed.contact_id).values_list("key", flat=True)) == sorted(emails)
    assert Email.objects.filter(contact_id=seed.contact_id, primary=True).count() == 1
    contact = Contact.objects.get()
    assert contact.revision == 1 + THREADS  # every append bumped it under the row lock; none lost
    assert Submission.objects.count() == THREADS + 1


def test_crossed_submissions_matching_two_contacts_do_not_deadlock() -> None:
    """Half the threads match A by email and B by phone, half the reverse, each appending a new
    email: the two groups lock different rows and then both reference the other contact
    (possible-duplicate record, §4). NO KEY UPDATE row locks and key-share FK checks must not
    deadlock, and no value may move between the contacts."""
    phone_a, phone_b = _phone(7001), _phone(7002)
    a = _submit({"name": {"first": "A"}, "emails": [{"email": "cross.a@example.com"}], "phones": [{"phone": phone_a}]})
    b = _submit({"name": {"first": "B"}, "emails": [{"email": "cross.b@example.com"}], "phones": [{"phone": phone_b}]})

    def info(i: int) -> dict[str, Any]:
        email, phone = ("cross.a@example.com", phone_b) if i % 2 == 0 else ("cross.b@example.com", phone_a)
        return {"emails": [{"email": email}, {"email": f"cross.new{i}@example.com"}], "phones": [{"phone": phone}]}

    results = run_together([partial(_submit, info(i)) for i in range(THREADS)])

    assert Contact.objects.count() == 2
    expected = [a.contact_id if i % 2 == 0 else b.contact_id for i in range(THREADS)]
    assert [r.contact_id for r in results] == expected
    assert PossibleDuplicate.objects.count() == 1
    for seed, parity, own_phone in ((a, 0, phone_a), (b, 1, phone_b)):
        keys = set(Email.objects.filter(contact_id=seed.contact_id).values_list("key", flat=True))
        assert keys == {f"cross.{'ab'[parity]}@example.com"} | {
            f"cross.new{i}@example.com" for i in range(parity, THREADS, 2)}
        assert list(Phone.objects.filter(contact_id=seed.contact_id).values_list("key", flat=True)) == [own_phone]
        assert Contact.objects.get(pk=seed.contact_id).revision == 1 + THREADS // 2
