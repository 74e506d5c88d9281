"""Migration 0006: the tables every submission and import writes carry one index entry per
row fewer where an index served nothing, and every lookup still has an index."""

import datetime
import uuid
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from contacts.models import Address, Contact, ContactLabel, Email, Label, Phone, Submission

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def _indexes(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return dict(cursor.fetchall())


def _plan(queryset: Any) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table would be scanned anyway
    return str(queryset.explain())


@pytest.mark.parametrize("model", [Email, Phone])
def test_a_key_has_its_unique_index_and_no_like_twin(model: Any) -> None:
    definitions = _indexes(model._meta.db_table).values()

    assert [d for d in definitions if d.startswith("CREATE UNIQUE INDEX") and d.endswith("(key)")]
    assert not [d for d in definitions if "pattern_ops" in d], definitions


@pytest.mark.parametrize(("model", "column"), [
    (Address, "contact_id"), (ContactLabel, "contact_id"),
    (Submission, "visitor_id"), (Submission, "user_id"), (Contact, "merged_into_id"),
])
def test_no_single_column_index_of_every_row(model: Any, column: str) -> None:
    whole_column = [d for d in _indexes(model._meta.db_table).values() if d.endswith(f"({column})")]

    assert not whole_column, f"{column}: covered by a composite index, or partial (WHERE … IS NOT NULL)"


@pytest.mark.parametrize(("model", "lookup", "index"), [
    (Email, {"key": "ari@example.com"}, "unique_email_key"),
    (Phone, {"key__in": ["+16502530000"]}, "unique_phone_key"),
    (Address, {"contact_id": uuid.uuid4()}, "unique_address_per_contact"),
    (ContactLabel, {"contact_id__in": [uuid.uuid4()]}, "unique_contact_label"),
    (Submission, {"visitor_id": uuid.uuid4()}, "submission_visitor_idx"),
    (Submission, {"visitor_id__in": [uuid.uuid4(), uuid.uuid4()]}, "submission_visitor_idx"),  # SET NULL on delete
    (Submission, {"user_id": 1}, "submission_user_idx"),
    (Contact, {"merged_into": uuid.uuid4()}, "contact_merged_into_idx"),
    (Contact, {"merged_into__in": [uuid.uuid4()]}, "contact_merged_into_idx"),  # PROTECT on delete
])
def test_every_lookup_is_still_index_backed(model: Any, lookup: dict[str, Any], index: str) -> None:
    assert index in _plan(model.objects.filter(**lookup))


@pytest.mark.parametrize("model", [Email, Phone])
def test_a_key_still_belongs_to_one_contact(model: Any) -> None:
    first, second = (Contact.objects.create(created_at=NOW, updated_at=NOW) for _ in range(2))
    extra = {"phone": "+16502530000", "e164": "+16502530000"} if model is Phone else {"email": "a@example.com"}
    key = "+16502530000" if model is Phone else "a@example.com"
    model.objects.create(contact=first, key=key, created_at=NOW, **extra)

    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(contact=second, key=key, created_at=NOW, **extra)


def test_a_label_still_attaches_once() -> None:
    contact = Contact.objects.create(created_at=NOW, updated_at=NOW)
    label = Label.objects.create(key="custom.vip", display_name="VIP", created_at=NOW, updated_at=NOW)
    ContactLabel.objects.create(contact=contact, label=label, created_at=NOW)

    with pytest.raises(IntegrityError), transaction.atomic():
        ContactLabel.objects.create(contact=contact, label=label, created_at=NOW)
