"""`contact_append_or_create`: Wix's appendOrCreateContact() (seed page; decisions.md §1-§12).

One transaction per call: lock the match keys → read the candidates → choose the contact by
the steps → plan (pure) → apply with targeted writes → link the visitor → record the
submission. Two processes submitting the same person serialise on the advisory locks; the
unique constraints are the backstop, and a lost race is retried from the start.
"""

import datetime
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import DatabaseError, IntegrityError, transaction

from contacts.enums import ActivityType, Channel, IdentityType, SourceType, StepOrder
from contacts.locks import lock_contact, lock_match_keys
from contacts.models import Address, Contact, ContactLabel, Email, Phone, PossibleDuplicate, Submission
from contacts.payload import ContactPayload, JsonValue
from contacts.reconcile.plan import NOT_AUTHENTICATED_MEMBER, AppendPlan, ContactSnapshot, plan_append, plan_nothing
from contacts.reconcile.references import resolve_extended_fields, resolve_labels
from contacts.reconcile.visitors import VisitorRow, record_visitor, touch_visitor
from contacts.visitor import VisitorIdentity
from members.models import Member

MAX_ATTEMPTS = 3

SOURCE_BY_CHANNEL = {
    Channel.FORM: SourceType.WIX_FORMS,
    Channel.API: SourceType.WIX_CODE,
    Channel.IMPORT: SourceType.IMPORT,
    Channel.ADMIN: SourceType.ADMIN,
    Channel.SIGNUP: SourceType.WIX_SITE_MEMBERS,
}
ACTIVITY_BY_CHANNEL = {
    Channel.FORM: ActivityType.FORM_SUBMITTED,
    Channel.API: ActivityType.FORM_SUBMITTED,
    Channel.IMPORT: ActivityType.GENERAL,
    Channel.ADMIN: ActivityType.GENERAL,
    Channel.SIGNUP: ActivityType.MEMBER_REGISTER,
}


class NothingToReconcile(Exception):
    """Step 5: no contact could be found or created from what was given."""

    code = "nothing_to_reconcile"
    message = (
        "Nothing to reconcile: give an email, a phone or a name, "
        "or submit from a visitor that is already linked to a contact."
    )


@dataclass(frozen=True)
class ReconcileResult:
    contact_id: uuid.UUID
    identity_type: IdentityType
    new_contact: bool
    submission_id: uuid.UUID
    matched_by: str


@dataclass(frozen=True)
class _Choice:
    contact_id: uuid.UUID | None  # None: create
    matched_by: str  # member, email, phone, visitor, created
    identity_type: IdentityType
    others: tuple[uuid.UUID, ...] = ()  # further contacts the emails/phones matched


def contact_append_or_create(
    payload: ContactPayload,
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    visitor: VisitorIdentity | None,
    channel: Channel,
    step_order: StepOrder = StepOrder.FRONTEND,
    now: datetime.datetime,
    message: str = "",
) -> ReconcileResult:
    """Find the contact this submission belongs to, add only what is new, or create it.

    Raises `django.core.exceptions.ValidationError` for unknown labels or extended fields
    (nothing written) and `NothingToReconcile` for step 5.
    """
    labels = resolve_labels(payload)
    extended = resolve_extended_fields(payload)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _reconcile(payload, labels, extended, actor, visitor, channel, step_order, now, message)
        except (IntegrityError, DatabaseError) as exc:
            # A writer that did not take our locks (admin, shell) won a unique key, or the
            # database broke a deadlock: start again from fresh reads.
            if attempt == MAX_ATTEMPTS or not is_retryable(exc):
                raise
    raise AssertionError("unreachable")


def is_retryable(exc: DatabaseError) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    sqlstate = getattr(getattr(exc, "__cause__", None), "sqlstate", None)
    return sqlstate in {"40P01", "40001"}  # deadlock detected, serialization failure


