"""A site member: a Django user with exactly one contact (decisions.md §3)."""

from django.conf import settings
from django.db import models

from contacts.models import Contact


class Member(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "ACTIVE"
        BLOCKED = "BLOCKED"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member")
    contact = models.OneToOneField(Contact, on_delete=models.PROTECT, related_name="member")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    signup_date = models.DateTimeField()

    class Meta:
        ordering = ["-signup_date"]

    def __str__(self) -> str:
        return self.user.get_username()
