"""Basic staff admin; the full staff experience is issue 3. Emails and phones typed here go
through the same normalisers as the service, and the unique match keys still hold."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.core.exceptions import ValidationError
from django.utils import timezone

from contacts.models import (
    Address,
    Contact,
    ContactLabel,
    Email,
    ExtendedField,
    Label,
    Phone,
    PossibleDuplicate,
    Submission,
    VisitorLink,
    VisitorSession,
)
from contacts.normalize import address_key, normalize_email, normalize_phone
from contacts.payload import AddressInput


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
            clash = Email.objects.filter(key=normalized.key).exclude(pk=self.instance.pk).first()
            if clash is not None:
                raise ValidationError({"email": f"This email already belongs to contact {clash.contact_id}."})
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
            clash = Phone.objects.filter(key=normalized.key).exclude(pk=self.instance.pk).first()
            if clash is not None:
                raise ValidationError({"phone": f"This phone already belongs to contact {clash.contact_id}."})
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
class ContactAdmin(admin.ModelAdmin):
    list_display = ["__str__", "company", "source_type", "created_at", "last_activity_type", "last_activity_at"]
    list_filter = ["source_type", "labels"]
    search_fields = ["first_name", "last_name", "company", "emails__key", "phones__key"]
    readonly_fields = ["id", "revision", "created_at", "updated_at", "last_activity_type", "last_activity_at"]
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


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["display_name", "key", "label_type"]
    search_fields = ["display_name", "key"]


@admin.register(ExtendedField)
class ExtendedFieldAdmin(admin.ModelAdmin):
    list_display = ["display_name", "key", "data_type", "field_type"]
    search_fields = ["display_name", "key"]


class VisitorLinkInline(admin.TabularInline):
    model = VisitorLink
    extra = 0
    readonly_fields = ["contact", "linked_at", "unlinked_at"]
    can_delete = False


@admin.register(VisitorSession)
class VisitorSessionAdmin(admin.ModelAdmin):
    list_display = ["id", "contact", "first_seen", "last_seen"]
    list_select_related = ["contact"]
    readonly_fields = ["id", "contact", "first_seen", "last_seen"]
    inlines = [VisitorLinkInline]
    show_full_result_count = False


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "identity_type", "matched_by", "new_contact", "contact"]
    list_filter = ["channel", "identity_type", "new_contact"]
    list_select_related = ["contact"]
    readonly_fields = [f.name for f in Submission._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(PossibleDuplicate)
class PossibleDuplicateAdmin(admin.ModelAdmin):
    list_display = ["contact_a", "contact_b", "reason", "created_at"]
    list_select_related = ["contact_a", "contact_b"]
    readonly_fields = ["contact_a", "contact_b", "submission", "reason", "created_at"]
