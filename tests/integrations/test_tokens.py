"""Integration tokens: issued once in admin, stored as a digest, revocable, scoped."""

import re

import pytest
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from integrations.auth import BackOfficePermission, IntegrationTokenAuthentication
from integrations.models import IntegrationToken, Scope

pytestmark = pytest.mark.django_db


class ProbeView(APIView):
    authentication_classes = [IntegrationTokenAuthentication]
    permission_classes = [BackOfficePermission]
    required_permissions = {"GET": [Scope.READ], "POST": [Scope.WRITE]}

    def get(self, request):  # type: ignore[no-untyped-def]
        return Response({"ok": True})

    post = get


def call(method: str, secret: str | None) -> int:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}
    request = getattr(APIRequestFactory(), method)("/probe/", **headers)
    return ProbeView.as_view()(request).status_code


def test_staff_issue_a_token_in_admin_and_see_it_once(admin_client) -> None:
    response = admin_client.post(
        "/admin/integrations/integrationtoken/add/", {"name": "Shop", "scopes": [Scope.READ]}, follow=True
    )
    secret = re.search(r"crm_[A-Za-z0-9_-]{40,}", response.content.decode()).group(0)
    token = IntegrationToken.objects.get()
    assert token.scopes == [Scope.READ] and token.hint == secret[:12]
    assert secret not in str(IntegrationToken.objects.values().get())  # only a digest is stored
    assert secret not in admin_client.get(f"/admin/integrations/integrationtoken/{token.pk}/change/").content.decode()
    assert call("get", secret) == 200


def test_a_token_can_do_only_what_its_scopes_allow() -> None:
    _, secret = IntegrationToken.issue(name="read only", scopes=[Scope.READ])
    assert call("get", secret) == 200
    assert call("post", secret) == 403


def test_a_revoked_or_unknown_token_gets_401(admin_client) -> None:
    token, secret = IntegrationToken.issue(name="old", scopes=[Scope.READ])
    admin_client.post("/admin/integrations/integrationtoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert call("get", secret) == 401
    assert call("get", "crm_" + "x" * 43) == 401
    assert call("get", "not-even-a-token") == 401
    assert call("get", None) in (401, 403)
