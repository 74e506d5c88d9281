"""The contact list: columns, search and filters."""

from django.contrib import admin


class ContactListMixin(admin.ModelAdmin):
    list_display = ["__str__", "company", "source_type", "created_at", "last_activity_type", "last_activity_at"]
    list_filter = ["source_type", "labels"]
    search_fields = ["first_name", "last_name", "company", "emails__key", "phones__key"]
