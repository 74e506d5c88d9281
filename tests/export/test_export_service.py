"""contacts.export: the CSV and JSONL formats, keyset chunking, and a fixed number of queries
per chunk whatever the export's size (the service behind the admin and API exports)."""

import csv
import datetime
import io
import json
import math
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts.admin.contact_list import with_list_columns
from contacts.backoffice.representation import contact_representation, with_details
from contacts.export import CSV_HEADER, ExportFormat, contact_export, contact_export_response
from contacts.models import Contact
from tests.export.conftest import bulk_contacts, make_contact

pytestmark = pytest.mark.django_db


def csv_rows(queryset: Any, **kwargs: Any) -> list[dict[str, str]]:
    text = "".join(contact_export(queryset, export_format=ExportFormat.CSV, **kwargs))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames or ()) == CSV_HEADER
    return list(reader)


def jsonl_objects(queryset: Any, **kwargs: Any) -> list[dict[str, Any]]:
    text = "".join(contact_export(queryset, export_format=ExportFormat.JSONL, **kwargs))
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def test_csv_has_the_documented_header_and_one_row_per_contact_oldest_first(people) -> None:
    rows = csv_rows(Contact.objects.all())

    assert [r["id"] for r in rows] == [str(people[k].pk) for k in ("ari", "bo", "mia", "merged")]
    ari = rows[0]
    assert ari == {
        "id": str(people["ari"].pk),
        "firstName": "Ari",
        "lastName": "Thereyet",
        "company": "Acme, Inc.",
        "jobTitle": 'Chief "Fun" Officer',
        "birthdate": "1990-04-01",
        "locale": "en-US",
        "email": "Ari@Example.com",
        "emails": "Ari@Example.com;ari.work@example.com",
        "phone": "+16502530000",
        "phones": "+16502530000;+442079460958",
        "labels": "custom.lead;custom.vip",
        "createdDate": people["ari"].created_at.isoformat().replace("+00:00", "Z"),
        "updatedDate": people["ari"].updated_at.isoformat().replace("+00:00", "Z"),
        "source": "WIX_FORMS",
        "member": "false",
    }
    assert rows[2]["member"] == "true" and rows[2]["phones"] == rows[2]["phone"] == ""
    assert rows[1]["labels"] == "custom.lead" and rows[1]["source"] == "IMPORT"


def test_csv_is_rfc4180_with_crlf_and_quotes(people) -> None:
    text = "".join(contact_export(Contact.objects.filter(pk=people["ari"].pk), export_format=ExportFormat.CSV))
    header, row, end = text.split("\r\n")
    assert header == ",".join(CSV_HEADER) and end == ""
    assert '"Acme, Inc.","Chief ""Fun"" Officer"' in row


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_neutralised(now) -> None:
    make_contact(now, "=HYPERLINK(\"http://evil\")", "-2+3", company="@SUM(A1)", job_title="+cmd",
                 phones=(("+16502530000", ""),))
    [row] = csv_rows(Contact.objects.all())
    assert row["firstName"] == "'=HYPERLINK(\"http://evil\")"
    assert (row["lastName"], row["company"], row["jobTitle"]) == ("'-2+3", "'@SUM(A1)", "'+cmd")
    assert row["phones"] == "+16502530000"  # a phone's + is data


def test_jsonl_is_one_back_office_contact_object_per_line(people) -> None:
    objects = jsonl_objects(Contact.objects.filter(merged_into__isnull=True))

    expected = [json.loads(json.dumps(contact_representation(c)))
                for c in with_details(Contact.objects.filter(merged_into__isnull=True)).order_by("created_at")]
    assert objects == expected
    ari = objects[0]
    assert ari["info"]["addresses"]["items"][0]["address"]["city"] == "Berlin"
    assert ari["info"]["extendedFields"]["items"] == {"custom.shoe-size": "42"}
    assert objects[2]["memberInfo"]["email"] == "mia@example.com"


def test_only_the_given_queryset_is_exported_whatever_its_order_or_annotations(people) -> None:
    queryset = with_list_columns(Contact.objects.filter(labels=people["lead"])).order_by("-first_name")
    assert [r["firstName"] for r in csv_rows(queryset)] == ["Ari", "Bo"]
    assert [o["info"]["name"]["first"] for o in jsonl_objects(queryset)] == ["Ari", "Bo"]


def test_nothing_matched_is_the_header_alone_or_an_empty_file(people) -> None:
    assert csv_rows(Contact.objects.none()) == []
    assert "".join(contact_export(Contact.objects.filter(first_name="Nobody"), export_format=ExportFormat.CSV)) \
        == ",".join(CSV_HEADER) + "\r\n"
    assert jsonl_objects(Contact.objects.filter(first_name="Nobody")) == []


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 1000])
def test_keyset_chunks_export_every_contact_once_even_with_equal_creation_times(now, chunk_size) -> None:
    same = now - datetime.timedelta(days=1)
    for i in range(5):
        make_contact(same, f"Same{i}")
    make_contact(now, "Later")
    make_contact(now - datetime.timedelta(days=2), "Earlier")

    rows = csv_rows(Contact.objects.all(), chunk_size=chunk_size)

    same_ids = sorted(str(c.pk) for c in Contact.objects.filter(created_at=same))
    assert [r["id"] for r in rows] == [
        str(Contact.objects.get(first_name="Earlier").pk), *same_ids, str(Contact.objects.get(first_name="Later").pk)
    ]


def test_nothing_is_read_until_the_export_is_iterated(people) -> None:
    with CaptureQueriesContext(connection) as captured:
        response = contact_export_response(Contact.objects.all(), export_format=ExportFormat.CSV,
                                           now=datetime.datetime(2026, 12, 3, 12, 0, tzinfo=datetime.UTC))
    assert len(captured) == 0
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="contacts-20261203-120000.csv"'
    assert b"".join(response.streaming_content).count(b"\r\n") == 5


# Per chunk: CSV, the contacts, emails, phones and labels; JSONL, the keys, the contacts with
# member and user, emails, phones, addresses and labels.
QUERIES_PER_CHUNK = {ExportFormat.CSV: 4, ExportFormat.JSONL: 6}


@pytest.mark.parametrize("export_format", list(ExportFormat))
def test_queries_are_a_fixed_number_per_chunk_whatever_the_size(now, export_format) -> None:
    bulk_contacts(2500, now)

    for limit in (1200, 2500):
        ids = list(Contact.objects.order_by("created_at", "pk").values_list("pk", flat=True)[:limit])
        queryset = Contact.objects.filter(pk__in=ids)
        with CaptureQueriesContext(connection) as captured:
            chunks = list(contact_export(queryset, export_format=export_format, chunk_size=1000))
        lines = "".join(chunks).count("\n")
        assert lines == limit + (export_format is ExportFormat.CSV)
        assert len(chunks) == math.ceil(limit / 1000)  # one string per chunk, the CSV header in the first
        assert len(captured) == QUERIES_PER_CHUNK[export_format] * math.ceil(limit / 1000), [
            q["sql"][:120] for q in captured.captured_queries
        ]


def test_a_full_last_chunk_costs_one_more_query_to_find_the_end(now) -> None:
    bulk_contacts(2000, now)
    with CaptureQueriesContext(connection) as captured:
        lines = "".join(contact_export(Contact.objects.all(), export_format=ExportFormat.CSV, chunk_size=1000))
    assert lines.count("\n") == 2001
    assert len(captured) == 2 * QUERIES_PER_CHUNK[ExportFormat.CSV] + 1
