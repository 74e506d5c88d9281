"""Back-office API routes (see crmsite/urls.py): the streaming export."""

from django.urls import URLPattern, path

from contacts.backoffice.export_views import ContactExportApi

urlpatterns: list[URLPattern] = [
    path("contacts/export/", ContactExportApi.as_view(), name="contacts-export"),
]
