"""The two file formats, bad rows, and importing the same file twice."""

import datetime

import pytest

from contacts.enums import Channel, DataType, IdentityType, SourceType
from contacts.importer import ImportFileError
from contacts.models import Address, Contact, ContactLabel, Email, ExtendedField, Label, Phone, Submission
from tests.helpers import contact_state, counts
from tests.importer.common import csv_bytes, import_bytes, jsonl

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)
HEADER = ["firstName", "lastName", "email", "email2", "phone", "phoneCountry", "company", "jobTitle", "birthdate",
          "locale", "labels", "addressLine1", "city", "postalCode", "country", "ext.custom.budget", "ext.custom.notes"]


@pytest.fixture(autouse=True)
def _references() -> None:
    Label.objects.create(key="custom.vip", display_name="VIP")
    Label.objects.create(key="custom.newsletter", display_name="Newsletter")
    ExtendedField.objects.create(key="custom.budget", display_name="Budget", data_type=DataType.NUMBER)
    ExtendedField.objects.create(key="custom.notes", display_name="Notes")


def test_csv_creates_contacts_with_every_column() -> None:
    data = csv_bytes(HEADER, [
        ["Ann", "Lee", "Ann.Lee@Example.com", "ann@work.example.com", "(650) 253-0001", "US", "Acme", "CTO",
         "1990-01-02", "en-US", "custom.vip; custom.newsletter", "1 Main St", "Springfield", "12345", "US",
         "1500", "likes tea"],
    ])
    report = import_bytes(data, "csv", now=NOW)
    assert (report.created, report.appended, report.unchanged, report.rejected) == (1, 0, 0, 0)
    contact = Contact.objects.get()
    state = contact_state(contact.id)
    assert state["emails"] == [("Ann.Lee@Example.com", "ann.lee@example.com", "UNTAGGED", True),
                               ("ann@work.example.com", "ann@work.example.com", "UNTAGGED", False)]
    assert state["phones"] == [("(650) 253-0001", "US", "+16502530001", "+16502530001", "UNTAGGED", True)]
    assert state["labels"] == ["custom.newsletter", "custom.vip"]
    assert (contact.first_name, contact.last_name, contact.company, contact.job_title, str(contact.birthdate),
            contact.locale) == ("Ann", "Lee", "Acme", "CTO", "1990-01-02", "en-US")
    assert contact.extended_fields == {"custom.budget": 1500.0, "custom.notes": "likes tea"}
    assert contact.source_type == SourceType.IMPORT
    assert Address.objects.get().city == "Springfield"
    submission = Submission.objects.get()
    assert (submission.channel, submission.step_order, submission.new_contact) == (Channel.IMPORT, "backend", True)
    assert submission.visitor_id is None and submission.user_id is None


def test_jsonl_takes_the_api_body_and_rows_match_earlier_rows() -> None:
    data = jsonl([
        {"name": {"first": "Ann"}, "emails": [{"email": "ann@example.com"}]},
        {"name": {"first": "Anna", "last": "Lee"}, "emails": [{"email": "ANN@example.com"}],
         "phones": [{"phone": "+16502530001", "tag": "MOBILE"}]},
        {"phones": [{"phone": "650 253 0001", "countryCode": "US"}], "labelKeys": ["custom.vip"]},
    ])
    report = import_bytes(data, now=NOW)
    assert (report.created, report.appended, report.unchanged) == (1, 2, 0)
    contact = Contact.objects.get()
    assert (contact.first_name, contact.last_name, contact.revision) == ("Ann", "Lee", 3)
    assert contact_state(contact.id)["labels"] == ["custom.vip"]
    skipped = Submission.objects.get(written__contains=[{"field": "name.last", "value": "Lee"}]).skipped
    assert {"field": "name.first", "value": "Anna", "reason": "field_not_empty"} in skipped


def test_bad_rows_are_reported_with_their_number_and_reason_and_good_rows_still_imported() -> None:
    data = csv_bytes(["firstName", "email", "phone", "phoneCountry", "labels", "ext.custom.budget", "birthdate"], [
        ["Ann", "ann@example.com", "", "", "", "", ""],                # row 2: good
        ["Bob", "not an email", "", "", "", "", ""],                    # row 3
        ["", "", "", "", "custom.vip", "", ""],                         # row 4: nothing to reconcile
        ["Cy", "cy@example.com", "12", "US", "", "", ""],               # row 5: phone too short
        ["Di", "di@example.com", "", "", "nope", "", ""],               # row 6: unknown label
        ["Ed", "ed@example.com", "", "", "", "lots", ""],               # row 7: not a number
        ["Flo", "flo@example.com", "", "", "", "", "02/01/1990"],       # row 8: date format
        ["Gus", "gus@example.com", "+4915112345678", "", "", "", ""],   # row 9: good
    ])
    report = import_bytes(data, "csv", now=NOW, batch_size=3)
    assert report.created == 2
    reasons = {bad.number: bad.reason for bad in report.bad_rows}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8]
    assert reasons[3].startswith("email (emails.0.email): Enter a valid email address.")
    assert reasons[4].startswith("nothing_to_reconcile")
    assert reasons[5].startswith("phone (phones.0.phone): Enter a valid phone number")
    assert reasons[6] == "labelKeys: Unknown label key 'nope': staff create labels first."
    assert reasons[7] == "extendedFields: custom.budget: expected a number."
    assert reasons[8] == "birthdate: Expected a date as YYYY-MM-DD."
    assert set(Email.objects.values_list("key", flat=True)) == {"ann@example.com", "gus@example.com"}
    assert Submission.objects.count() == 2


