"""Possible duplicates recorded by reconcile: merge them, or mark them 'not a duplicate' so
they are never suggested again (the pair's row stays, and reconcile never re-adds a pair)."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from contacts.admin.merge import merge_url
from contacts.models import PossibleDuplicate


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("open", "Open"), ("dismissed", "Not a duplicate"), ("all", "All")]

    def choices(self, changelist: Any) -> Any:
        for choice in super().choices(changelist):
            if choice["display"] == "All" and choice["query_string"].endswith("?"):
                continue  # 'All' is one of our own lookups
            yield choice

    def value(self) -> str:
        return super().value() or "open"

    def queryset(self, request: HttpRequest, queryset: QuerySet[PossibleDuplicate]) -> QuerySet[PossibleDuplicate]:
        if self.value() == "open":
            return queryset.filter(dismissed_at__isnull=True)
        if self.value() == "dismissed":
            return queryset.filter(dismissed_at__isnull=False)
        return queryset


@admin.register(PossibleDuplicate)
class PossibleDuplicateAdmin(admin.ModelAdmin):
    list_display = ["contact_a", "contact_b", "reason", "created_at", "status", "merge_link"]
    list_select_related = ["contact_a", "contact_b"]
    list_filter = [StatusFilter]
    readonly_fields = ["contact_a", "contact_b", "submission", "reason", "created_at", "dismissed_at", "dismissed_by"]
    actions = ["mark_not_duplicate"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="status")
    def status(self, pair: PossibleDuplicate) -> str:
        return "not a duplicate" if pair.dismissed_at else "open"

    @admin.display(description="")
    def merge_link(self, pair: PossibleDuplicate) -> str:
        if pair.dismissed_at:
            return ""
        return format_html('<a href="{}">Merge…</a>', merge_url([pair.contact_a_id, pair.contact_b_id]))

    @admin.action(description="Not a duplicate: never suggest again", permissions=["change"])
    def mark_not_duplicate(self, request: HttpRequest, queryset: QuerySet[PossibleDuplicate]) -> None:
        count = queryset.filter(dismissed_at__isnull=True).update(dismissed_at=timezone.now(), dismissed_by=request.user)
        self.message_user(request, f"Marked {count} pair{'s' if count != 1 else ''} as not a duplicate.",
                          messages.SUCCESS)
