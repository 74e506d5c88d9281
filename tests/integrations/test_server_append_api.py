"""POST /api/contacts/server-append-or-create/: the public endpoint's body and answer, with the
backend step order (decisions.md §1) and the visitor named in the body."""

import uuid
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from contacts.enums import Channel, IdentityType, StepOrder
from contacts.models import Contact, Label, Submission, VisitorSession
from contacts.payload import contact_payload_from_info
from contacts.reconcile import contact_append_or_create
from contacts.visitor import VisitorIdentity
from integrations.models import Scope
from members.services import member_signup
from tests.helpers import SEED_FULL, SEED_NAME_ONLY, contact_state, counts, post_json, visitor_cookie, visitor_id

pytestmark = pytest.mark.django_db

URL = "/api/contacts/server-append-or-create/"


@pytest.fixture
def server(api_client_with) -> APIClient:  # type: ignore[no-untyped-def]
    return api_client_with(Scope.WRITE)


def post(client: APIClient, body: Any) -> Any:
    return client.post(URL, body, format="json")


def linked_visitor(email: str = "v@example.com") -> tuple[uuid.UUID, uuid.UUID]:
    """A visitor whose browser submitted a form: its id and the contact it is linked to."""
    visitor = VisitorIdentity(id=uuid.uuid4(), issued_at=timezone.now())
    result = contact_append_or_create(
        contact_payload_from_info({"emails": [{"email": email}]}), actor=None, visitor=visitor,
        channel=Channel.FORM, now=timezone.now(),
    )
    return visitor.id, result.contact_id


def test_creates_then_finds_and_answers_like_the_public_endpoint(server) -> None:
    created = post(server, SEED_FULL)
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"contactId", "identityType", "newContact"}
    assert body["identityType"] == "CONTACT" and body["newContact"] is True
    found = post(server, {"emails": [{"email": "ARI.THEREYET@example.com"}], "company": "Acme"})
    assert found.status_code == 200
    assert found.json() == {"contactId": body["contactId"], "identityType": "CONTACT", "newContact": False}
    assert contact_state(body["contactId"])["company"] == "Acme"


def test_the_submission_records_the_backend_order_and_no_user(server) -> None:
    visitor, _ = linked_visitor()
    response = post(server, {**SEED_FULL, "visitorId": str(visitor)})
    submission = Submission.objects.get(contact_id=response.json()["contactId"])
    assert submission.channel == Channel.API and submission.step_order == StepOrder.BACKEND
    assert submission.user_id is None and submission.visitor_id == visitor
    assert "visitorId" not in submission.payload
    assert Contact.objects.get(pk=response.json()["contactId"]).source_type == "WIX_CODE"


def test_name_only_with_a_linked_visitor_creates_a_contact_unlike_the_public_endpoint(server) -> None:
    # The public endpoint (frontend order) lands a returning browser's name-only form on its contact.
    browser = Client()
    first = post_json(browser, {"emails": [{"email": "v@example.com"}]})
    browser_visitor = visitor_id(visitor_cookie(first).value)
    public = post_json(browser, SEED_NAME_ONLY)
    assert public.status_code == 200 and public.json()["contactId"] == first.json()["contactId"]

    # The server endpoint (backend order) creates before falling back to the visitor's contact.
    response = post(server, {**SEED_NAME_ONLY, "visitorId": str(browser_visitor)})
    assert response.status_code == 201
    assert response.json()["contactId"] != first.json()["contactId"]
    assert contact_state(response.json()["contactId"])["first_name"] == "Ari"
    # ...and the visitor now belongs to the contact it created, as a backend reconcile links it.
    assert VisitorSession.objects.get(pk=browser_visitor).contact_id == uuid.UUID(response.json()["contactId"])


def test_nothing_to_create_from_falls_back_to_the_visitors_contact(server) -> None:
    visitor, contact_id = linked_visitor()
    response = post(server, {"visitorId": str(visitor)})
    assert response.status_code == 200
    assert response.json() == {"contactId": str(contact_id), "identityType": "CONTACT", "newContact": False}


def test_an_email_match_wins_over_the_visitor(server) -> None:
    visitor, contact_id = linked_visitor()
    other = post(server, {"emails": [{"email": "o@example.com"}]}).json()["contactId"]
    response = post(server, {"emails": [{"email": "o@example.com"}], "visitorId": str(visitor)})
    assert response.status_code == 200 and response.json()["contactId"] == other != str(contact_id)


def test_a_member_match_is_not_authenticated_member(server, settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    member = member_signup(email="m@example.com", password="pw-123456789", first_name="M", last_name="B",
                           visitor=None, now=timezone.now())
    response = post(server, {"emails": [{"email": "m@example.com"}], "company": "Acme"})
    assert response.status_code == 200
    assert response.json()["identityType"] == IdentityType.NOT_AUTHENTICATED_MEMBER
    assert response.json()["contactId"] == str(member.contact_id)
    assert contact_state(member.contact_id)["company"] == ""


def test_an_unknown_visitor_id_is_a_400_and_nothing_is_written(server) -> None:
    before = counts()
    response = post(server, {**SEED_FULL, "visitorId": str(uuid.uuid4())})
    assert response.status_code == 400 and list(response.json()) == ["visitorId"]
    assert counts() == before


@pytest.mark.parametrize("body", [
    {**SEED_NAME_ONLY, "visitorId": "nope"},
    {**SEED_NAME_ONLY, "visitorId": 5},
    {**SEED_NAME_ONLY, "visitorId": None},
    {**SEED_NAME_ONLY, "nickname": "x"},
    {"emails": [{"email": "not an email"}]},
    {"labelKeys": ["custom.unknown"], **SEED_NAME_ONLY},
    {},
])
def test_invalid_bodies_are_400_like_the_public_endpoint(server, body) -> None:
    Label.objects.create(key="custom.vip", display_name="VIP")
    before = counts()
    assert post(server, body).status_code == 400
    assert counts() == before


def test_empty_body_is_nothing_to_reconcile(server) -> None:
    response = post(server, {})
    assert response.json()["code"] == "nothing_to_reconcile"


def test_it_needs_the_write_scope(api_client_with) -> None:
    before = counts()
    for scopes in ([Scope.READ], [Scope.LABEL, Scope.MERGE, Scope.IMPORT]):
        assert post(api_client_with(*scopes), SEED_FULL).status_code == 403
    assert post(APIClient(), SEED_FULL).status_code == 401
    revoked = api_client_with(Scope.WRITE)
    revoked.token.revoked_at = timezone.now()
    revoked.token.save(update_fields=["revoked_at"])
    assert post(revoked, SEED_FULL).status_code == 401
    assert counts() == before


def test_no_visitor_cookie_is_issued_to_a_server(server) -> None:
    response = post(server, SEED_FULL)
    assert response.status_code == 201 and "crm_visitor" not in response.cookies
    assert not VisitorSession.objects.exists()
