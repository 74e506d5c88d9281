"""API tokens for integrations: staff create and revoke them in admin; each carries a set of
the contacts permissions (read, write, label, merge, import). Only a digest of the token is
stored; the token itself is shown once, when it is created."""

import hashlib
import secrets

from django.conf import settings
from django.db import models

TOKEN_PREFIX = "crm_"


class Scope(models.TextChoices):
    """What a token may do, each the Django permission a staff user would need for it."""

    READ = "contacts.view_contact", "Read contacts"
    WRITE = "contacts.change_contact", "Update contacts and append-or-create"
    LABEL = "contacts.label_contact", "Label and unlabel contacts, manage labels and fields"
    MERGE = "contacts.merge_contact", "Merge contacts"
    IMPORT = "contacts.import_contact", "Import and export contacts"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class IntegrationToken(models.Model):
    name = models.CharField(max_length=100, help_text="Which integration uses it, e.g. 'Shop backend'.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=12, editable=False, help_text="The token's first characters.")
    scopes = models.JSONField(default=list, help_text="Permission names from Scope.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def issue(cls, *, name: str, scopes: list[str], created_by: object = None) -> tuple["IntegrationToken", str]:
        """Create a token; returns the row and the secret, which is never stored or shown again."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            name=name, digest=token_digest(secret), hint=secret[:12], scopes=sorted(set(scopes)),
            created_by=created_by,
        )
        return token, secret
