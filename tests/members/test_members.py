"""Members: signup, login, logout, and how a member's identity steers reconciliation
(decisions.md §3, §5)."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from contacts.enums import Channel, IdentityType
from contacts.models import Contact, Email, Submission, VisitorLink, VisitorSession
from members.models import Member
from members.services import ACCOUNT_EXISTS
from tests.helpers import (
    FAST_PASSWORD_HASHERS,
    FORM_URL,
    client_visitor_id,
    contact_state,
    counts,
    field_block_text,
    post_json,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS

SIGNUP_URL = "/members/signup/"
LOGIN_URL = "/members/login/"
LOGOUT_URL = "/members/logout/"
PASSWORD = "a-Long-unusual-pass-42"
SIGNUP = {"email": "Mia.Member@Example.com", "password": PASSWORD, "first_name": "Mia", "last_name": "Member"}


def _user_id(client: Client) -> Any:
    return client.session.get("_auth_user_id")


def _signup(client: Client, **overrides: str) -> Any:
    return client.post(SIGNUP_URL, {**SIGNUP, **overrides})


@pytest.fixture
def member_client() -> Client:
    client = Client()
    response = _signup(client)
    assert response.status_code == 302, response.content.decode()
    return client


@pytest.fixture
def member(member_client) -> Member:
    return Member.objects.select_related("user", "contact").get()


# --- signup ---------------------------------------------------------------------------------


def test_signup_page_renders_the_form(client):
    response = client.get(SIGNUP_URL)

    assert response.status_code == 200
    html = response.content.decode()
    for name in ("email", "password", "first_name", "last_name", "csrfmiddlewaretoken"):
        assert f'name="{name}"' in html


def test_signup_creates_user_member_and_contact_and_logs_in(client):
    response = _signup(client)

    assert response.status_code == 302
    assert response["Location"] == FORM_URL
    user = get_user_model().objects.get()
    assert user.username == "mia.member@example.com"  # the email's match key
    assert user.check_password(PASSWORD)
    assert (user.first_name, user.last_name) == ("Mia", "Member")
    member = Member.objects.get(user=user)
    assert member.status == Member.Status.ACTIVE
    state = contact_state(member.contact_id)
    assert (state["first_name"], state["last_name"]) == ("Mia", "Member")
    assert state["emails"] == [("Mia.Member@Example.com", "mia.member@example.com", "MAIN", True)]
    assert Contact.objects.count() == 1
    assert Submission.objects.get().channel == Channel.SIGNUP
    # Logged in: the session holds the user, and the page says so.
    assert str(_user_id(client)) == str(user.pk)
    assert "Signed in as" in client.get(FORM_URL).content.decode()


def test_signup_claims_an_existing_non_member_contact_with_that_email(client):
    existing = post_json(Client(), {
        "name": {"first": "Mia"},
        "emails": [{"email": "mia.other@example.com"}, {"email": "mia.member@example.com"}],
        "phones": [{"phone": "+16502530000"}],
    }).json()["contactId"]

    response = _signup(client)

    assert response.status_code == 302
    member = Member.objects.get()
    assert str(member.contact_id) == existing
    assert Contact.objects.count() == 1
    state = contact_state(existing)
    assert state["first_name"] == "Mia"
    assert state["last_name"] == "Member"  # filled, as it was empty
    # The login email becomes the (only) primary email; the other email and the phone stay.
    assert [(e[1], e[3]) for e in state["emails"]] == [("mia.member@example.com", True),
                                                       ("mia.other@example.com", False)]
    assert [p[3] for p in state["phones"]] == ["+16502530000"]


def test_signup_does_not_claim_the_browsers_visitor_contact(client):
    """A shared browser: the previous visitor's contact (no matching email) is not claimed."""
    other = post_json(client, {"name": {"first": "Previous"}, "emails": [{"email": "prev@example.com"}]})
    other_id = other.json()["contactId"]

    _signup(client)

    member = Member.objects.get()
    assert str(member.contact_id) != other_id
    assert Contact.objects.get(pk=other_id).first_name == "Previous"
    assert list(Email.objects.filter(contact_id=other_id).values_list("key", flat=True)) == ["prev@example.com"]


