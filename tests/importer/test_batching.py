"""Batches end at the advisory-lock budget (settings.CRM_IMPORT_LOCK_BUDGET): the match keys
the batches running at once may lock in all, since those locks take slots in PostgreSQL's
shared lock table."""

from typing import Any

import pytest
from django.test import override_settings

from contacts.importer.service import Progress
from tests.importer.common import import_bytes, jsonl

pytestmark = pytest.mark.django_db


def _batch_ends(rows: list[Any], **kwargs: Any) -> list[int]:
    seen: list[Progress] = []
    report = import_bytes(jsonl(rows), on_progress=seen.append, **kwargs)
    assert report.rejected == 0
    return [p.rows for p in seen]


ROWS = [{"emails": [{"email": f"p{n}@example.com"}], "phones": [{"phone": f"+1650253{n:04d}"}]} for n in range(6)]


@override_settings(CRM_IMPORT_LOCK_BUDGET=4)
def test_a_batch_ends_when_its_rows_reach_the_lock_budget() -> None:
    assert _batch_ends(ROWS) == [2, 4, 6]  # two keys a row


@override_settings(CRM_IMPORT_LOCK_BUDGET=2500)
def test_otherwise_a_batch_is_batch_size_rows() -> None:
    assert _batch_ends(ROWS, batch_size=4) == [4, 6]
