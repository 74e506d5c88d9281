"""The ledger in the admin: read-only, filterable by channel and identity type, and by
`contact__id__exact` / `visitor__id__exact` so the contact and visitor pages link into it.
Its URLs also carry the growth dashboard (dashboard.py)."""

import json
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from contacts.admin.dashboard import growth_view
from contacts.admin.readonly import ReadOnlyAdmin
from contacts.models import Submission
from contacts.reconcile import plan

# The ledger stores reason codes (contacts/reconcile/plan.py); staff read them as sentences.
REASONS = {
    plan.ALREADY_ON_CONTACT: "already on the contact",
    plan.FIELD_NOT_EMPTY: "the field already has a value",
    plan.BELONGS_TO_OTHER_CONTACT: "belongs to another contact",
    plan.CONTACT_LIMIT: "the contact has reached its limit",
    plan.DUPLICATE_IN_REQUEST: "given twice in this submission",
    plan.PRIMARY_KEPT: "the contact's primary was kept",
    plan.NOT_AUTHENTICATED_MEMBER: "belongs to a member who was not logged in",
}


@dataclass(frozen=True)
class ChangeRow:
    """One entry of a submission's `written` or `skipped` list, ready to show."""

    outcome: str  # "written" or "skipped"
    field: str
    value: str
    reason: str = ""  # the stored code
    reason_text: str = ""


def submission_changes(submission: Submission) -> list[ChangeRow]:
    """What `submission` wrote, then what it skipped and why."""
    rows = [ChangeRow("written", str(e.get("field", "")), _display(e.get("value"))) for e in submission.written]
    rows += [
        ChangeRow("skipped", str(e.get("field", "")), _display(e.get("value")), str(e.get("reason", "")),
                  REASONS.get(str(e.get("reason", "")), str(e.get("reason", ""))))
        for e in submission.skipped
    ]
    return rows


def submission_changes_html(submission: Submission) -> SafeString:
    return render_to_string("admin/contacts/submission/changes.html", {"rows": submission_changes(submission)})


def _display(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def contact_admin_link(contact_id: Any, text: Any) -> SafeString:
    return format_html('<a href="{}">{}</a>', reverse("admin:contacts_contact_change", args=[contact_id]), text)


def visitor_admin_link(visitor_id: Any) -> SafeString:
    return format_html('<a href="{}">{}</a>', reverse("admin:contacts_visitorsession_change", args=[visitor_id]),
                       visitor_id)


def submissions_url(**filters: Any) -> str:
    """The Submission changelist filtered by e.g. `contact=<id>` or `visitor=<id>`."""
    query = "&".join(f"{name}__id__exact={value}" for name, value in filters.items())
    return f"{reverse('admin:contacts_submission_changelist')}?{query}"


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "channel", "identity_type", "matched_by", "new_contact", "contact_column",
                    "visitor_column"]
    list_filter = ["channel", "identity_type", "new_contact"]
    list_select_related = ["contact"]
    show_full_result_count = False
    readonly_fields = [
        "id", "created_at", "channel", "step_order", "identity_type", "matched_by", "new_contact",
        "contact_column", "visitor_column", "user", "message", "changes", "payload_json",
    ]
    fields = list(readonly_fields)

    def get_urls(self) -> list[URLPattern]:
        growth = self.admin_site.admin_view(lambda request: growth_view(request, model_admin=self))
        return [path("dashboard/", growth, name="contacts_growth"), *super().get_urls()]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Submission]:
        return super().get_queryset(request).select_related("contact", "user")

    @admin.display(description="contact", ordering="contact")
    def contact_column(self, obj: Submission) -> SafeString:
        return contact_admin_link(obj.contact_id, obj.contact)

    @admin.display(description="visitor")
    def visitor_column(self, obj: Submission) -> SafeString | str:
        return visitor_admin_link(obj.visitor_id) if obj.visitor_id else "—"

    @admin.display(description="written and skipped")
    def changes(self, obj: Submission) -> SafeString:
        return submission_changes_html(obj)

    @admin.display(description="payload")
    def payload_json(self, obj: Submission) -> SafeString:
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False))
