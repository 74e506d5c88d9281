"""The load benchmark's short form: the real server under concurrent submissions.

benchmarks/load_test.py, with fewer requests: gunicorn with 4 sync workers serves the test
database pytest-django created (`transaction=True`, so its commits are visible here), 200
submissions from 25 people arrive 16 at a time, and the invariants are read back in SQL
(`check_invariants`: no 5xx, nothing lost or stored twice, one contact per key, a ledger
row per answer, raced twins recorded as possible duplicates). gunicorn is stopped, whole
process group, however the test ends; its port is a socket bound here on port 0 and handed
over as fd://N, so it cannot be taken in between.
"""

import time

import pytest
from django.db import connection

from benchmarks import load_test

pytestmark = pytest.mark.django_db(transaction=True)

REQUESTS = 200
CONCURRENCY = 16
WORKERS = 4
PEOPLE = 25


def test_concurrent_submissions_keep_one_contact_per_person(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pool = load_test.build_pool(PEOPLE)
    plan = load_test.plan_requests(pool, REQUESTS, seed=7)
    assert {p.kind for p in plan} == set(load_test.KINDS)

    start = time.monotonic()
    run = load_test.run_ours(load_test.database_url_from_settings(connection.settings_dict), pool, plan,
                             concurrency=CONCURRENCY, workers=WORKERS, log_dir=tmp_path)
    with connection.cursor() as cursor:
        report = load_test.check_invariants(cursor, pool, run.outcomes)

    print(load_test.table([run.stats]), report.summary(), f"{time.monotonic() - start:.1f} s", sep="\n")
    assert report.problems == []
    assert run.stats.requests == REQUESTS and run.stats.statuses.total() == REQUESTS
    # The stream really exercised what it is meant to: name-only calls riding a visitor
    # cookie, and both new and existing contacts.
    sent = {o.kind for o in run.outcomes if o.cookie_sent}
    assert "name" in sent, sent
    assert 0 < report.contacts <= 2 * PEOPLE
    assert {o.status for o in run.outcomes} == {200, 201}


def test_naive_baseline_serves_and_duplicates(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The benchmark's baseline still imports and serves: a contact per call, never an error."""
    pool = load_test.build_pool(5)
    plan = load_test.plan_requests(pool, 40, seed=7)
    run = load_test.run_naive(load_test.database_url_from_settings(connection.settings_dict), pool, plan,
                              concurrency=8, workers=2, log_dir=tmp_path)
    assert run.stats.statuses == {201: 40}
    with connection.cursor() as cursor:
        assert load_test.naive_damage(cursor, pool, 0).startswith("naive: 40 contacts for 5 people")