def _reconcile(
    payload: ContactPayload,
    labels: Mapping[str, int],
    extended: Mapping[str, JsonValue],
    actor: AbstractBaseUser | AnonymousUser | None,
    visitor: VisitorIdentity | None,
    channel: Channel,
    step_order: StepOrder,
    now: datetime.datetime,
    message: str,
) -> ReconcileResult:
    keys = [("email", e.key) for e in payload.emails] + [("phone", p.key) for p in payload.phones]
    if visitor is not None:
        keys.append(("visitor", str(visitor.id)))
    lock_match_keys(keys)

    member = _member_of(actor)
    visitor_row = record_visitor(visitor, now) if visitor is not None else None
    owners, member_contacts = _owners(payload)
    choice = choose_contact(payload, member, visitor_row, owners, member_contacts, step_order)

    if choice.identity_type == IdentityType.NOT_AUTHENTICATED_MEMBER:
        assert choice.contact_id is not None
        if visitor_row is not None:
            touch_visitor(visitor_row, now, link_to=None)
        plan = plan_nothing(payload, NOT_AUTHENTICATED_MEMBER)
        result = _record(payload, plan, choice, choice.contact_id, visitor_row, actor, channel, step_order, now,
                         message, new_contact=False)
        _record_possible_duplicates(choice.contact_id, choice, result.submission_id, now)  # §4 holds here too
        return result

    if choice.contact_id is None:
        plan = plan_append(ContactSnapshot(), payload, extended_values=extended, owners=owners, contact_id=None)
        contact = _create_contact(plan, channel, now)
    else:
        contact = lock_contact(choice.contact_id)
        if contact.merged_into_id is not None:  # merged by staff while we waited for the lock
            contact = lock_contact(contact.merged_into_id)
        plan = plan_append(_snapshot(contact), payload, extended_values=extended, owners=owners,
                           contact_id=contact.id)
        _update_contact(contact, plan, channel, now)
    _write_items(contact, plan, labels, now)
    if visitor_row is not None:
        touch_visitor(visitor_row, now, link_to=contact.id)
    result = _record(payload, plan, choice, contact.id, visitor_row, actor, channel, step_order, now, message,
                     new_contact=choice.contact_id is None)
    _record_possible_duplicates(contact.id, choice, result.submission_id, now)
    return result


def _member_of(actor: AbstractBaseUser | AnonymousUser | None) -> Member | None:
    if actor is None or not actor.is_authenticated:
        return None
    return Member.objects.filter(user_id=actor.pk).only("id", "user_id", "contact_id").first()


def _owners(payload: ContactPayload) -> tuple[dict[str, uuid.UUID], set[uuid.UUID]]:
    """Which contact owns each submitted email/phone key, and which of them are members'."""
    owners: dict[str, uuid.UUID] = {}
    member_contacts: set[uuid.UUID] = set()
    for model, items in ((Email, payload.emails), (Phone, payload.phones)):
        if not items:
            continue
        rows = model.objects.filter(key__in=[i.key for i in items]).values_list(
            "key", "contact_id", "contact__member__id"
        )
        for key, contact_id, member_id in rows:
            owners[key] = contact_id
            if member_id is not None:
                member_contacts.add(contact_id)
    return owners, member_contacts


def choose_contact(
    payload: ContactPayload,
    member: Member | None,
    visitor_row: VisitorRow | None,
    owners: Mapping[str, uuid.UUID],
    member_contacts: set[uuid.UUID],
    step_order: StepOrder,
) -> _Choice:
    """The five steps, first success wins (seed page; wix-contacts.md §4.1)."""
    if member is not None:  # step 1
        return _Choice(member.contact_id, "member", IdentityType.MEMBER)

    matched = _matched_in_order(payload, owners)  # step 2
    if matched:
        winner, matched_by = matched[0]
        others = tuple(dict.fromkeys(c for c, _ in matched[1:] if c != winner))
        identity = IdentityType.NOT_AUTHENTICATED_MEMBER if winner in member_contacts else IdentityType.CONTACT
        return _Choice(winner, matched_by, identity, others)

    visitor_contact = visitor_row.contact_id if visitor_row is not None else None
    visitor_is_member = visitor_row is not None and visitor_row.contact_is_member
    create = payload.can_create()
    if step_order == StepOrder.BACKEND and create:  # backend step 3
        return _Choice(None, "created", IdentityType.CONTACT)
    if visitor_contact is not None:  # frontend step 3, backend step 4
        identity = IdentityType.NOT_AUTHENTICATED_MEMBER if visitor_is_member else IdentityType.CONTACT
        return _Choice(visitor_contact, "visitor", identity)
    if create:  # frontend step 4
        return _Choice(None, "created", IdentityType.CONTACT)
    raise NothingToReconcile  # step 5


def _matched_in_order(payload: ContactPayload, owners: Mapping[str, uuid.UUID]) -> list[tuple[uuid.UUID, str]]:
    """Matched contacts by the first given email, then the first given phone (§4)."""
    found = [(owners[e.key], "email") for e in payload.emails if e.key in owners]
    found += [(owners[p.key], "phone") for p in payload.phones if p.key in owners]
    return found


