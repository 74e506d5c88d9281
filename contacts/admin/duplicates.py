from django.contrib import admin

from contacts.models import PossibleDuplicate


@admin.register(PossibleDuplicate)
class PossibleDuplicateAdmin(admin.ModelAdmin):
    list_display = ["contact_a", "contact_b", "reason", "created_at"]
    list_select_related = ["contact_a", "contact_b"]
    readonly_fields = ["contact_a", "contact_b", "submission", "reason", "created_at"]
