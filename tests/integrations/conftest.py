"""Shared fixtures of the back-office API tests: clients holding an integration token.

`api_client_with(*scopes)` returns an `APIClient` that sends `Authorization: Bearer <token>`
for a new token with those scopes (`integrations.models.Scope` values); the client carries the
token row and its secret as `client.token` and `client.secret`, so a test can revoke it.
"""

import datetime
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from contacts.enums import Channel
from contacts.payload import contact_payload_from_info
from contacts.reconcile import contact_append_or_create
from integrations.models import IntegrationToken, Scope

TokenClientFactory = Callable[..., Any]


def token_client(*scopes: str, name: str = "test integration") -> APIClient:
    token, secret = IntegrationToken.issue(name=name, scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    client.token = token  # type: ignore[attr-defined]
    client.secret = secret  # type: ignore[attr-defined]
    return client


@pytest.fixture
def api_client_with(db: None) -> TokenClientFactory:
    """A factory: `api_client_with(Scope.READ, Scope.WRITE)` → an APIClient with such a token."""
    return token_client


@pytest.fixture
def token_client_factory(api_client_with: TokenClientFactory) -> TokenClientFactory:
    """The same factory under the name the brief uses."""
    return api_client_with


@pytest.fixture
def read_client(api_client_with: TokenClientFactory) -> APIClient:
    return api_client_with(Scope.READ)


@pytest.fixture
def write_client(api_client_with: TokenClientFactory) -> APIClient:
    return api_client_with(Scope.READ, Scope.WRITE)


@pytest.fixture
def all_scopes_client(api_client_with: TokenClientFactory) -> APIClient:
    return api_client_with(*Scope.values)


def make_contact(info: dict[str, Any], *, now: datetime.datetime | None = None) -> uuid.UUID:
    """A contact made as the public API makes it (`ContactInfo` with flat arrays); its id."""
    result = contact_append_or_create(
        contact_payload_from_info(info), actor=None, visitor=None, channel=Channel.API, now=now or timezone.now()
    )
    return result.contact_id
