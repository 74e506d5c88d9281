from django.contrib import admin

from members.models import Member


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["user", "contact", "status", "signup_date"]
    list_select_related = ["user", "contact"]
    list_filter = ["status"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user", "contact"]
