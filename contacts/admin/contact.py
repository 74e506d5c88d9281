"""Basic staff admin; the full staff experience is issue 3. Emails and phones typed here go
through the same normalisers as the service, and the unique match keys still hold."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from contacts.admin.contact_list import ContactListMixin
from contacts.admin.contact_page import ContactPageMixin
from contacts.admin.exporting import ContactExportMixin
from contacts.admin.importing import ContactImportMixin
from contacts.admin.merge import ContactMergeMixin
from contacts.models import Address, Contact, ContactLabel, Email, Phone
from contacts.normalize import address_key, normalize_email, normalize_phone
from contacts.payload import AddressInput


def _other_owner(model: type[Email] | type[Phone], key: str, instance: Email | Phone) -> Contact | None:
    """The other contact that already owns this match key. A row of this same contact is not a
    clash: the formset checks repeats within the contact, and deletions are saved first."""
    clash = model.objects.filter(key=key).exclude(pk=instance.pk).select_related("contact").first()
    if clash is None or (instance.contact_id is not None and clash.contact_id == instance.contact_id):
        return None
    return clash.contact


def _owned_elsewhere(kind: str, owner: Contact) -> SafeString:
    url = reverse("admin:contacts_contact_change", args=[owner.pk])
    return format_html('This {} already belongs to <a href="{}">{}</a>.', kind, url, owner)


class EmailInlineForm(forms.ModelForm):
    class Meta:
        model = Email
        fields = ["email", "tag", "primary"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("email"):
            normalized = normalize_email(cleaned["email"])
            cleaned["email"], self.instance.key = normalized.email, normalized.key
            owner = _other_owner(Email, normalized.key, self.instance)
            if owner is not None:
                raise ValidationError({"email": _owned_elsewhere("email", owner)})
        return cleaned


class PhoneInlineForm(forms.ModelForm):
    class Meta:
        model = Phone
        fields = ["phone", "country_code", "tag", "primary"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("phone"):
            try:
                normalized = normalize_phone(cleaned["phone"], cleaned.get("country_code"))
            except ValidationError as exc:
                raise ValidationError({"phone": exc.messages}) from exc
            self.instance.key, self.instance.e164 = normalized.key, normalized.e164 or ""
            owner = _other_owner(Phone, normalized.key, self.instance)
            if owner is not None:
                raise ValidationError({"phone": _owned_elsewhere("phone", owner)})
        return cleaned


class ContactItemFormSet(forms.BaseInlineFormSet):
    """Checks across the contact's rows what the database would otherwise refuse with an error
    page: one match key twice, or more than one primary (decisions.md §7, §9)."""

    def item_key(self, form: forms.ModelForm) -> str:
        return str(form.instance.key)

    def clean(self) -> None:
        super().clean()
        kept = [f for f in self.forms
                if getattr(f, "cleaned_data", None) and not f.errors and not f.cleaned_data.get("DELETE")]
        keys = [self.item_key(f) for f in kept]
        if len(keys) != len(set(keys)):
            raise ValidationError("The same entry is listed twice.")
        if sum(1 for f in kept if f.cleaned_data.get("primary")) > 1:
            raise ValidationError("A contact has at most one primary: untick the others.")


class AddressFormSet(ContactItemFormSet):
    def item_key(self, form: forms.ModelForm) -> str:
        return address_key(tuple(form.cleaned_data.get(n) or "" for n in AddressInput.TEXT_FIELDS))


class EmailInline(admin.TabularInline):
    model = Email
    form = EmailInlineForm
    formset = ContactItemFormSet
    extra = 0


class PhoneInline(admin.TabularInline):
    model = Phone
    form = PhoneInlineForm
    formset = ContactItemFormSet
    extra = 0
    readonly_fields = ["e164"]


class AddressInline(admin.StackedInline):
    model = Address
    formset = AddressFormSet
    extra = 0
    exclude = ["key", "created_at"]


class ContactLabelInline(admin.TabularInline):
    model = ContactLabel
    extra = 0
    exclude = ["created_at"]


@admin.register(Contact)
class ContactAdmin(
    ContactImportMixin, ContactExportMixin, ContactMergeMixin, ContactPageMixin, ContactListMixin, admin.ModelAdmin
):
    """Composed by topic: the list (contact_list.py), the page's read-only panels
    (contact_page.py) and merging (merge.py); editing the contact's rows is here."""

    # merged_into changes only through the merge service (and as a select it would list every
    # contact); the source and activity are the system's record of how the contact came to be.
    readonly_fields = ["id", "revision", "source_type", "merged_into", "created_at", "updated_at",
                       "last_activity_type", "last_activity_at"]
    inlines = [EmailInline, PhoneInline, AddressInline, ContactLabelInline]
    show_full_result_count = False
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_formset(self, request: Any, form: Any, formset: Any, change: bool) -> None:
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:  # first, so a deleted key or primary can be re-added
            obj.delete()
        # Rows losing their primary flag are saved first, so moving it is never two primaries at once.
        for instance in sorted(instances, key=lambda i: bool(getattr(i, "primary", False))):
            if getattr(instance, "created_at", None) is None and hasattr(instance, "created_at"):
                instance.created_at = timezone.now()
            if isinstance(instance, Address):
                instance.key = AddressInput(**{n: getattr(instance, n) for n in AddressInput.TEXT_FIELDS}).key
            instance.save()
        formset.save_m2m()

    def save_model(self, request: Any, obj: Contact, form: Any, change: bool) -> None:
        now = timezone.now()
        if not change:
            obj.created_at = now
        obj.updated_at = now
        if change:
            obj.revision += 1
        super().save_model(request, obj, form, change)
