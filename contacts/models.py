"""The contacts data model.

Match keys (`Email.key`, `Phone.key`) are computed in Python by `contacts.normalize` and
stored in plain columns with plain unique constraints: one key belongs to at most one
contact, whoever writes (service, admin, shell). One primary email and one primary phone per
contact is a partial unique constraint.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from phonenumber_field.modelfields import PhoneNumberField

from contacts import limits
from contacts.enums import (
    ActivityType,
    AddressTag,
    Channel,
    DataType,
    EmailTag,
    FieldType,
    IdentityType,
    LabelType,
    PhoneTag,
    SourceType,
    StepOrder,
)


class Contact(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    first_name = models.CharField(max_length=limits.NAME_PART, blank=True)
    last_name = models.CharField(max_length=limits.NAME_PART, blank=True)
    company = models.CharField(max_length=limits.COMPANY, blank=True)
    job_title = models.CharField(max_length=limits.JOB_TITLE, blank=True)
    birthdate = models.DateField(null=True, blank=True)
    locale = models.CharField(max_length=limits.LOCALE, blank=True)
    picture = models.URLField(max_length=limits.URL, blank=True)
    extended_fields = models.JSONField(default=dict, blank=True)
    labels: "models.ManyToManyField[Label, ContactLabel]" = models.ManyToManyField(
        "Label", through="ContactLabel", related_name="contacts", blank=True
    )
    source_type = models.CharField(max_length=32, choices=SourceType.choices, default=SourceType.OTHER)
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    last_activity_type = models.CharField(max_length=48, choices=ActivityType.choices, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_sources", db_index=False,
        help_text="Set when staff merged this contact into another; its id then resolves to that one.",
    )

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("merge_contact", "Can merge contacts"),
            ("label_contact", "Can label and unlabel contacts"),
            ("import_contact", "Can import and export contacts"),
        ]
        # The admin list's orders (the changelist adds -pk) and its source filter. The search's
        # name-prefix indexes, UPPER(col::text) text_pattern_ops, are PostgreSQL-only SQL in
        # migration 0003.
        indexes = [
            models.Index(fields=["created_at", "id"], name="contact_created_idx"),
            # The back-office query's updatedDate order (migration 0005).
            models.Index(fields=["updated_at", "id"], name="contact_updated_idx"),
            models.Index(fields=["last_activity_at", "id"], name="contact_last_activity_idx"),
            models.Index(fields=["source_type", "created_at", "id"], name="contact_source_created_idx"),
            # Almost every contact has none: only the merged ones are indexed (migration 0006).
            models.Index(fields=["merged_into"], condition=Q(merged_into__isnull=False), name="contact_merged_into_idx"),
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or str(self.id)


class Email(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="emails")
    email = models.CharField(max_length=limits.EMAIL, help_text="As given, trimmed.")
    key = models.CharField(max_length=limits.EMAIL, help_text="Normalised match key (unique, see Meta).")
    tag = models.CharField(max_length=16, choices=EmailTag.choices, default=EmailTag.UNTAGGED)
    primary = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            # A constraint, not `unique=True`, which on PostgreSQL adds a second, LIKE index
            # (varchar_pattern_ops) that no query uses: keys are only looked up whole.
            models.UniqueConstraint(fields=["key"], name="unique_email_key"),
            models.UniqueConstraint(fields=["contact"], condition=Q(primary=True), name="one_primary_email"),
        ]

    def __str__(self) -> str:
        return self.email


class Phone(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="phones")
    phone = models.CharField(max_length=limits.PHONE, help_text="As given, trimmed.")
    country_code = models.CharField(max_length=limits.COUNTRY_CODE, blank=True)
    e164 = PhoneNumberField(blank=True, help_text="Empty when the number is not valid for its country.")
    key = models.CharField(max_length=32, help_text="E.164, or +country code and digits (unique, see Meta).")
    tag = models.CharField(max_length=16, choices=PhoneTag.choices, default=PhoneTag.UNTAGGED)
    primary = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["key"], name="unique_phone_key"),  # see Email
            models.UniqueConstraint(fields=["contact"], condition=Q(primary=True), name="one_primary_phone"),
        ]

    def __str__(self) -> str:
        return self.phone


class Address(models.Model):
    # No index of its own: unique_address_per_contact (contact, key) serves it.
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="addresses", db_index=False)
    tag = models.CharField(max_length=16, choices=AddressTag.choices, default=AddressTag.UNTAGGED)
    address_line1 = models.CharField(max_length=limits.ADDRESS_LINE, blank=True)
    address_line2 = models.CharField(max_length=limits.ADDRESS_LINE, blank=True)
    street_number = models.CharField(max_length=limits.STREET_NUMBER, blank=True)
    street_name = models.CharField(max_length=limits.ADDRESS_LINE, blank=True)
    city = models.CharField(max_length=limits.CITY, blank=True)
    subdivision = models.CharField(max_length=limits.SUBDIVISION, blank=True)
    country = models.CharField(max_length=limits.COUNTRY_CODE, blank=True)
    postal_code = models.CharField(max_length=limits.POSTAL_CODE, blank=True)
    formatted = models.CharField(max_length=limits.FORMATTED_ADDRESS, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    key = models.CharField(max_length=64, help_text="Digest of the normalised fields.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "addresses"
        constraints = [models.UniqueConstraint(fields=["contact", "key"], name="unique_address_per_contact")]

    def __str__(self) -> str:
        return self.formatted or ", ".join(
            p for p in (self.address_line1, self.city, self.postal_code, self.country) if p
        )


class Label(models.Model):
    key = models.CharField(max_length=limits.LABEL_KEY, unique=True)
    display_name = models.CharField(max_length=limits.LABEL_DISPLAY_NAME)
    label_type = models.CharField(max_length=16, choices=LabelType.choices, default=LabelType.USER_DEFINED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name


class ContactLabel(models.Model):
    # No index of its own: unique_contact_label (contact, label) serves it.
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, db_index=False)
    label = models.ForeignKey(Label, on_delete=models.CASCADE)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact", "label"], name="unique_contact_label")]

    def __str__(self) -> str:
        return self.label.key


class ExtendedField(models.Model):
    key = models.CharField(max_length=limits.FIELD_KEY, unique=True)
    display_name = models.CharField(max_length=limits.FIELD_DISPLAY_NAME)
    data_type = models.CharField(max_length=8, choices=DataType.choices, default=DataType.TEXT)
    field_type = models.CharField(max_length=16, choices=FieldType.choices, default=FieldType.USER_DEFINED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.key})"


class VisitorSession(models.Model):
    """A browser's long-lived visitor identity (decisions.md §2), linked to one contact at a time."""

    id = models.UUIDField(primary_key=True, editable=False)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="visitor_sessions"
    )
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return str(self.id)


