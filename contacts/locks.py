"""Named lock helpers. Always called inside `transaction.atomic()`.

Matching by email *or* phone cannot be made race-free by a unique constraint alone (an
email-only and a phone-only request for the same person would each create a contact), so a
reconcile first takes a transaction-scoped advisory lock per match key, in ascending order,
and only then reads and decides. The unique constraints stay as the backstop.
"""

import uuid
from collections.abc import Iterable

from django.db import connection

from contacts.models import Contact
from contacts.normalize import lock_key


def lock_match_keys(keys: Iterable[tuple[str, str]]) -> None:
    """Serialise every transaction that touches one of these (kind, key) pairs until commit.

    On SQLite (the `make run` default) the IMMEDIATE transaction already holds the database's
    single write lock, so there is nothing more to take.
    """
    assert connection.in_atomic_block, "advisory locks are only held inside atomic()"
    if connection.vendor != "postgresql":
        return
    ordered = sorted({lock_key(kind, key) for kind, key in keys})
    if not ordered:
        return
    with connection.cursor() as cursor:
        # PostgreSQL evaluates a volatile target list after the sort, so the locks are taken
        # in ascending key order and two transactions can never wait on each other here.
        cursor.execute("SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k ORDER BY k", [ordered])


def lock_contact(contact_id: uuid.UUID) -> Contact:
    """Lock one contact's row for a non-key update. NO KEY UPDATE does not block the KEY SHARE
    locks that inserts referencing this contact take, so two reconciles that each lock one
    contact and insert rows pointing at the other's cannot deadlock."""
    return Contact.objects.select_for_update(no_key=True).get(pk=contact_id)
