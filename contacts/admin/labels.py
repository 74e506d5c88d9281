"""Labels and extended fields (wix-contacts.md §7, §8). The key is generated on creation and
never edited; deleting one takes it off every contact, after a confirmation that says how many
contacts that is. System ones are managed by the site, not deleted by staff."""

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from contacts.enums import FieldType, LabelType
from contacts.labels import (
    extended_field_contact_count,
    extended_field_delete,
    extended_field_insert,
    label_contact_count,
    label_delete,
    label_insert,
)
from contacts.models import ExtendedField, Label

DELETE_CONFIRMATION = "admin/contacts/delete_keyed_confirmation.html"


def _contacts(n: int) -> str:
    return f"{n} contact{'' if n == 1 else 's'}"


class KeyedAdmin(admin.ModelAdmin):
    """What labels and extended fields share: a generated, read-only key and a delete that
    reaches into contacts (so it is confirmed one at a time, with the count)."""

    delete_confirmation_template = DELETE_CONFIRMATION
    search_fields = ["display_name", "key"]

    def affected_message(self, obj: Any) -> str:
        raise NotImplementedError

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # its confirmation cannot say what each delete removes
        return actions

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        # Removing it from contacts is part of deleting it (Wix deleteLabel / deleteExtendedField),
        # not a separate deletion the user needs rights for; the page states the count instead
        # of listing every contact row.
        objs = list(objs)
        return [str(o) for o in objs], {str(self.opts.verbose_name_plural): len(objs)}, set(), []

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
                    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        if request.method != "POST":
            obj = self.get_object(request, unquote(object_id))
            if obj is not None:
                extra_context["affected_message"] = self.affected_message(obj)
        return super().delete_view(request, object_id, extra_context)


@admin.register(Label)
class LabelAdmin(KeyedAdmin):
    list_display = ["display_name", "key", "label_type", "contact_count"]
    list_filter = ["label_type"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Label]:
        return super().get_queryset(request).annotate(contact_count=Count("contactlabel"))

    @admin.display(description="contacts", ordering="contact_count")
    def contact_count(self, obj: Label) -> int:
        return obj.contact_count  # type: ignore[attr-defined]

    def get_fields(self, request: HttpRequest, obj: Label | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("display_name",)
        return ("key", "display_name", "label_type", "created_at", "updated_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Label | None = None) -> list[str]:
        return [] if obj is None else ["key", "label_type", "created_at", "updated_at"]

    def save_model(self, request: HttpRequest, obj: Label, form: Any, change: bool) -> None:
        if change:
            obj.save(update_fields=["display_name", "updated_at"])  # a rename: the key stays
        else:
            obj.label_type = LabelType.USER_DEFINED
            label_insert(obj)

    def has_delete_permission(self, request: HttpRequest, obj: Label | None = None) -> bool:
        if obj is not None and obj.label_type == LabelType.SYSTEM:
            return False
        return super().has_delete_permission(request, obj)

    def affected_message(self, obj: Label) -> str:
        return f"This removes the label from {_contacts(label_contact_count(obj))}."

    def delete_model(self, request: HttpRequest, obj: Label) -> None:
        label_delete(label=obj, now=timezone.now())


@admin.register(ExtendedField)
class ExtendedFieldAdmin(KeyedAdmin):
    list_display = ["display_name", "key", "data_type", "field_type"]
    list_filter = ["data_type", "field_type"]

    def get_fields(self, request: HttpRequest, obj: ExtendedField | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("display_name", "data_type")
        return ("key", "display_name", "data_type", "field_type", "created_at", "updated_at")

    def get_readonly_fields(self, request: HttpRequest, obj: ExtendedField | None = None) -> list[str]:
        if obj is None:
            return []
        fixed = ["key", "data_type", "field_type", "created_at", "updated_at"]
        # System fields cannot be renamed (wix-contacts.md §8).
        return ["display_name", *fixed] if obj.field_type == FieldType.SYSTEM else fixed

    def save_model(self, request: HttpRequest, obj: ExtendedField, form: Any, change: bool) -> None:
        if change:
            obj.save(update_fields=["display_name", "updated_at"])
        else:
            obj.field_type = FieldType.USER_DEFINED
            extended_field_insert(obj)

    def has_delete_permission(self, request: HttpRequest, obj: ExtendedField | None = None) -> bool:
        if obj is not None and obj.field_type == FieldType.SYSTEM:
            return False
        return super().has_delete_permission(request, obj)

    def affected_message(self, obj: ExtendedField) -> str:
        return f"This removes the field and its value from {_contacts(extended_field_contact_count(obj))}."

    def delete_model(self, request: HttpRequest, obj: ExtendedField) -> None:
        extended_field_delete(field=obj, now=timezone.now())
