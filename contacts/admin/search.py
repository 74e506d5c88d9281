"""The contact list's search box: exact normalised email and phone keys, a contact id, or
name / company prefixes. Every branch is an index lookup; none is a `%term%` scan."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q

from contacts.models import Email, Phone
from contacts.normalize import normalize_email, normalize_phone

NAME_FIELDS = ("first_name", "last_name", "company")


def email_search_key(term: str) -> str | None:
    """The match key an email typed in the search box would have (`ARI@Example.com` →
    `ari@example.com`); a term the validator refuses is still tried lower-cased."""
    if "@" not in term:
        return None
    try:
        return normalize_email(term).key
    except ValidationError:
        return term.lower()


def phone_search_keys(term: str) -> list[str]:
    """The match key of a phone typed in the search box: in international form when it starts
    with `+`, else read in `CRM_DEFAULT_PHONE_REGION` (`(650) 253-0000` → `+16502530000`)."""
    if not any(c.isdigit() for c in term):
        return []
    region = None if term.startswith("+") else getattr(settings, "CRM_DEFAULT_PHONE_REGION", "")
    if not term.startswith("+") and not region:
        return []
    try:
        return [normalize_phone(term, region).key]
    except ValidationError:
        return []


def matched_contact_ids(term: str) -> list[uuid.UUID]:
    """Contacts owning the term's email or phone key: one query on the two unique key indexes.
    Resolved before the list query so that the list's WHERE is `id IN (…literal ids…) OR
    name prefixes`, which PostgreSQL answers with a BitmapOr of index scans; an `OR id IN
    (subquery)` would become a filter evaluated on every contact."""
    ids: list[uuid.UUID] = []
    try:
        ids.append(uuid.UUID(term))
    except ValueError:
        pass
    email_key = email_search_key(term)
    phone_keys = phone_search_keys(term)
    if email_key is None and not phone_keys:
        return ids
    emails = Email.objects.filter(key=email_key).values_list("contact_id", flat=True).order_by()
    phones = Phone.objects.filter(key__in=phone_keys).values_list("contact_id", flat=True).order_by()
    if email_key is None:
        return ids + list(phones)
    if not phone_keys:
        return ids + list(emails)
    return ids + list(emails.union(phones))


def name_prefix_q(term: str) -> Q:
    """The term starts the first name, the last name or the company, or each of its words
    starts one of them ("acme rock" → Acme Rockets, "ari there" → Ari Thereyet), in any case.
    `__istartswith` is `UPPER(col::text) LIKE UPPER('word%')` on PostgreSQL, which the
    `UPPER(col::text) text_pattern_ops` indexes of migration 0003 answer."""
    words = term.split()
    condition = _any_field_starts_with(term)
    if len(words) > 1:
        every_word = Q()
        for word in words:
            every_word &= _any_field_starts_with(word)
        condition |= every_word
    return condition


def _any_field_starts_with(prefix: str) -> Q:
    condition = Q()
    for field in NAME_FIELDS:
        condition |= Q(**{f"{field}__istartswith": prefix})
    return condition


def contact_search_q(term: str) -> Q:
    ids = matched_contact_ids(term)
    names = name_prefix_q(term)
    return Q(pk__in=ids) | names if ids else names
