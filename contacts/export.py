"""Exporting contacts as CSV or JSONL, streamed in constant memory (admin and back-office API).

The caller filters; this module only reads. Contacts are walked by keyset pagination over the
`(created_at, id)` index, oldest first, `chunk_size` (1,000) at a time: a chunk is one query for
the next contacts of the caller's queryset and one per related kind (emails, phones, labels;
JSONL also loads the contacts by primary key, with member and user, and their addresses). So
an export costs a fixed number of queries per chunk and holds one chunk in memory, whatever
its size. Keyset rather than a server-side cursor (`.iterator()`): in autocommit Django's
cursors are `WITH HOLD`, which PostgreSQL materialises in full before the first row, and
nothing stays open between chunks.

An export is not a snapshot: each chunk reads the contacts as they are when it is read, and a
contact deleted in between is skipped.
"""

import csv
import datetime
import enum
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.http import StreamingHttpResponse

from contacts.backoffice.keyset import beyond
from contacts.backoffice.representation import contact_representation, iso_text
from contacts.models import Address, Contact, ContactLabel, Email, Label, Phone
from members.models import Member

DEFAULT_CHUNK_SIZE = 1000

# One row per contact. The columns the import also reads (contacts/importer/parse.py) carry
# its names and meaning: firstName, lastName, company, jobTitle, birthdate, locale, `email` (the
# primary email, else the first), `phone` (likewise, international so it needs no phoneCountry)
# and `labels`. The others are the export's own: the id, every email and every phone, the dates,
# the source type and whether the contact is a member's. Lists are `;`-separated (no email,
# phone or label key can hold one): emails as given, phones in international form (the match
# key: E.164, or `+<calling code><digits>` for a number phonenumbers does not know), label keys.
# Tags, addresses and extended fields are in the JSONL export only.
CSV_HEADER = (
    "id", "firstName", "lastName", "company", "jobTitle", "birthdate", "locale",
    "email", "emails", "phone", "phones", "labels",
    "createdDate", "updatedDate", "source", "member",
)
LIST_SEPARATOR = ";"

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection), so the
# free-text columns get a leading apostrophe there. Emails, phones, ids, dates and label keys
# are validated values and are written as they are (a phone's leading + is data).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
FREE_TEXT_COLUMNS = ("firstName", "lastName", "company", "jobTitle")


class ExportFormat(enum.StrEnum):
    CSV = "csv"
    JSONL = "jsonl"

    @property
    def content_type(self) -> str:
        return "text/csv; charset=utf-8" if self is ExportFormat.CSV else "application/x-ndjson; charset=utf-8"


def _keyset_pages(rows: QuerySet[Any], *, chunk_size: int) -> Iterator[list[tuple[Any, ...]]]:
    """`rows` (a values_list whose first two columns are created_at and pk, in that order),
    `chunk_size` at a time."""
    after: tuple[datetime.datetime, Any] | None = None
    while True:
        page = rows
        if after is not None:
            page = rows.filter(beyond("created_at", *after, descending=False))
        chunk = list(page[:chunk_size])
        if not chunk:
            return
        yield chunk
        if len(chunk) < chunk_size:
            return
        after = chunk[-1][0], chunk[-1][1]


def _in_export_order(queryset: QuerySet[Contact]) -> QuerySet[Contact]:
    # Only the caller's filters matter: its order, prefetches and (by values_list below) its
    # annotations are dropped, so the admin list's computed columns are never computed here.
    return queryset.order_by("created_at", "pk").prefetch_related(None)


def _grouped(rows: Iterable[tuple[Any, ...]]) -> dict[Any, list[tuple[Any, ...]]]:
    """Rows keyed by their first column (a contact id), in query order."""
    grouped: dict[Any, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row)
    return grouped