def _snapshot(contact: Contact) -> ContactSnapshot:
    emails = list(Email.objects.filter(contact=contact).values_list("key", "primary"))
    phones = list(Phone.objects.filter(contact=contact).values_list("key", "primary"))
    return ContactSnapshot(
        scalars={name: getattr(contact, name) for name in (
            "first_name", "last_name", "company", "job_title", "birthdate", "locale", "picture")},
        extended=dict(contact.extended_fields or {}),
        email_keys=frozenset(k for k, _ in emails),
        phone_keys=frozenset(k for k, _ in phones),
        address_keys=frozenset(Address.objects.filter(contact=contact).values_list("key", flat=True)),
        label_keys=frozenset(ContactLabel.objects.filter(contact=contact).values_list("label__key", flat=True)),
        has_primary_email=any(p for _, p in emails),
        has_primary_phone=any(p for _, p in phones),
    )


def _create_contact(plan: AppendPlan, channel: Channel, now: datetime.datetime) -> Contact:
    return Contact.objects.create(
        **plan.scalars,
        extended_fields=dict(plan.extended),
        source_type=SOURCE_BY_CHANNEL[channel],
        created_at=now,
        updated_at=now,
        last_activity_type=ActivityType.CONTACT_CREATED,
        last_activity_at=now,
    )


def _update_contact(contact: Contact, plan: AppendPlan, channel: Channel, now: datetime.datetime) -> None:
    fields = ["last_activity_type", "last_activity_at"]
    contact.last_activity_type = ACTIVITY_BY_CHANNEL[channel]
    contact.last_activity_at = now
    if plan.changes_contact:
        for name, value in plan.scalars.items():
            setattr(contact, name, value)
        if plan.extended:
            contact.extended_fields = {**(contact.extended_fields or {}), **plan.extended}
            fields.append("extended_fields")
        contact.revision += 1
        contact.updated_at = now
        fields += [*plan.scalars, "revision", "updated_at"]
    contact.save(update_fields=fields)


def _write_items(contact: Contact, plan: AppendPlan, labels: Mapping[str, int], now: datetime.datetime) -> None:
    if plan.emails:
        Email.objects.bulk_create(
            Email(contact=contact, email=e.email, key=e.key, tag=e.tag, primary=primary, created_at=now)
            for e, primary in plan.emails
        )
    if plan.phones:
        Phone.objects.bulk_create(
            Phone(contact=contact, phone=p.phone, country_code=p.country_code, e164=p.e164, key=p.key,
                  tag=p.tag, primary=primary, created_at=now)
            for p, primary in plan.phones
        )
    if plan.addresses:
        Address.objects.bulk_create(
            Address(contact=contact, key=a.key, created_at=now, **{
                name: getattr(a, name) for name in (
                    "tag", *a.TEXT_FIELDS, "formatted", "latitude", "longitude")})
            for a in plan.addresses
        )
    if plan.label_keys:
        ContactLabel.objects.bulk_create(
            ContactLabel(contact=contact, label_id=labels[key], created_at=now) for key in plan.label_keys
        )


def _record(
    payload: ContactPayload,
    plan: AppendPlan,
    choice: _Choice,
    contact_id: uuid.UUID,
    visitor_row: VisitorRow | None,
    actor: AbstractBaseUser | AnonymousUser | None,
    channel: Channel,
    step_order: StepOrder,
    now: datetime.datetime,
    message: str,
    *,
    new_contact: bool,
) -> ReconcileResult:
    submission = Submission.objects.create(
        created_at=now,
        channel=channel,
        step_order=step_order,
        payload=dict(payload.raw),
        message=message,
        visitor_id=visitor_row.id if visitor_row is not None else None,
        user_id=actor.pk if actor is not None and actor.is_authenticated else None,
        contact_id=contact_id,
        identity_type=choice.identity_type,
        new_contact=new_contact,
        matched_by=choice.matched_by,
        written=[c.as_json() for c in plan.written],
        skipped=[c.as_json() for c in plan.skipped],
    )
    return ReconcileResult(
        contact_id=contact_id,
        identity_type=choice.identity_type,
        new_contact=new_contact,
        submission_id=submission.id,
        matched_by=choice.matched_by,
    )


def _record_possible_duplicates(
    winner: uuid.UUID, choice: _Choice, submission_id: uuid.UUID, now: datetime.datetime
) -> None:
    """An anonymous submission never merges contacts; it tells staff what it saw (§4)."""
    if not choice.others:
        return
    PossibleDuplicate.objects.bulk_create(
        [
            PossibleDuplicate(
                contact_a_id=min(winner, other),
                contact_b_id=max(winner, other),
                submission_id=submission_id,
                reason=f"One submission matched both contacts (by {choice.matched_by} and more).",
                created_at=now,
            )
            for other in choice.others
        ],
        ignore_conflicts=True,
    )

