from django.contrib import admin

from contacts.models import ExtendedField, Label


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["display_name", "key", "label_type"]
    search_fields = ["display_name", "key"]


@admin.register(ExtendedField)
class ExtendedFieldAdmin(admin.ModelAdmin):
    list_display = ["display_name", "key", "data_type", "field_type"]
    search_fields = ["display_name", "key"]