@pytest.mark.parametrize("email", ["Mia.Member@Example.com", "MIA.MEMBER@EXAMPLE.COM"])
def test_duplicate_signup_is_a_form_error(member_client, email):
    before = counts()
    users = get_user_model().objects.count()

    response = _signup(Client(), email=email, first_name="Impostor")

    assert response.status_code == 400
    assert ACCOUNT_EXISTS in field_block_text(response, "email")
    assert get_user_model().objects.count() == users
    assert Member.objects.count() == 1
    assert counts() == before
    assert Contact.objects.get().first_name == "Mia"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "This password is too short."),
        ("password123", "This password is too common."),
        ("84736251940", "This password is entirely numeric."),
        ("mia.member@example", "too similar"),
    ],
)
def test_weak_password_is_a_form_error(client, password, message):
    response = _signup(client, password=password)

    assert response.status_code == 400
    assert message in field_block_text(response, "password")
    assert get_user_model().objects.count() == 0
    assert set(counts().values()) == {0}
    assert _user_id(client) is None


def test_signup_with_an_invalid_email_is_a_form_error(client):
    response = _signup(client, email="not-an-email")

    assert response.status_code == 400
    assert "Enter a valid email address." in field_block_text(response, "email")
    assert get_user_model().objects.count() == 0


