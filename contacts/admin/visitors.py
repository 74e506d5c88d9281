"""Visitor identities (decisions.md §2), read-only: which contact each browser is linked to,
its earlier links, and its submissions."""

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from contacts.admin.submissions import contact_admin_link, submissions_url
from contacts.admin.readonly import ReadOnlyAdmin
from contacts.models import Submission, VisitorLink, VisitorSession

PANEL_LIMIT = 50


class LinkedFilter(admin.SimpleListFilter):
    title = "linked to a contact"
    parameter_name = "linked"

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Linked"), ("no", "Not linked")]

    def queryset(self, request: Any, queryset: QuerySet[VisitorSession]) -> QuerySet[VisitorSession]:
        if self.value() == "yes":
            return queryset.filter(contact__isnull=False)
        if self.value() == "no":
            return queryset.filter(contact__isnull=True)
        return queryset


@admin.register(VisitorSession)
class VisitorSessionAdmin(ReadOnlyAdmin):
    list_display = ["id", "contact_column", "first_seen", "last_seen", "submission_count"]
    list_select_related = ["contact"]
    list_filter = [LinkedFilter]
    search_fields = ["=id"]
    show_full_result_count = False
    readonly_fields = ["id", "contact_column", "first_seen", "last_seen", "links_panel", "submissions_panel"]
    fields = list(readonly_fields)

    def get_queryset(self, request: HttpRequest) -> QuerySet[VisitorSession]:
        return super().get_queryset(request).annotate(submission_count=Count("submissions"))

    @admin.display(description="contact", ordering="contact")
    def contact_column(self, obj: VisitorSession) -> SafeString | str:
        return contact_admin_link(obj.contact_id, obj.contact) if obj.contact_id else "—"

    @admin.display(description="submissions", ordering="submission_count")
    def submission_count(self, obj: VisitorSession) -> int:
        return obj.submission_count  # type: ignore[attr-defined]

    @admin.display(description="links")
    def links_panel(self, obj: VisitorSession) -> SafeString:
        links = list(VisitorLink.objects.filter(visitor=obj).select_related("contact")
                     .order_by("-linked_at", "-id")[:PANEL_LIMIT])
        return render_to_string("admin/contacts/visitorsession/links.html", {"links": links, "limit": PANEL_LIMIT})

    @admin.display(description="submissions")
    def submissions_panel(self, obj: VisitorSession) -> SafeString:
        submissions = list(Submission.objects.filter(visitor=obj).select_related("contact").defer("payload")
                           .order_by("-created_at", "-id")[:PANEL_LIMIT])
        return render_to_string("admin/contacts/visitorsession/submissions.html", {
            "submissions": submissions,
            "total": obj.submission_count,  # type: ignore[attr-defined]
            "url": submissions_url(visitor=obj.pk),
        })
