"""Shared by the importer tests: files in both formats, the row-by-row reference, and the
database state compared by natural keys (ids differ between two runs)."""

import csv
import datetime
import io
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from rest_framework import serializers

from contacts.api.serializers import ContactInfoSerializer
from contacts.enums import Channel, StepOrder
from contacts.importer import contact_import
from contacts.models import Address, Contact, ContactLabel, Email, Phone, PossibleDuplicate, Submission
from contacts.payload import contact_payload_from_info
from contacts.reconcile import NothingToReconcile, contact_append_or_create


def jsonl(rows: Iterable[Any]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def import_bytes(data: bytes, file_format: str = "jsonl", **kwargs: Any) -> Any:
    return contact_import(io.BytesIO(data), file_format=file_format, **kwargs)


def row_by_row(infos: Sequence[Any], now: datetime.datetime) -> dict[int, uuid.UUID | None]:
    """The reference: what the API does with each row as a body, then the service call the
    importer stands for. Row number (1-based line) → the submission id, None when rejected."""
    out: dict[int, uuid.UUID | None] = {}
    for number, info in enumerate(infos, start=1):
        try:
            serializer = ContactInfoSerializer(data=info)
            serializer.is_valid(raise_exception=True)
            payload = contact_payload_from_info(serializer.validated_data)
            result = contact_append_or_create(payload, actor=None, visitor=None, channel=Channel.IMPORT,
                                              step_order=StepOrder.BACKEND, now=now)
        except (serializers.ValidationError, ValidationError, NothingToReconcile):
            out[number] = None
            continue
        out[number] = result.submission_id
    return out


def natural_state(seeds: Mapping[uuid.UUID, str], submissions: Mapping[int, uuid.UUID | None]) -> dict[str, Any]:
    """Every contact, its rows, the possible duplicates and the ledger rows of the file, with
    contacts named by the seed that made them or the first row that landed on them."""
    by_submission = {sid: number for number, sid in submissions.items() if sid is not None}
    subs = {s.id: s for s in Submission.objects.filter(id__in=list(by_submission))}
    names = dict(seeds)
    for number, sid in sorted(submissions.items()):
        if sid is not None:
            names.setdefault(subs[sid].contact_id, f"row-{number}")
    contacts: dict[str, Any] = {}
    for contact in Contact.objects.all():
        name = names[contact.id]  # a contact nobody named would be one the reference never made
        contacts[name] = {
            **{f: getattr(contact, f) for f in (
                "first_name", "last_name", "company", "job_title", "birthdate", "locale", "picture",
                "extended_fields", "source_type", "revision", "created_at", "updated_at",
                "last_activity_type", "last_activity_at", "merged_into_id")},
            "emails": sorted(Email.objects.filter(contact=contact).values_list("email", "key", "tag", "primary")),
            "phones": sorted(Phone.objects.filter(contact=contact).values_list(
                "phone", "country_code", "e164", "key", "tag", "primary")),
            "addresses": sorted(Address.objects.filter(contact=contact).values_list(
                "key", "tag", "address_line1", "city", "country", "postal_code", "formatted")),
            "labels": sorted(ContactLabel.objects.filter(contact=contact).values_list("label__key", flat=True)),
        }
    duplicates = sorted(
        (*sorted((names[d.contact_a_id], names[d.contact_b_id])), by_submission.get(d.submission_id, -1), d.reason)
        for d in PossibleDuplicate.objects.all()
    )
    ledger = {
        number: None if sid is None else (
            names[subs[sid].contact_id], subs[sid].channel, subs[sid].step_order, subs[sid].identity_type,
            subs[sid].new_contact, subs[sid].matched_by, subs[sid].payload, subs[sid].written, subs[sid].skipped,
            subs[sid].visitor_id, subs[sid].user_id, subs[sid].created_at)
        for number, sid in submissions.items()
    }
    return {"contacts": dict(sorted(contacts.items())), "duplicates": duplicates, "ledger": ledger,
            "submissions": Submission.objects.count()}