class VisitorLink(models.Model):
    """One period during which a visitor was linked to a contact; history is never deleted."""

    visitor = models.ForeignKey(VisitorSession, on_delete=models.CASCADE, related_name="links")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="visitor_links")
    linked_at = models.DateTimeField()
    unlinked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-linked_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["visitor"], condition=Q(unlinked_at__isnull=True), name="one_current_link_per_visitor"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visitor_id} → {self.contact_id}"


class Submission(models.Model):
    """The ledger: one row per accepted reconcile call, with what it wrote and skipped (§12)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(db_index=True)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    step_order = models.CharField(max_length=16, choices=StepOrder.choices)
    payload = models.JSONField(help_text="The contact info as submitted.")
    message = models.TextField(blank=True, max_length=limits.MESSAGE)
    visitor = models.ForeignKey(
        VisitorSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="submissions", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="submissions",
        db_index=False,
    )
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="submissions")
    identity_type = models.CharField(max_length=32, choices=IdentityType.choices)
    new_contact = models.BooleanField(default=False)
    matched_by = models.CharField(max_length=16, help_text="member, email, phone, visitor or created.")
    written = models.JSONField(default=list)
    skipped = models.JSONField(default=list)

    class Meta:
        ordering = ["-created_at"]
        # Imports and API calls store no visitor, imports and anonymous calls no user: only
        # the rows that have one are indexed (what `visitor=…`, `user=…` and the deletes'
        # SET NULL look up), so those rows cost no index entry (migration 0006).
        indexes = [
            models.Index(fields=["visitor"], condition=Q(visitor__isnull=False), name="submission_visitor_idx"),
            models.Index(fields=["user"], condition=Q(user__isnull=False), name="submission_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.created_at:%Y-%m-%d %H:%M} → {self.contact_id}"


class PossibleDuplicate(models.Model):
    """Two contacts one submission matched together; staff decide (decisions.md §4)."""

    contact_a = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    contact_b = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    submission = models.ForeignKey(Submission, null=True, blank=True, on_delete=models.SET_NULL)
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    dismissed_at = models.DateTimeField(null=True, blank=True, help_text="Marked 'not a duplicate' by staff.")
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["contact_a", "contact_b"], name="unique_duplicate_pair"),
            models.CheckConstraint(condition=Q(contact_a__lt=models.F("contact_b")), name="duplicate_pair_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_a_id} ~ {self.contact_b_id}"


class ContactMerge(models.Model):
    """Who merged which contact into which, when, and what moved (decisions.md §13)."""

    target = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="merges_received")
    source = models.OneToOneField(Contact, on_delete=models.PROTECT, related_name="merge_record")
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField()
    summary = models.JSONField(default=dict, help_text="What the merge filled and moved.")

    class Meta:
        ordering = ["-merged_at"]

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id}"