# --- login / logout -------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["mia.member@example.com", "MIA.MEMBER@EXAMPLE.COM", " Mia.Member@example.COM "])
def test_login_with_the_email_in_any_letter_case(member, typed):
    client = Client()

    response = client.post(LOGIN_URL, {"username": typed, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == FORM_URL
    assert str(_user_id(client)) == str(member.user_id)


def test_login_with_a_wrong_password_fails(member):
    client = Client()

    response = client.post(LOGIN_URL, {"username": "mia.member@example.com", "password": "wrong-password"})

    assert response.status_code == 200
    assert "Please enter a correct" in response.content.decode()
    assert _user_id(client) is None


def test_logout_by_post_logs_out(member_client):
    response = member_client.post(LOGOUT_URL)

    assert response.status_code == 302
    assert _user_id(member_client) is None
    assert "Signed in as" not in member_client.get(FORM_URL).content.decode()


def test_logout_by_get_is_refused_and_keeps_the_session(member_client, member):
    response = member_client.get(LOGOUT_URL)

    assert response.status_code == 405
    assert str(_user_id(member_client)) == str(member.user_id)


# --- a logged-in member reconciles with their own contact -------------------------------------


def test_logged_in_form_submission_goes_to_the_members_contact(member_client, member):
    response = member_client.post(FORM_URL, {
        "first_name": "Other", "last_name": "Name", "email": "mia.work@example.com",
        "phone_country": "GB", "phone": "020 7946 0958", "company": "Acme", "message": "hi",
    })

    assert response.status_code == 302
    submission = Submission.objects.get(channel=Channel.FORM)
    assert submission.identity_type == IdentityType.MEMBER
    assert submission.contact_id == member.contact_id
    assert submission.user_id == member.user_id
    state = contact_state(member.contact_id)
    assert (state["first_name"], state["last_name"]) == ("Mia", "Member")  # not overwritten
    assert state["company"] == "Acme"
    assert [(e[1], e[3]) for e in state["emails"]] == [("mia.member@example.com", True),
                                                       ("mia.work@example.com", False)]
    assert [p[3] for p in state["phones"]] == ["+442079460958"]
    assert Contact.objects.count() == 1


def test_logged_in_api_call_with_another_email_goes_to_the_members_contact(member_client, member):
    response = post_json(member_client, {"emails": [{"email": "mia.work@example.com", "primary": True}]})

    assert response.status_code == 200
    assert response.json() == {"contactId": str(member.contact_id), "identityType": "MEMBER", "newContact": False}
    state = contact_state(member.contact_id)
    # The login email stays primary (decisions.md §3).
    assert [(e[1], e[3]) for e in state["emails"]] == [("mia.member@example.com", True),
                                                       ("mia.work@example.com", False)]


def test_logged_in_api_call_with_someone_elses_email_does_not_take_it(member_client, member):
    other = post_json(Client(), {"name": {"first": "Bo"}, "emails": [{"email": "bo@example.com"}]}).json()
    other_before = contact_state(other["contactId"])

    response = post_json(member_client, {"emails": [{"email": "bo@example.com"}], "company": "Acme"})

    assert response.status_code == 200
    assert response.json()["contactId"] == str(member.contact_id)
    assert response.json()["identityType"] == "MEMBER"
    assert contact_state(other["contactId"]) == other_before  # the email is not moved
    assert [e[1] for e in contact_state(member.contact_id)["emails"]] == ["mia.member@example.com"]
    assert Contact.objects.get(pk=member.contact_id).company == "Acme"


# --- after logout: NOT_AUTHENTICATED_MEMBER ---------------------------------------------------


LOGGED_OUT_BODY = {
    "name": {"first": "Someone", "last": "Else"},
    "emails": [{"email": "MIA.MEMBER@example.com"}, {"email": "new.address@example.com"}],
    "phones": [{"phone": "+16502530000"}],
    "company": "Impostor Inc",
    "addresses": [{"address": {"city": "Paris", "country": "FR"}}],
}


def test_logged_out_call_with_the_members_email_changes_nothing(member_client, member):
    member_client.post(LOGOUT_URL)
    before_state = contact_state(member.contact_id)
    before_counts = counts()
    links_before = list(VisitorLink.objects.values_list("visitor_id", "contact_id", "unlinked_at"))

    response = post_json(member_client, LOGGED_OUT_BODY)

    assert response.status_code == 200
    assert response.json() == {"contactId": str(member.contact_id), "identityType": "NOT_AUTHENTICATED_MEMBER",
                               "newContact": False}
    assert contact_state(member.contact_id) == before_state
    assert list(VisitorLink.objects.values_list("visitor_id", "contact_id", "unlinked_at")) == links_before
    # Only the ledger grew, with the submission in full.
    assert counts() == {**before_counts, "Submission": before_counts["Submission"] + 1}
    submission = Submission.objects.get(channel=Channel.API)
    assert submission.identity_type == IdentityType.NOT_AUTHENTICATED_MEMBER
    assert submission.payload == LOGGED_OUT_BODY
    assert submission.user_id is None


def test_logged_out_call_from_another_browser_does_not_link_that_visitor(member):
    client = Client()
    before_state = contact_state(member.contact_id)

    response = post_json(client, LOGGED_OUT_BODY)

    assert response.status_code == 200
    assert response.json()["identityType"] == "NOT_AUTHENTICATED_MEMBER"
    assert response.json()["contactId"] == str(member.contact_id)
    assert contact_state(member.contact_id) == before_state
    visitor = VisitorSession.objects.get(pk=client_visitor_id(client))
    assert visitor.contact_id is None
    assert not VisitorLink.objects.filter(visitor=visitor).exists()
    # So a later name-only submission from that browser does not reach the member's contact.
    later = post_json(client, {"name": {"first": "Someone"}})
    assert later.status_code == 201
    assert later.json()["contactId"] != str(member.contact_id)
    assert contact_state(member.contact_id) == before_state


def test_logged_out_form_submission_with_the_members_email_changes_nothing(member):
    before_state = contact_state(member.contact_id)

    response = Client().post(FORM_URL, {"first_name": "X", "email": "mia.member@example.com",
                                        "company": "Impostor Inc", "phone_country": "US", "message": "hello"})

    assert response.status_code == 302
    assert contact_state(member.contact_id) == before_state
    submission = Submission.objects.get(channel=Channel.FORM)
    assert submission.identity_type == IdentityType.NOT_AUTHENTICATED_MEMBER
    assert submission.message == "hello"


def test_logged_in_again_the_member_can_change_their_contact(member_client, member):
    member_client.post(LOGOUT_URL)
    member_client.post(LOGIN_URL, {"username": "mia.member@example.com", "password": PASSWORD})

    response = post_json(member_client, {"company": "Acme"})

    assert response.json()["identityType"] == "MEMBER"
    assert Contact.objects.get(pk=member.contact_id).company == "Acme"
