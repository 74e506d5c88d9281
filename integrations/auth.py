"""`Authorization: Bearer crm_…` authentication and the permission check of the back-office API.

A token authenticates as a `TokenPrincipal`, a small stand-in for a user whose permissions are
the token's scopes, so views check `request.user.has_perm(...)` the same way for a token and
for a staff session.
"""

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from integrations.models import TOKEN_PREFIX, IntegrationToken, token_digest


@dataclass(frozen=True)
class TokenPrincipal:
    token: IntegrationToken

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_active = True
    pk = None
    id = None

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return perm in self.token.scopes

    def has_perms(self, perms: list[str], obj: Any = None) -> bool:
        return all(self.has_perm(p) for p in perms)

    def get_username(self) -> str:
        return f"token:{self.token.hint}"

    def __str__(self) -> str:
        return self.get_username()


class IntegrationTokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[TokenPrincipal, IntegrationToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Send the token as 'Authorization: Bearer <token>'.")
        secret = parts[1].decode("latin-1")
        token = None
        if secret.startswith(TOKEN_PREFIX):
            token = IntegrationToken.objects.filter(digest=token_digest(secret)).first()
        if token is None or token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            IntegrationToken.objects.filter(pk=token.pk).update(last_used_at=now)  # at most once a minute
        return TokenPrincipal(token), token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class BackOfficePermission(BasePermission):
    """A token, or a staff session, holding every permission the view names for this method
    (`required_permissions = {"GET": [...], "POST": [...]}`)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if not isinstance(user, TokenPrincipal) and not user.is_staff:
            return False
        required = getattr(view, "required_permissions", {}).get(request.method, None)
        if required is None:
            required = getattr(view, "required_permissions", {}).get("*", [])
        return all(user.has_perm(perm) for perm in required)
