"""Contacts to export: a rich one, a plain one, a member, a merged one (tests/export)."""

import datetime
from typing import Any

import pytest

from contacts.models import Address, Contact, ContactLabel, Email, Label, Phone
from contacts.normalize import normalize_email, normalize_phone
from members.models import Member


def make_contact(
    created_at: datetime.datetime,
    first: str = "",
    last: str = "",
    *,
    emails: tuple[str, ...] = (),
    phones: tuple[tuple[str, str], ...] = (),
    labels: tuple[Label, ...] = (),
    merged_into: Contact | None = None,
    **fields: Any,
) -> Contact:
    """A contact with its emails and phones (the first one primary), written directly."""
    contact = Contact.objects.create(first_name=first, last_name=last, created_at=created_at,
                                     updated_at=created_at, merged_into=merged_into, **fields)
    for i, raw in enumerate(emails):
        Email.objects.create(contact=contact, email=raw, key=normalize_email(raw).key, primary=i == 0,
                             created_at=created_at)
    for i, (raw, country) in enumerate(phones):
        normalized = normalize_phone(raw, country)
        Phone.objects.create(contact=contact, phone=raw, country_code=country, e164=normalized.e164,
                             key=normalized.key, primary=i == 0, created_at=created_at)
    for label in labels:
        ContactLabel.objects.create(contact=contact, label=label, created_at=created_at)
    return contact


@pytest.fixture
def people(now: datetime.datetime, django_user_model: Any) -> dict[str, Any]:
    vip = Label.objects.create(key="custom.vip", display_name="VIP")
    lead = Label.objects.create(key="custom.lead", display_name="Lead")
    day = datetime.timedelta(days=1)
    ari = make_contact(
        now - 30 * day, "Ari", "Thereyet", emails=("Ari@Example.com", "ari.work@example.com"),
        phones=(("(650) 253-0000", "US"), ("+44 20 7946 0958", "")), labels=(vip, lead),
        company="Acme, Inc.", job_title='Chief "Fun" Officer', birthdate=datetime.date(1990, 4, 1),
        locale="en-US", source_type="WIX_FORMS", extended_fields={"custom.shoe-size": "42"},
    )
    Address.objects.create(contact=ari, city="Berlin", country="DE", key="berlin", created_at=now)
    bo = make_contact(now - 20 * day, "Bo", "Diddley", emails=("bo@example.com",), labels=(lead,),
                      source_type="IMPORT")
    mia = make_contact(now - 10 * day, "Mia", "Wallace", emails=("mia@example.com",))
    merged = make_contact(now - 5 * day, "Ari", "Merged", emails=("ari.old@example.com",), merged_into=ari)
    user = django_user_model.objects.create_user("mia", "mia@example.com", "a-Long-unusual-pass-42")
    Member.objects.create(user=user, contact=mia, signup_date=now)
    return {"ari": ari, "bo": bo, "mia": mia, "merged": merged, "vip": vip, "lead": lead}


def bulk_contacts(n: int, created_at: datetime.datetime, label: Label | None = None) -> None:
    """`n` contacts, each with an email and a phone (and `label`), in a few statements."""
    contacts = Contact.objects.bulk_create(
        Contact(first_name=f"Bulk{i}", created_at=created_at + datetime.timedelta(seconds=i % 7),
                updated_at=created_at) for i in range(n)
    )
    Email.objects.bulk_create(Email(contact=c, email=f"bulk{i}@example.com", key=f"bulk{i}@example.com",
                                    primary=True, created_at=created_at) for i, c in enumerate(contacts))
    Phone.objects.bulk_create(Phone(contact=c, phone=f"+1650{2000000 + i}", key=f"+1650{2000000 + i}",
                                    e164=f"+1650{2000000 + i}", primary=True, created_at=created_at)
                              for i, c in enumerate(contacts))
    if label is not None:
        ContactLabel.objects.bulk_create(ContactLabel(contact=c, label=label, created_at=created_at)
                                         for c in contacts)
