"""Export → import: a CSV export imports as it is (contacts/importer/parse.py reads its
columns: the shared ones by name, `emails` and `phones` as lists, the id, dates, source and
member ignored), into an empty database as the same people with all their emails and phones;
and the apostrophe the export puts before a formula-like text comes off again."""

import csv
import datetime
import io

import pytest

from contacts.export import ExportFormat, contact_export
from contacts.importer.parse import CSV_COLUMNS
from contacts.importer.service import contact_import
from contacts.models import Contact, Email, Label, Phone
from tests.export.conftest import make_contact

pytestmark = pytest.mark.django_db


def people_state() -> list[dict[str, object]]:
    state = []
    for contact in Contact.objects.order_by("first_name"):
        state.append({
            "name": (contact.first_name, contact.last_name),
            "scalars": (contact.company, contact.job_title, contact.birthdate, contact.locale),
            "primary email": Email.objects.filter(contact=contact, primary=True).values_list("key", flat=True).first(),
            "primary phone": Phone.objects.filter(contact=contact, primary=True).values_list("key", flat=True).first(),
            "emails": sorted(Email.objects.filter(contact=contact).values_list("key", flat=True)),
            "phones": sorted(Phone.objects.filter(contact=contact).values_list("key", flat=True)),
            "labels": sorted(contact.labels.values_list("key", flat=True)),
        })
    return state


def test_an_export_imports_into_an_empty_database_as_the_same_people(now) -> None:
    vip = Label.objects.create(key="custom.vip", display_name="VIP")
    lead = Label.objects.create(key="custom.lead", display_name="Lead")
    make_contact(now - datetime.timedelta(days=2), "Ari", "Thereyet", emails=("Ari@Example.com", "ari.w@example.com"),
                 phones=(("(650) 253-0000", "US"),), labels=(vip, lead), company="Acme, Inc.",
                 job_title="CTO", birthdate=datetime.date(1990, 4, 1), locale="en-US")
    make_contact(now - datetime.timedelta(days=1), "Bo", "Diddley", phones=(("+44 20 7946 0958", ""),
                 ("601-081-124", "US")), labels=(lead,), company="=SUM(A1)")
    make_contact(now, "", "", emails=("nameless@example.com",))
    before = people_state()

    exported = "".join(contact_export(Contact.objects.all(), export_format=ExportFormat.CSV))
    assert set(next(csv.reader(io.StringIO(exported)))) <= set(CSV_COLUMNS)
    assert "'=SUM(A1)" in exported  # as the export writes it, for spreadsheets

    Contact.objects.all().delete()
    report = contact_import(io.BytesIO(exported.encode()), file_format="csv", now=now)

    assert (report.created, report.rejected) == (3, 0)
    assert people_state() == before
