"""Importing contacts from the admin: "Import contacts" on the contact list opens a form with a
file and its format; the upload runs the same `contact_import` as `manage.py import_contacts`
(synchronously) and the page shows the summary and the bad rows.

Permission: `contacts.import_contact` ("Can import and export contacts") together with add
permission on contacts."""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from contacts.importer import FORMATS, ImportFileError, contact_import

IMPORT_PERMISSION = "contacts.import_contact"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # ~100,000 rows of CSV; bigger files: manage.py import_contacts
SHOWN_BAD_ROWS = 200


class ContactImportForm(forms.Form):
    file = forms.FileField(help_text=f"CSV (with a header row) or JSON Lines, at most "
                                     f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    format = forms.ChoiceField(choices=[(f, f.upper() if f == "csv" else "JSON Lines") for f in FORMATS])

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / (1024 * 1024):.1f} MB; the limit here is "
                f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB. Import larger files with manage.py import_contacts.")
        return upload


class ContactImportMixin(admin.ModelAdmin):
    def has_import_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(IMPORT_PERMISSION) and self.has_add_permission(request)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="contacts_contact_import"), *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if self.has_import_permission(request):
            extra_context = {**(extra_context or {}), "import_url": reverse("admin:contacts_contact_import")}
        return super().changelist_view(request, extra_context)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        report, error = None, ""
        if request.method == "POST":
            form = ContactImportForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                try:
                    report = contact_import(upload, file_format=form.cleaned_data["format"])
                except ImportFileError as exc:
                    error = str(exc)
        else:
            form = ContactImportForm()
        context = {
            **self.admin_site.each_context(request),
            "title": "Import contacts",
            "opts": self.model._meta,
            "form": form,
            "report": report,
            "bad_rows": report.bad_rows[:SHOWN_BAD_ROWS] if report else [],
            "more_bad_rows": max(0, report.rejected - SHOWN_BAD_ROWS) if report else 0,
            "error": error,
        }
        status = 400 if request.method == "POST" and (error or not form.is_valid()) else 200
        return TemplateResponse(request, "admin/contacts/contact/import.html", context, status=status)
