"""The number of SQL statements of one full reconcile is pinned, and does not grow with the
number of contacts: every read is by match key, contact id or visitor id (all indexed), and
every multi-row write is one bulk statement.

Counted inside the test transaction, so the service's `atomic()` shows as SAVEPOINT and
RELEASE SAVEPOINT (2 of the counted statements); in production they are BEGIN/COMMIT, which
Django does not log.
"""

import uuid
from typing import Any

import pytest
from django.utils import timezone

from contacts.enums import Channel
from contacts.models import Contact, Email, ExtendedField, Label, Phone
from contacts.payload import contact_payload_from_info
from contacts.reconcile.service import ReconcileResult, contact_append_or_create
from contacts.visitor import VisitorIdentity

pytestmark = pytest.mark.django_db

# 2 reference reads (labels, extended fields) + SAVEPOINT + advisory locks + visitor read and
# insert + email owners + phone owners + contact INSERT + 4 bulk INSERTs (emails, phones,
# addresses, labels) + visitor link INSERT + visitor UPDATE + submission INSERT + RELEASE.
CREATE_QUERIES = 17
# As a create, but the contact is locked (SELECT … FOR NO KEY UPDATE) and read (emails,
# phones, addresses, labels) and UPDATEd instead of INSERTed: 17 - 1 + 1 + 4 + 1.
APPEND_QUERIES = 22
# The same visitor sends the same submission again: nothing to append. As an append, minus
# the visitor INSERT, the link INSERT and the 4 item INSERTs (the contact's UPDATE of its last
# activity and the visitor's UPDATE of last_seen stay): 22 - 6.
REPEAT_QUERIES = 16


def _payload(n: int) -> dict[str, Any]:
    """A realistic form submission: name, 2 emails, 1 phone, 1 address, 1 label, 1 extended field."""
    return {
        "name": {"first": "Quinn", "last": f"Query{n}"},
        "emails": [{"email": f"Quinn.Query{n}@Example.com", "tag": "MAIN"}, {"email": f"q{n}@work.example.org"}],
        "phones": [{"phone": f"650-253-{n:04d}", "countryCode": "US", "tag": "MOBILE"}],
        "addresses": [{"tag": "HOME", "address": {
            "addressLine1": "1600 Amphitheatre Pkwy", "city": "Mountain View", "subdivision": "CA",
            "country": "US", "postalCode": "94043"}}],
        "labelKeys": ["customer"],
        "extendedFields": {"favourite": "tea"},
    }


def _submit(info: dict[str, Any], visitor: VisitorIdentity | None = None) -> ReconcileResult:
    """Submitted from a browser: a new visitor unless one is given."""
    return contact_append_or_create(
        contact_payload_from_info(info),
        actor=None,
        visitor=visitor or VisitorIdentity(id=uuid.uuid4(), issued_at=timezone.now()),
        channel=Channel.FORM,
        now=timezone.now(),
    )


@pytest.fixture(autouse=True)
def _references() -> None:
    Label.objects.create(key="customer", display_name="Customer")
    ExtendedField.objects.create(key="favourite", display_name="Favourite")


def _bulk_other_contacts(count: int) -> None:
    """Other people with an email and a phone each, written in three statements."""
    now = timezone.now()
    contacts = Contact.objects.bulk_create(
        Contact(first_name=f"Other{i}", created_at=now, updated_at=now) for i in range(count)
    )
    Email.objects.bulk_create(
        Email(contact=c, email=f"other{i}@example.com", key=f"other{i}@example.com", primary=True, created_at=now)
        for i, c in enumerate(contacts)
    )
    Phone.objects.bulk_create(
        Phone(contact=c, phone=f"+1650254{i:04d}", e164=f"+1650254{i:04d}", key=f"+1650254{i:04d}",
              primary=True, created_at=now)
        for i, c in enumerate(contacts)
    )


@pytest.mark.parametrize("others", [0, 2_000])
def test_reconcile_query_counts_are_pinned_and_independent_of_the_number_of_contacts(
    others: int, django_assert_num_queries: Any
) -> None:
    _bulk_other_contacts(others)
    assert Contact.objects.count() == others

    with django_assert_num_queries(CREATE_QUERIES):
        created = _submit(_payload(1))
    assert created.new_contact

    # An existing contact known only by its first email receives the full submission.
    seed = _submit({"emails": [{"email": "quinn.query2@example.com"}]})
    with django_assert_num_queries(APPEND_QUERIES):
        appended = _submit(_payload(2))
    assert (appended.contact_id, appended.matched_by, appended.new_contact) == (seed.contact_id, "email", False)
    contact = Contact.objects.get(pk=seed.contact_id)
    assert contact.first_name == "Quinn" and contact.extended_fields == {"favourite": "tea"}
    assert (contact.emails.count(), contact.phones.count(), contact.addresses.count(), contact.labels.count()) == (
        2, 1, 1, 1)

    visitor = VisitorIdentity(id=uuid.uuid4(), issued_at=timezone.now())
    first = _submit(_payload(3), visitor)
    with django_assert_num_queries(REPEAT_QUERIES):
        again = _submit(_payload(3), visitor)
    assert again.contact_id == first.contact_id and again.matched_by == "email"
    assert Contact.objects.count() == others + 3
