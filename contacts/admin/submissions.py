from typing import Any

from django.contrib import admin

from contacts.models import Submission


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "identity_type", "matched_by", "new_contact", "contact"]
    list_filter = ["channel", "identity_type", "new_contact"]
    list_select_related = ["contact"]
    readonly_fields = [f.name for f in Submission._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
