from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from contacts.api.views import ContactAppendOrCreateApi
from contacts.views import ContactFormView, contact_thanks
from crmsite.health import health

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="contact-form", permanent=False)),
    path("contact/", ContactFormView.as_view(), name="contact-form"),
    path("contact/thanks/", contact_thanks, name="contact-thanks"),
    path("api/contacts/append-or-create/", ContactAppendOrCreateApi.as_view(), name="contact-append-or-create"),
    # The back-office API for integrations (tokens or staff sessions): contacts/backoffice/.
    path("api/", include("contacts.backoffice.urls_read")),
    path("api/", include("contacts.backoffice.urls_manage")),
    path("api/", include("contacts.backoffice.urls_export")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("members/", include("members.urls")),
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
]

handler404 = "crmsite.middleware.not_found"  # /api/: JSON
handler500 = "crmsite.middleware.server_error"  # a database outage inside a middleware: 503
