"""Exporting contacts from the admin: "Export CSV" / "Export JSONL" on the contact list export
what the list shows (its filters and search, every page), and the "Export selected contacts"
actions export the ticked rows. Streaming and the file formats live in `contacts.export`.

Permission: `contacts.import_contact` ("Can import and export contacts", the integration
token scope of the same name) together with view permission on contacts."""

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IS_POPUP_VAR, IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG, PAGE_VAR
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from contacts.export import ExportFormat, contact_export_response
from contacts.models import Contact

EXPORT_PERMISSION = "contacts.import_contact"


class ContactExportMixin(admin.ModelAdmin):
    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(EXPORT_PERMISSION) and self.has_view_permission(request)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.export_view)
        return [path("export/<str:export_format>/", view, name="contacts_contact_export"), *super().get_urls()]

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Added here rather than through `actions`, which only the first class in the MRO
        # declaring it would get to set.
        actions = super().get_actions(request)
        if self.actions is None or IS_POPUP_VAR in request.GET or not self.has_export_permission(request):
            return actions
        for name in ("export_selected_csv", "export_selected_jsonl"):
            action = self.get_action(name)
            if action is not None:
                actions[name] = action
        return actions

    @admin.action(description="Export selected contacts as CSV", permissions=["export"])
    def export_selected_csv(self, request: HttpRequest, queryset: QuerySet[Contact]) -> HttpResponseBase:
        return contact_export_response(queryset, export_format=ExportFormat.CSV, now=timezone.now())

    @admin.action(description="Export selected contacts as JSONL", permissions=["export"])
    def export_selected_jsonl(self, request: HttpRequest, queryset: QuerySet[Contact]) -> HttpResponseBase:
        return contact_export_response(queryset, export_format=ExportFormat.JSONL, now=timezone.now())

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if self.has_export_permission(request) and IS_POPUP_VAR not in request.GET:
            query = request.GET.copy()
            for name in (PAGE_VAR, ERROR_FLAG):
                query.pop(name, None)
            suffix = f"?{query.urlencode()}" if query else ""
            extra_context = {**(extra_context or {}), "export_links": [
                (f"Export {fmt.name}", reverse("admin:contacts_contact_export", args=[fmt.value]) + suffix)
                for fmt in ExportFormat
            ]}
        return super().changelist_view(request, extra_context)

    def export_view(self, request: HttpRequest, export_format: str) -> HttpResponseBase:
        """The list's contacts as the list filters and searches them (the same GET parameters),
        all pages; merged contacts only when the list shows them."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        try:
            fmt = ExportFormat(export_format)
        except ValueError:
            raise Http404(f"No export format {export_format!r}.") from None
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(f"{reverse('admin:contacts_contact_changelist')}?{ERROR_FLAG}=1")
        return contact_export_response(changelist.queryset, export_format=fmt, now=timezone.now())
