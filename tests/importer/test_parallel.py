"""Importing with worker processes (`contacts/importer/parallel.py`) leaves the database as
the service called row by row in file order would, whichever worker takes which batch, and
form submissions running meanwhile still make no twins. These tests commit (other processes
cannot see a test transaction), so each clears the tables it wrote."""

import datetime
import io
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacts.enums import Channel
from contacts.importer import ImportFileError, contact_import, run, service
from contacts.models import Contact, Email, Label, Phone, Submission
from contacts.payload import contact_payload_from_info
from contacts.reconcile import contact_append_or_create
from tests.deploy.test_production_settings import ROOT, production_env
from tests.importer.common import csv_bytes, jsonl, natural_state, row_by_row
from tests.importer.test_equivalence import NOW, _seed, rows

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 2


def _clear() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE contacts_contact, contacts_label, contacts_extendedfield, contacts_visitorsession, "
                       "members_member, auth_user CASCADE")


@pytest.fixture
def uses_processes() -> Iterator[mock.MagicMock]:
    """Fails the test unless the import really went through the worker processes."""
    with mock.patch.object(service, "import_in_processes", wraps=service.import_in_processes) as spy:
        yield spy
    assert spy.called


def _import_file(data: bytes, suffix: str, **kwargs: Any) -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"contacts{suffix}"
        path.write_bytes(data)
        with path.open("rb") as stream:
            return contact_import(stream, file_format=suffix.lstrip("."), workers=WORKERS, **kwargs)


def _imported(infos: list[Any], batch_size: int) -> dict[str, Any]:
    _clear()
    seeds = _seed()
    report = _import_file(jsonl(infos), ".jsonl", now=NOW, batch_size=batch_size, keep_results=True)
    submissions: dict[int, uuid.UUID | None] = {bad.number: None for bad in report.bad_rows}
    submissions.update({r.number: r.submission_id for r in report.results})
    assert [r.number for r in report.results] == sorted(r.number for r in report.results)
    return natural_state(seeds, submissions)


def _reference(infos: list[Any]) -> dict[str, Any]:
    _clear()
    seeds = _seed()
    return natural_state(seeds, row_by_row(infos, NOW))


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(infos=st.lists(rows(), min_size=10, max_size=40), batch_size=st.sampled_from([1, 2, 3, 5]))
def test_import_with_workers_equals_the_service_row_by_row(
    infos: list[Any], batch_size: int, uses_processes: mock.MagicMock
) -> None:
    # Small batches: the same people's rows land in batches the two workers share out.
    assert _imported(infos, batch_size) == _reference(infos)


def test_a_bad_header_is_refused_before_anything_is_written(uses_processes: mock.MagicMock) -> None:
    with pytest.raises(ImportFileError, match="Unknown column"):
        _import_file(csv_bytes(["email", "nickname"], [["ann@example.com", "Annie"]]), ".csv")
    assert not Contact.objects.exists()


def test_bad_rows_are_reported_in_order_with_the_good_ones_imported(uses_processes: mock.MagicMock) -> None:
    lines = [["ann@example.com", "Ann"], ["not an email", "Bob"], ["", ""], ["cy@example.com", "Cy"]] * 5
    report = _import_file(csv_bytes(["email", "firstName"], lines), ".csv", batch_size=2)
    assert (report.created, report.appended, report.unchanged) == (2, 0, 8)  # repeats add nothing
    assert [bad.number for bad in report.bad_rows] == [3 + 4 * i for i in range(5)]
    assert Submission.objects.filter(channel=Channel.IMPORT).count() == 10


def test_without_a_file_on_disk_or_inside_a_transaction_it_imports_in_this_process() -> None:
    with mock.patch.object(service, "import_in_processes") as spy:
        report = contact_import(io.BytesIO(jsonl([{"emails": [{"email": "a@example.com"}]}])),
                                file_format="jsonl", workers=WORKERS)
        assert report.created == 1
        with transaction.atomic():
            assert _import_file(jsonl([{"emails": [{"email": "b@example.com"}]}]), ".jsonl").created == 1
    assert not spy.called


PEOPLE = 40
CALLERS = 3


