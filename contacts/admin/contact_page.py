"""The contact page's read-only panels."""

from django.contrib import admin


class ContactPageMixin(admin.ModelAdmin):
    pass
