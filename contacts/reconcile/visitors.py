"""The visitor side of a reconcile: one `VisitorSession` row per visitor id, linked to at most
one contact at a time, with every earlier link kept as history (decisions.md §2)."""

import datetime
import uuid
from dataclasses import dataclass

from contacts.models import VisitorLink, VisitorSession
from contacts.visitor import VisitorIdentity


@dataclass(frozen=True)
class VisitorRow:
    id: uuid.UUID
    contact_id: uuid.UUID | None
    contact_is_member: bool
    created: bool


def record_visitor(visitor: VisitorIdentity, now: datetime.datetime) -> VisitorRow:
    """Read (or create, on its first submission) the visitor's row. Called under the visitor's
    advisory lock, so two requests from one browser cannot both create or link it."""
    row = (
        VisitorSession.objects.filter(pk=visitor.id)
        .values_list("contact_id", "contact__member__id")
        .first()
    )
    if row is not None:
        return VisitorRow(visitor.id, row[0], row[1] is not None, created=False)
    VisitorSession.objects.create(id=visitor.id, first_seen=min(visitor.issued_at, now), last_seen=now)
    return VisitorRow(visitor.id, None, False, created=True)


def touch_visitor(row: VisitorRow, now: datetime.datetime, *, link_to: uuid.UUID | None) -> None:
    """Mark the visitor seen and, when `link_to` is another contact, move its current link."""
    if link_to is None or link_to == row.contact_id:
        if not row.created:
            VisitorSession.objects.filter(pk=row.id).update(last_seen=now)
        return
    if row.contact_id is not None:
        VisitorLink.objects.filter(visitor_id=row.id, unlinked_at__isnull=True).update(unlinked_at=now)
    VisitorLink.objects.create(visitor_id=row.id, contact_id=link_to, linked_at=now)
    VisitorSession.objects.filter(pk=row.id).update(contact_id=link_to, last_seen=now)
