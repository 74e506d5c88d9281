"""An import racing form and API submissions for the same people leaves no twins: the importer
takes the same advisory locks on the match keys as the service (PostgreSQL, real threads,
each with its own connection; `transaction=True` so they see each other's commits)."""

import datetime
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

from contacts.enums import Channel
from contacts.models import Contact, Email, Phone, Submission
from contacts.payload import contact_payload_from_info
from contacts.reconcile import contact_append_or_create
from tests.importer.common import import_bytes, jsonl

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = 30
CALLERS = 4
NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)


def _email(n: int) -> str:
    return f"person{n}@example.com"


def _phone(n: int) -> str:
    return f"+1650253{n:04d}"


def _run_together(calls: list[Callable[[], Any]]) -> None:
    barrier = threading.Barrier(len(calls))
    errors: list[BaseException] = []

    def worker(call: Callable[[], Any]) -> None:
        try:
            connections["default"].ensure_connection()
            barrier.wait(timeout=30)
            call()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not [t for t in threads if t.is_alive()], "a thread hung"
    assert not errors, errors[:3]


def test_import_and_submissions_for_the_same_people_make_one_contact_each() -> None:
    rows = [{"name": {"first": f"P{n}"}, "emails": [{"email": _email(n)}], "phones": [{"phone": _phone(n)}],
             "company": "Imported"} for n in range(PEOPLE)]

    def importer() -> None:
        report = import_bytes(jsonl(rows), now=NOW, batch_size=4)
        assert report.rejected == 0 and report.created + report.appended + report.unchanged == PEOPLE

    def caller(offset: int) -> Callable[[], None]:
        def submit() -> None:
            for i in range(PEOPLE):
                n = (i * 7 + offset) % PEOPLE
                # One caller by a case variant of the email, others by the phone as typed nationally.
                info: dict[str, Any] = {"name": {"last": f"L{offset}"}}
                if offset % 2:
                    info["emails"] = [{"email": _email(n).upper()}]
                    info["phones"] = [{"phone": f"650-253-{n:04d}", "countryCode": "US"}]
                else:
                    info["phones"] = [{"phone": f"(650) 253 {n:04d}", "countryCode": "US"}]
                    info["emails"] = [{"email": _email(n)}]
                channel = Channel.FORM if offset % 2 else Channel.API
                contact_append_or_create(contact_payload_from_info(info), actor=None, visitor=None,
                                         channel=channel, now=timezone.now())
        return submit

    _run_together([importer, *(caller(k) for k in range(CALLERS))])

    assert Contact.objects.count() == PEOPLE
    for n in range(PEOPLE):
        email_owner = Email.objects.get(key=_email(n)).contact_id
        assert Phone.objects.get(key=_phone(n)).contact_id == email_owner
        assert Contact.objects.get(pk=email_owner).first_name == f"P{n}" or Submission.objects.filter(
            contact_id=email_owner, channel=Channel.IMPORT, new_contact=False).exists()
    assert Submission.objects.count() == PEOPLE * (1 + CALLERS)
    assert Submission.objects.filter(channel=Channel.IMPORT).count() == PEOPLE
