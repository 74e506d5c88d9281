"""The contact page's read-only panels: member, linked visitors, contacts merged into this one,
possible duplicates, and the timeline of submissions with what each wrote and skipped.

`contact_page_panels` reads them in a fixed number of queries, whatever the contact's history;
each list is bounded and says when there is more. The panels are drawn by
templates/admin/contacts/contact/change_form.html, which also leaves a `merge_button` block
next to the object tools.
"""

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse

from contacts.admin.submissions import ChangeRow, submission_changes, submissions_url
from contacts.models import Contact, ContactMerge, PossibleDuplicate, Submission, VisitorLink
from members.models import Member

TIMELINE_LIMIT = 50
PANEL_LIMIT = 50


@dataclass(frozen=True)
class Duplicate:
    other: Contact
    reason: str
    created_at: datetime.datetime


@dataclass(frozen=True)
class TimelineEntry:
    submission: Submission
    changes: list[ChangeRow]


@dataclass(frozen=True)
class ContactPanels:
    member: Member | None
    visitor_links: list[VisitorLink]
    visitor_links_more: bool
    merged_sources: list[ContactMerge]
    merged_sources_more: bool
    duplicates: list[Duplicate]
    duplicates_more: bool
    timeline: list[TimelineEntry]
    timeline_more: bool
    submissions_url: str


def contact_page_panels(contact_id: uuid.UUID) -> ContactPanels:
    """Everything the contact page shows beside the contact's own fields, in five queries."""
    member = Member.objects.select_related("user").filter(contact_id=contact_id).first()
    links = _bounded(
        VisitorLink.objects.filter(contact_id=contact_id).select_related("visitor").order_by("-linked_at", "-id"),
        PANEL_LIMIT,
    )
    merges = _bounded(
        ContactMerge.objects.filter(target_id=contact_id).select_related("source", "merged_by")
        .order_by("-merged_at", "-id"),
        PANEL_LIMIT,
    )
    pairs = _bounded(
        PossibleDuplicate.objects.filter(Q(contact_a_id=contact_id) | Q(contact_b_id=contact_id),
                                         dismissed_at__isnull=True)
        .select_related("contact_a", "contact_b").order_by("-created_at", "-id"),
        PANEL_LIMIT,
    )
    submissions = _bounded(
        Submission.objects.filter(contact_id=contact_id).defer("payload").order_by("-created_at", "-id"),
        TIMELINE_LIMIT,
    )
    return ContactPanels(
        member=member,
        visitor_links=links[0],
        visitor_links_more=links[1],
        merged_sources=merges[0],
        merged_sources_more=merges[1],
        duplicates=[
            Duplicate(pair.contact_b if pair.contact_a_id == contact_id else pair.contact_a, pair.reason,
                      pair.created_at)
            for pair in pairs[0]
        ],
        duplicates_more=pairs[1],
        timeline=[TimelineEntry(s, submission_changes(s)) for s in submissions[0]],
        timeline_more=submissions[1],
        submissions_url=submissions_url(contact=contact_id),
    )


def _bounded(queryset: QuerySet[Any], limit: int) -> tuple[list[Any], bool]:
    """The first `limit` rows and whether there are more, in one query."""
    rows = list(queryset[: limit + 1])
    return rows[:limit], len(rows) > limit


class ContactPageMixin(admin.ModelAdmin):
    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if obj is not None and obj.pk is not None and not add:
            context["panels"] = contact_page_panels(obj.pk)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)
