"""`contact_merge`: staff merge contacts into one target (decisions.md §13, wix-contacts §6.6).

The target's values are never overwritten; its empty scalars and extended fields are filled
from the sources in the order given; emails, phones, addresses and labels are unioned
without duplicates; visitor links, submissions and possible-duplicate records move to the
target. Sources are kept, marked `merged_into` the target, so their ids still resolve. A
member's contact can only be a target, so two members are never merged.
"""

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import Q

from contacts import limits
from contacts.enums import ActivityType
from contacts.locks import lock_match_keys
from contacts.models import (
    Address,
    Contact,
    ContactLabel,
    ContactMerge,
    Email,
    Phone,
    PossibleDuplicate,
    Submission,
    VisitorLink,
    VisitorSession,
)
from contacts.reconcile.plan import SCALAR_FIELDS
from members.models import Member

MAX_SOURCES = 5
Row = TypeVar("Row", Email, Phone, Address)


class MergeRefused(Exception):
    """The merge breaks a rule; nothing was written. `code` names the rule for API clients;
    `conflict` is true when the contacts' current state (not the request) is the reason."""

    def __init__(self, message: str, *, code: str = "merge_refused", conflict: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.conflict = conflict


@dataclass
class MergePlan:
    """What a merge will do; the preview shows it and the apply writes it."""

    target: Contact
    sources: list[Contact]
    fills: dict[str, tuple[object, uuid.UUID]] = field(default_factory=dict)  # field → (value, from source)
    extended_fills: dict[str, tuple[object, uuid.UUID]] = field(default_factory=dict)
    emails: list[Email] = field(default_factory=list)
    phones: list[Phone] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    label_ids: list[int] = field(default_factory=list)
    email_total: int = 0
    phone_total: int = 0
    address_total: int = 0
    visitors: int = 0
    submissions: int = 0

    def summary(self) -> dict[str, object]:
        return {
            "filled": {name: str(value) for name, (value, _) in self.fills.items()},
            "extendedFilled": {key: value for key, (value, _) in self.extended_fills.items()},
            "emails": [e.email for e in self.emails],
            "phones": [p.phone for p in self.phones],
            "addresses": len(self.addresses),
            "labels": len(self.label_ids),
            "visitors": self.visitors,
            "submissions": self.submissions,
        }


@dataclass(frozen=True)
class MergeResult:
    target_id: uuid.UUID
    source_ids: tuple[uuid.UUID, ...]
    summary: dict[str, object]


def contact_resolve(contact_id: uuid.UUID) -> Contact:
    """The contact an id stands for now: a merged source resolves to its target."""
    contact = Contact.objects.get(pk=contact_id)
    return contact.merged_into if contact.merged_into_id else contact  # type: ignore[return-value]


def contact_merge_preview(
    *, target_id: uuid.UUID, source_ids: Sequence[uuid.UUID], target_revision: int | None = None
) -> MergePlan:
    """The merge's result without writing anything. Raises MergeRefused like the merge would."""
    target, sources = _load(target_id, source_ids, lock=False)
    _check_revision(target, target_revision)
    return _plan(target, sources)


def contact_merge(
    *,
    target_id: uuid.UUID,
    source_ids: Sequence[uuid.UUID],
    acting_user: AbstractBaseUser | AnonymousUser | None,
    now: datetime.datetime,
    target_revision: int | None = None,
    acting_token: dict[str, object] | None = None,
) -> MergeResult:
    """Merge the sources into the target (rules in the module docstring).

    `target_revision`, when given, must be the target's current revision (Wix
    `targetContactRevision`, an optimistic lock), checked under the row lock. An integration
    token has no user row: `acting_token` (its id and name) is recorded in the summary instead."""
    with transaction.atomic():
        _lock_keys_of([target_id, *source_ids])
        target, sources = _load(target_id, source_ids, lock=True)
        _check_revision(target, target_revision)
        plan = _plan(target, sources)
        _apply(plan, acting_user, now, acting_token)
        return MergeResult(target.id, tuple(s.id for s in sources), plan.summary())


def _check_revision(target: Contact, expected: int | None) -> None:
    if expected is not None and expected != target.revision:
        raise MergeRefused(
            f"The target contact is at revision {target.revision}, not {expected}: it changed since it was read.",
            code="revision_mismatch", conflict=True,
        )


def _lock_keys_of(contact_ids: Sequence[uuid.UUID]) -> None:
    """Take the same advisory locks a reconcile takes for these contacts' emails, phones and
    visitors, so a concurrent submission sees the contacts wholly before or after the merge."""
    keys = [("email", k) for k in Email.objects.filter(contact_id__in=contact_ids).values_list("key", flat=True)]
    keys += [("phone", k) for k in Phone.objects.filter(contact_id__in=contact_ids).values_list("key", flat=True)]
    keys += [
        ("visitor", str(v))
        for v in VisitorSession.objects.filter(contact_id__in=contact_ids).values_list("id", flat=True)
    ]
    lock_match_keys(keys)


def _load(target_id: uuid.UUID, source_ids: Sequence[uuid.UUID], *, lock: bool) -> tuple[Contact, list[Contact]]:
    ordered_sources = list(dict.fromkeys(source_ids))
    if not ordered_sources:
        raise MergeRefused("Choose at least one contact to merge into the target.", code="no_sources")
    if len(ordered_sources) > MAX_SOURCES:
        raise MergeRefused(f"At most {MAX_SOURCES} contacts can be merged into one at a time.",
                           code="too_many_sources")
    if target_id in ordered_sources:
        raise MergeRefused("The target cannot also be a source.", code="target_is_source")
    queryset = Contact.objects.all()
    if lock:  # primary-key order, so two merges never wait on each other in a cycle
        queryset = queryset.select_for_update().order_by("pk")
    found = {c.id: c for c in queryset.filter(pk__in=[target_id, *ordered_sources])}
    missing = [str(i) for i in [target_id, *ordered_sources] if i not in found]
    if missing:
        raise MergeRefused(f"No such contact: {', '.join(missing)}.", code="contact_not_found")
    target, sources = found[target_id], [found[i] for i in ordered_sources]
    for contact in (target, *sources):
        if contact.merged_into_id is not None:
            raise MergeRefused(f"{contact} was already merged into another contact.", code="already_merged",
                               conflict=True)
    members = set(Member.objects.filter(contact_id__in=ordered_sources).values_list("contact_id", flat=True))
    if members:
        names = ", ".join(str(found[i]) for i in ordered_sources if i in members)
        raise MergeRefused(f"A member's contact can only be the target of a merge: {names}.",
                           code="member_source")
    return target, sources


def _plan(target: Contact, sources: list[Contact]) -> MergePlan:
    plan = MergePlan(target=target, sources=sources)
    source_ids = [s.id for s in sources]
    rank = {cid: i for i, cid in enumerate(source_ids)}

    for _, name in SCALAR_FIELDS:
        if getattr(target, name) in ("", None):
            donor = next((s for s in sources if getattr(s, name) not in ("", None)), None)
            if donor is not None:
                plan.fills[name] = (getattr(donor, name), donor.id)
    for source in sources:
        for key, value in (source.extended_fields or {}).items():
            if (target.extended_fields or {}).get(key) in ("", None) and key not in plan.extended_fills:
                if value not in ("", None):
                    plan.extended_fills[key] = (value, source.id)

    def by_source(rows: list[Row]) -> list[Row]:
        return sorted(rows, key=lambda r: (rank[r.contact_id], r.id))

    plan.emails = by_source(list(Email.objects.filter(contact_id__in=source_ids)))
    plan.phones = by_source(list(Phone.objects.filter(contact_id__in=source_ids)))
    plan.email_total = Email.objects.filter(contact=target).count() + len(plan.emails)
    plan.phone_total = Phone.objects.filter(contact=target).count() + len(plan.phones)

    seen = set(Address.objects.filter(contact=target).values_list("key", flat=True))
    for address in by_source(list(Address.objects.filter(contact_id__in=source_ids))):
        if address.key not in seen:  # the same address twice stays on the source, not lost
            plan.addresses.append(address)
            seen.add(address.key)
    plan.address_total = len(seen)

    on_target = set(ContactLabel.objects.filter(contact=target).values_list("label_id", flat=True))
    plan.label_ids = list(dict.fromkeys(
        label_id for label_id in ContactLabel.objects.filter(contact_id__in=source_ids)
        .order_by("id").values_list("label_id", flat=True) if label_id not in on_target
    ))
    plan.visitors = VisitorSession.objects.filter(contact_id__in=source_ids).count()
    plan.submissions = Submission.objects.filter(contact_id__in=source_ids).count()

    for name, total in (("emails", plan.email_total), ("phones", plan.phone_total),
                        ("addresses", plan.address_total)):
        if total > limits.MAX_ITEMS:
            raise MergeRefused(
                f"The merged contact would have {total} {name}; a contact holds at most {limits.MAX_ITEMS}.",
                code="too_many_items",
            )
    return plan


def _apply(
    plan: MergePlan,
    acting_user: AbstractBaseUser | AnonymousUser | None,
    now: datetime.datetime,
    acting_token: dict[str, object] | None = None,
) -> None:
    target, source_ids = plan.target, [s.id for s in plan.sources]

    for model, rows in ((Email, plan.emails), (Phone, plan.phones)):
        has_primary = model.objects.filter(contact=target, primary=True).exists()
        keep_primary = None if has_primary else next((r.id for r in rows if r.primary), None)
        demoted = model.objects.filter(contact_id__in=source_ids, primary=True)
        (demoted.exclude(id=keep_primary) if keep_primary is not None else demoted).update(primary=False)
        model.objects.filter(contact_id__in=source_ids).update(contact=target)
    Address.objects.filter(id__in=[a.id for a in plan.addresses]).update(contact=target)
    ContactLabel.objects.bulk_create(
        [ContactLabel(contact=target, label_id=label_id, created_at=now) for label_id in plan.label_ids],
        ignore_conflicts=True,
    )
    VisitorSession.objects.filter(contact_id__in=source_ids).update(contact=target)
    VisitorLink.objects.filter(contact_id__in=source_ids).update(contact=target)
    Submission.objects.filter(contact_id__in=source_ids).update(contact=target)
    _move_duplicates(target.id, source_ids)
    # Earlier merges into a source now resolve to the target in one hop.
    Contact.objects.filter(merged_into_id__in=source_ids).update(merged_into=target)
    ContactMerge.objects.filter(target_id__in=source_ids).update(target=target)

    for name, (value, _) in plan.fills.items():
        setattr(target, name, value)
    if plan.extended_fills:
        target.extended_fields = {
            **(target.extended_fields or {}), **{k: v for k, (v, _) in plan.extended_fills.items()}
        }
    target.revision += 1
    target.updated_at = now
    target.last_activity_type = ActivityType.CONTACT_MERGED
    target.last_activity_at = now
    target.save(update_fields=[*plan.fills, "extended_fields", "revision", "updated_at",
                               "last_activity_type", "last_activity_at"])
    Contact.objects.filter(id__in=source_ids).update(merged_into=target, updated_at=now)

    user_id = acting_user.pk if acting_user is not None and acting_user.is_authenticated else None
    summary = plan.summary()
    if acting_token is not None:
        summary["by_token"] = acting_token
    ContactMerge.objects.bulk_create(
        ContactMerge(target=target, source_id=sid, merged_by_id=user_id, merged_at=now, summary=summary)
        for sid in source_ids
    )


def _move_duplicates(target_id: uuid.UUID, source_ids: list[uuid.UUID]) -> None:
    """Pairs naming a source now name the target; a pair of target and source is settled by
    the merge itself, and a pair that already exists for the target is kept (with its
    'not a duplicate' mark) rather than doubled."""
    involved = Q(contact_a_id__in=source_ids) | Q(contact_b_id__in=source_ids)
    merged = set(source_ids) | {target_id}
    for pair in list(PossibleDuplicate.objects.filter(involved)):
        other = pair.contact_b_id if pair.contact_a_id in merged else pair.contact_a_id
        if other in merged:
            pair.delete()
            continue
        a, b = min(target_id, other), max(target_id, other)
        existing = PossibleDuplicate.objects.filter(contact_a_id=a, contact_b_id=b).first()
        if existing is not None:
            if pair.dismissed_at and not existing.dismissed_at:
                existing.dismissed_at, existing.dismissed_by_id = pair.dismissed_at, pair.dismissed_by_id
                existing.save(update_fields=["dismissed_at", "dismissed_by"])
            pair.delete()
        else:
            pair.contact_a_id, pair.contact_b_id = a, b
            pair.save(update_fields=["contact_a", "contact_b"])
