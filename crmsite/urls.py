from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from contacts.api.views import ContactAppendOrCreateApi
from contacts.views import ContactFormView, contact_thanks

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="contact-form", permanent=False)),
    path("contact/", ContactFormView.as_view(), name="contact-form"),
    path("contact/thanks/", contact_thanks, name="contact-thanks"),
    path("api/contacts/append-or-create/", ContactAppendOrCreateApi.as_view(), name="contact-append-or-create"),
    path("members/", include("members.urls")),
    path("admin/", admin.site.urls),
]