def test_jsonl_lines_that_are_not_contacts_are_bad_rows() -> None:
    data = b"\n".join([
        b'{"name": {"first": "Ann"}}',
        b"not json",
        b"",
        b'["a list"]',
        b'{"name": {"first": "Bob"}, "emial": []}',
        b'{"name": {"first": "\xff\xfe"}}',
        b'{"name": {"first": NaN}}',
        b'{"name": {"first": "Cy"}}',
    ]) + b"\n"
    report = import_bytes(data, now=NOW)
    assert report.created == 2
    reasons = {bad.number: bad.reason for bad in report.bad_rows}
    assert sorted(reasons) == [2, 4, 5, 6, 7]
    assert reasons[2].startswith("Not a JSON object")
    assert "Invalid data" in reasons[4]
    assert reasons[5] == "emial: Unknown field."
    assert reasons[6] == "The row is not valid UTF-8 text."


def test_an_unknown_csv_column_refuses_the_file_before_writing_anything() -> None:
    with pytest.raises(ImportFileError, match="Unknown column.*'e-mail'"):
        import_bytes(csv_bytes(["firstName", "e-mail"], [["Ann", "ann@example.com"]]), "csv", now=NOW)
    with pytest.raises(ImportFileError, match="empty"):
        import_bytes(b"", "csv", now=NOW)
    assert counts()["Contact"] == 0


def test_csv_quirks_bom_quoted_newlines_blank_rows_and_too_many_cells() -> None:
    data = ("\ufefffirstName,company,email\r\n"
            'Ann,"Acme, Inc.",ann@example.com\r\n'
            ",,\r\n"
            '"Bob","Multi\nline",bob@example.com\r\n'
            "Cy,X,cy@example.com,extra\r\n").encode()
    report = import_bytes(data, "csv", now=NOW)
    assert report.created == 1
    assert [(b.number, b.reason) for b in report.bad_rows] == [
        (4, "company: Control characters are not allowed: U+000A."),  # the API's rule, not a CSV limit
        (5, "The row has 4 cells; the header names 3."),
    ]
    assert Contact.objects.get(first_name="Ann").company == "Acme, Inc."


def test_importing_the_same_file_again_writes_no_contact_data() -> None:
    data = csv_bytes(HEADER, [
        ["Ann", "Lee", "ann@example.com", "", "+16502530001", "", "Acme", "", "", "", "custom.vip", "1 Main St",
         "Springfield", "", "US", "10", ""],
        ["", "", "", "", "650-253-0001", "US", "", "CTO", "", "", "", "", "", "", "", "", "note"],
        ["Bob", "", "bob@example.com", "ann@example.com", "", "", "", "", "", "", "", "", "", "", "", "", ""],
    ])
    first = import_bytes(data, "csv", now=NOW)
    assert (first.created, first.appended) == (1, 2)  # row 3 matches Ann by its second email
    before = {c.id: contact_state(c.id) for c in Contact.objects.all()}
    updated = dict(Contact.objects.values_list("id", "updated_at"))
    rows = {m.__name__: m.objects.count() for m in (Contact, Email, Phone, Address, ContactLabel)}

    again = import_bytes(data, "csv", now=NOW + datetime.timedelta(days=1))

    assert (again.created, again.appended, again.unchanged, again.rejected) == (0, 0, 3, 0)
    assert {c.id: contact_state(c.id) for c in Contact.objects.all()} == before
    assert dict(Contact.objects.values_list("id", "updated_at")) == updated
    assert {m.__name__: m.objects.count() for m in (Contact, Email, Phone, Address, ContactLabel)} == rows
    # The ledger records the second import too: every submission is stored, with nothing written.
    second = Submission.objects.filter(created_at=NOW + datetime.timedelta(days=1))
    assert second.count() == 3 and all(s.written == [] for s in second)


def test_a_members_contact_is_not_changed_by_an_import() -> None:
    from django.contrib.auth import get_user_model

    from members.models import Member

    import_bytes(jsonl([{"name": {"first": "Mem"}, "emails": [{"email": "mem@example.com"}]}]), now=NOW)
    contact = Contact.objects.get()
    Member.objects.create(user=get_user_model().objects.create_user("mem"), contact=contact, signup_date=NOW)
    before = contact_state(contact.id)

    report = import_bytes(jsonl([{"name": {"last": "Ber"}, "emails": [{"email": "MEM@example.com"},
                                                                      {"email": "new@example.com"}]}]),
                          now=NOW, keep_results=True)

    assert report.unchanged == 1 and report.results[0].identity_type == IdentityType.NOT_AUTHENTICATED_MEMBER
    assert contact_state(contact.id) == before
    assert not Email.objects.filter(key="new@example.com").exists()
    submission = Submission.objects.get(pk=report.results[0].submission_id)
    assert submission.written == [] and {s["reason"] for s in submission.skipped} == {"not_authenticated_member"}


def test_dry_run_validates_and_writes_nothing() -> None:
    data = jsonl([{"name": {"first": "Ann"}}, {}])
    report = import_bytes(data, now=NOW, dry_run=True)
    assert (report.valid, report.rejected) == (1, 1)
    assert "Dry run" in report.summary()
    assert counts()["Contact"] == 0 and counts()["Submission"] == 0