def test_workers_and_form_submissions_for_the_same_people_make_one_contact_each(
    uses_processes: mock.MagicMock,
) -> None:
    lines = [[f"person{n}@example.com", f"+1650253{n:04d}", f"P{n}"] for n in range(PEOPLE)]
    forked = threading.Semaphore(0)
    os.register_at_fork(after_in_parent=forked.release)  # submitters start once the workers exist
    errors: list[BaseException] = []

    def submit(offset: int) -> None:
        try:
            for _ in range(WORKERS):
                forked.acquire(timeout=30)
            for i in range(PEOPLE):
                n = (i * 7 + offset) % PEOPLE
                info: dict[str, Any] = {"name": {"last": f"L{offset}"}}
                if offset % 2:
                    info["phones"] = [{"phone": f"650-253-{n:04d}", "countryCode": "US"}]
                else:
                    info["emails"] = [{"email": f"PERSON{n}@example.com"}]
                contact_append_or_create(contact_payload_from_info(info), actor=None, visitor=None,
                                         channel=Channel.FORM, now=timezone.now())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(k,), daemon=True) for k in range(CALLERS)]
    for thread in threads:
        thread.start()
    report = _import_file(csv_bytes(["email", "phone", "firstName"], lines), ".csv", batch_size=3)
    for _ in range(CALLERS * WORKERS):
        forked.release()  # in case a submitter is still waiting (the workers have been forked)
    for thread in threads:
        thread.join(60)
    assert not errors, errors[:3]
    assert report.rejected == 0 and report.rows == PEOPLE

    for n in range(PEOPLE):
        owner = Email.objects.get(key=f"person{n}@example.com").contact_id
        assert Phone.objects.get(key=f"+1650253{n:04d}").contact_id == owner
    # A phone-only or email-only submission that came first made a contact the import then
    # found by that key; nobody got a second contact.
    assert Contact.objects.count() == PEOPLE
    assert Submission.objects.count() == PEOPLE * (1 + CALLERS)
    assert Label.objects.count() == 0 and get_user_model().objects.count() == 0


def test_the_command_imports_with_workers(uses_processes: mock.MagicMock, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes(["email", "firstName"], [[f"p{n}@example.com", f"P{n}"] for n in range(50)]
                               + [["nope", "X"]]))
    out = io.StringIO()
    with pytest.raises(CommandError) as rejected:
        call_command("import_contacts", str(path), "--workers", "2", "--batch-size", "7", "--no-progress",
                     stdout=out)
    assert rejected.value.returncode == 3
    assert "51 rows: 50 created, 0 appended, 0 unchanged, 1 rejected." in out.getvalue()
    assert "row 52: email (emails.0.email): Enter a valid email address." in out.getvalue()
    assert Contact.objects.count() == 50


def test_the_command_with_production_settings_and_their_pool_imports_with_workers(tmp_path: Path) -> None:
    """`manage.py import_contacts` as operators run it: crmsite.production (a psycopg pool per
    process, whose threads and sockets must not reach the forked workers), default workers."""
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes(["email", "phone", "phoneCountry", "firstName"],
                               [[f"p{n}@example.com", f"650-253-{n:04d}", "US", f"P{n}"] for n in range(300)]))
    settings_dict = connection.settings_dict
    env = production_env(DATABASE_URL=f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:"
                                      f"{settings_dict['PORT']}/{settings_dict['NAME']}")
    result = subprocess.run([sys.executable, "manage.py", "import_contacts", str(path), "--workers", "2",
                             "--batch-size", "20", "--no-progress"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "300 rows: 300 created, 0 appended, 0 unchanged, 0 rejected." in result.stdout
    assert Contact.objects.count() == 300
    assert Phone.objects.get(key="+16502530299").contact_id == Email.objects.get(key="p299@example.com").contact_id


def test_a_failing_worker_stops_the_import_and_the_command_says_so(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes(["email"], [[f"p{n}@example.com"] for n in range(40)]))
    real = run.reconcile_batch

    def fails_on_p25(rows: Any, **kwargs: Any) -> Any:
        keys = {e.key for row in rows for e in row.payload.emails}
        if "p25@example.com" in keys:  # batch 5 (rows 26-30), worker 1: fails at once
            raise RuntimeError("disk full")
        if "p20@example.com" in keys:  # batch 4, worker 0: still running when batch 5 fails
            time.sleep(0.5)
        return real(rows, **kwargs)

    with mock.patch.object(run, "reconcile_batch", fails_on_p25), pytest.raises(CommandError) as error:
        call_command("import_contacts", str(path), "--workers", "2", "--batch-size", "5", "--no-progress",
                     stdout=io.StringIO())
    assert "contact-import-1 failed" in str(error.value) and "RuntimeError: disk full" in str(error.value)
    assert "importing the file again is safe" in str(error.value)
    # Every batch before the failed one is in, also the one still running when it failed;
    # the failed batch wrote nothing.
    imported = set(Email.objects.values_list("key", flat=True))
    assert {f"p{n}@example.com" for n in range(25)} <= imported
    assert not imported & {f"p{n}@example.com" for n in range(25, 30)}
