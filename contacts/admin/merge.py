"""Merging contacts from the admin: an action, a button and a confirmation page."""

from django.contrib import admin


class ContactMergeMixin(admin.ModelAdmin):
    pass
