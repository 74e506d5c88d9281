"""The Contact object of the back-office API (wix-contacts.md §5), in camelCase with the REST
wrapper form (`emails: {items: [...]}`). One shape for get, query, update, label, merge and
the JSONL export. Callers load contacts through `with_details` so a page of N contacts costs
a fixed number of queries."""

import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet

from contacts.models import Address, Contact, Email, Label, Phone


def with_details(queryset: QuerySet[Contact]) -> QuerySet[Contact]:
    """Everything `contact_representation` reads, in five queries whatever the page size."""
    return queryset.select_related("member__user").prefetch_related(
        Prefetch("emails", queryset=Email.objects.order_by("id")),
        Prefetch("phones", queryset=Phone.objects.order_by("id")),
        Prefetch("addresses", queryset=Address.objects.order_by("id")),
        Prefetch("labels", queryset=Label.objects.order_by("key").only("id", "key")),
    )


def iso_text(value: datetime.date | datetime.datetime | None) -> str | None:
    """A date as `YYYY-MM-DD`; a moment in UTC ending in `Z`, as DRF's DateTimeField writes the
    other endpoints' dates (labels, submissions), so one API never mixes `Z` and `+00:00`."""
    if value is None:
        return None
    if not isinstance(value, datetime.datetime):
        return value.isoformat()
    text = value.astimezone(datetime.UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def contact_representation(contact: Contact) -> dict[str, Any]:
    emails = list(contact.emails.all())
    phones = list(contact.phones.all())
    primary_email = next((e for e in emails if e.primary), None)
    primary_phone = next((p for p in phones if p.primary), None)
    info: dict[str, Any] = {
        "name": {"first": contact.first_name, "last": contact.last_name},
        "emails": {"items": [
            {"id": e.pk, "tag": e.tag, "email": e.email, "primary": e.primary} for e in emails
        ]},
        "phones": {"items": [
            {"id": p.pk, "tag": p.tag, "countryCode": p.country_code, "phone": p.phone,
             "e164Phone": str(p.e164) if p.e164 else None, "primary": p.primary}
            for p in phones
        ]},
        "addresses": {"items": [_address(a) for a in contact.addresses.all()]},
        "company": contact.company,
        "jobTitle": contact.job_title,
        "birthdate": iso_text(contact.birthdate),
        "locale": contact.locale,
        "picture": contact.picture,
        "labelKeys": {"items": [label.key for label in contact.labels.all()]},
        # Empty extended fields are not returned (wix-contacts.md §5).
        "extendedFields": {"items": {k: v for k, v in (contact.extended_fields or {}).items() if v not in ("", None)}},
    }
    return {
        "id": str(contact.pk),
        "revision": contact.revision,
        "source": {"sourceType": contact.source_type},
        "createdDate": iso_text(contact.created_at),
        "updatedDate": iso_text(contact.updated_at),
        "lastActivity": {"activityDate": iso_text(contact.last_activity_at), "activityType": contact.last_activity_type
                         or None},
        "primaryInfo": {
            "email": primary_email.email if primary_email else None,
            "phone": primary_phone.phone if primary_phone else None,  # the raw phone, as Wix does
        },
        "info": info,
        "memberInfo": _member(contact),
    }


def _address(address: Address) -> dict[str, Any]:
    body: dict[str, Any] = {
        "addressLine1": address.address_line1,
        "addressLine2": address.address_line2,
        "streetAddress": {"number": address.street_number, "name": address.street_name},
        "city": address.city,
        "subdivision": address.subdivision,
        "country": address.country,
        "postalCode": address.postal_code,
        "formatted": address.formatted,
    }
    if address.latitude is not None or address.longitude is not None:
        body["location"] = {"latitude": address.latitude, "longitude": address.longitude}
    return {"id": address.pk, "tag": address.tag, "address": body}


def _member(contact: Contact) -> dict[str, Any] | None:
    member = getattr(contact, "member", None)
    if member is None:
        return None
    return {
        "memberId": member.pk,
        "signupDate": iso_text(member.signup_date),
        "email": member.user.email,
        "status": member.status,
    }
