from django.contrib import admin

from contacts.models import VisitorLink, VisitorSession


class VisitorLinkInline(admin.TabularInline):
    model = VisitorLink
    extra = 0
    readonly_fields = ["contact", "linked_at", "unlinked_at"]
    can_delete = False


@admin.register(VisitorSession)
class VisitorSessionAdmin(admin.ModelAdmin):
    list_display = ["id", "contact", "first_seen", "last_seen"]
    list_select_related = ["contact"]
    readonly_fields = ["id", "contact", "first_seen", "last_seen"]
    inlines = [VisitorLinkInline]
    show_full_result_count = False
