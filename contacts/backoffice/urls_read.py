"""Back-office API routes to read, query and update contacts (see crmsite/urls.py)."""

from django.urls import URLPattern, path

from contacts.backoffice.read_views import ContactApi, ContactQueryApi, ContactSubmissionsApi

urlpatterns: list[URLPattern] = [
    path("contacts/", ContactQueryApi.as_view(), name="backoffice-contact-query"),
    path("contacts/<uuid:contact_id>/", ContactApi.as_view(), name="backoffice-contact"),
    path("contacts/<uuid:contact_id>/submissions/", ContactSubmissionsApi.as_view(),
         name="backoffice-contact-submissions"),
]
