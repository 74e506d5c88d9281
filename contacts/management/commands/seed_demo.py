"""Create the demo labels and extended fields `make run` shows (idempotent)."""

from typing import Any

from django.core.management.base import BaseCommand

from contacts.enums import DataType, LabelType
from contacts.models import ExtendedField, Label

LABELS = [
    ("contacts.contacted-me", "Contacted Me", LabelType.SYSTEM),
    ("contacts.customers", "Customers", LabelType.SYSTEM),
    ("custom.vip", "VIP", LabelType.USER_DEFINED),
    ("custom.newsletter", "Newsletter", LabelType.USER_DEFINED),
]
FIELDS = [
    ("custom.notes", "Notes", DataType.TEXT),
    ("custom.budget", "Budget", DataType.NUMBER),
    ("custom.next-call", "Next call", DataType.DATE),
    ("custom.website", "Website", DataType.URL),
]


class Command(BaseCommand):
    help = "Create the demo labels and extended fields (safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        for key, name, label_type in LABELS:
            Label.objects.get_or_create(key=key, defaults={"display_name": name, "label_type": label_type})
        for key, name, data_type in FIELDS:
            ExtendedField.objects.get_or_create(key=key, defaults={"display_name": name, "data_type": data_type})
        self.stdout.write(f"Demo data ready: {len(LABELS)} labels, {len(FIELDS)} extended fields.")