def _cell_safe(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


# The CSV reads tuples, not model instances: building instances and their prefetch caches is
# most of an ORM export's time.
_CSV_CONTACT_FIELDS = ("created_at", "pk", "first_name", "last_name", "company", "job_title", "birthdate",
                       "locale", "updated_at", "source_type", "export_is_member")


def _csv_row(contact: tuple[Any, ...], emails: list[tuple[Any, ...]], phones: list[tuple[Any, ...]],
             labels: list[tuple[Any, ...]]) -> list[str]:
    created, pk, first, last, company, job_title, birthdate, locale, updated, source, is_member = contact
    # The primary, else the first: the import matches by `email` first (decisions.md §4).
    email = next((e for _c, e, primary in emails if primary), emails[0][1] if emails else "")
    phone = next((p for _c, p, primary in phones if primary), phones[0][1] if phones else "")
    return [
        str(pk), _cell_safe(first), _cell_safe(last), _cell_safe(company), _cell_safe(job_title),
        iso_text(birthdate) or "", locale,
        email, LIST_SEPARATOR.join(e for _c, e, _p in emails),
        phone, LIST_SEPARATOR.join(p for _c, p, _p in phones),
        LIST_SEPARATOR.join(key for _c, key in labels),
        iso_text(created) or "", iso_text(updated) or "", source, "true" if is_member else "false",
    ]


def contacts_csv(queryset: QuerySet[Contact], *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[str]:
    """The header, then one string per chunk of rows (RFC 4180: CRLF, quotes where needed).
    Four queries per chunk: the contacts (with whether each is a member's), their emails,
    phones and label keys."""
    rows = _in_export_order(queryset).annotate(
        export_is_member=Exists(Member.objects.filter(contact=OuterRef("pk")))
    ).values_list(*_CSV_CONTACT_FIELDS)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for chunk in _keyset_pages(rows, chunk_size=chunk_size):
        ids = [contact[1] for contact in chunk]
        emails = _grouped(Email.objects.filter(contact_id__in=ids).order_by("id")
                          .values_list("contact_id", "email", "primary"))
        phones = _grouped(Phone.objects.filter(contact_id__in=ids).order_by("id")
                          .values_list("contact_id", "key", "primary"))
        labels = _grouped(ContactLabel.objects.filter(contact_id__in=ids).order_by("label__key")
                          .values_list("contact_id", "label__key"))
        writer.writerows(
            _csv_row(c, emails.get(c[1], []), phones.get(c[1], []), labels.get(c[1], [])) for c in chunk
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():  # nothing matched: the header alone
        yield buffer.getvalue()


def _contacts_with_details(ids: list[Any]) -> dict[Any, Contact]:
    """What `with_details` loads, one query per relation, without prefetch_related: Django's
    prefetch builds a queryset per contact per relation (~0.1 ms each, 70% of a JSONL export's
    time), so the same per-instance cache (`_prefetched_objects_cache`, which `.all()` reads) is
    filled here from lists. tests/export pins the output to `with_details`'s."""
    contacts = {c.pk: c for c in Contact.objects.filter(pk__in=ids).select_related("member__user")}
    emails = _grouped_instances(Email.objects.filter(contact_id__in=ids).order_by("id"))
    phones = _grouped_instances(Phone.objects.filter(contact_id__in=ids).order_by("id"))
    addresses = _grouped_instances(Address.objects.filter(contact_id__in=ids).order_by("id"))
    labels: dict[Any, list[Label]] = defaultdict(list)
    known: dict[int, Label] = {}
    for contact_id, label_id, key in (ContactLabel.objects.filter(contact_id__in=ids).order_by("label__key")
                                      .values_list("contact_id", "label_id", "label__key")):
        label = known.get(label_id) or known.setdefault(label_id, Label(id=label_id, key=key))
        labels[contact_id].append(label)
    for pk, contact in contacts.items():
        contact._prefetched_objects_cache = {  # type: ignore[attr-defined]
            "emails": emails.get(pk, []), "phones": phones.get(pk, []),
            "addresses": addresses.get(pk, []), "labels": labels.get(pk, []),
        }
    return contacts


def _grouped_instances(queryset: QuerySet[Any]) -> dict[Any, list[Any]]:
    grouped: dict[Any, list[Any]] = defaultdict(list)
    for obj in queryset:
        grouped[obj.contact_id].append(obj)
    return grouped


def contacts_jsonl(queryset: QuerySet[Contact], *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[str]:
    """One back-office Contact object (`contact_representation`) per line. Six queries per
    chunk: the keys, the contacts with member and user, emails, phones, addresses, labels."""
    keys = _in_export_order(queryset).values_list("created_at", "pk")
    for chunk in _keyset_pages(keys, chunk_size=chunk_size):
        contacts = _contacts_with_details([pk for _created, pk in chunk])
        yield "".join(
            json.dumps(contact_representation(contacts[pk]), ensure_ascii=False, separators=(",", ":")) + "\n"
            for _created, pk in chunk if pk in contacts  # one deleted meanwhile is skipped
        )


def contact_export(
    queryset: QuerySet[Contact], *, export_format: ExportFormat, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> Iterator[str]:
    """The export of `queryset` (already filtered) in `export_format`, lazily, chunk by chunk."""
    if export_format is ExportFormat.CSV:
        return contacts_csv(queryset, chunk_size=chunk_size)
    return contacts_jsonl(queryset, chunk_size=chunk_size)


def contact_export_response(
    queryset: QuerySet[Contact],
    *,
    export_format: ExportFormat,
    now: datetime.datetime,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> StreamingHttpResponse:
    """A download of the export; nothing is read until the server iterates it."""
    content: Iterable[str] = contact_export(queryset, export_format=export_format, chunk_size=chunk_size)
    response = StreamingHttpResponse(content, content_type=export_format.content_type)
    filename = f"contacts-{now:%Y%m%d-%H%M%S}.{export_format.value}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # contact data: never kept by a proxy or the browser cache
    response["X-Content-Type-Options"] = "nosniff"
    return response
