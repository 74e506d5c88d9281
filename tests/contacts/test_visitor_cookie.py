"""The `crm_visitor` cookie (decisions.md §2): issued once, signed, HttpOnly, SameSite=Lax, and the
visitor identity of step 3."""

import datetime

import pytest
from django.conf import settings
from django.test import Client

from contacts.models import Contact, Submission, VisitorLink, VisitorSession
from tests.helpers import (
    FORM_URL,
    SEED_NAME_ONLY,
    client_visitor_id,
    signed_cookie_value,
    post_json,
    visitor_cookie,
    visitor_id,
)

pytestmark = pytest.mark.django_db

COOKIE = settings.VISITOR_COOKIE_NAME


def _assert_visitor_cookie(morsel) -> None:
    assert morsel is not None, "the response did not set the crm_visitor cookie"
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Lax"
    assert int(morsel["max-age"]) >= 60 * 60 * 24 * 365  # long-lived, not a browser-session cookie
    assert morsel["path"] == "/"
    visitor_id(morsel.value)  # signed by us: raises BadSignature otherwise


@pytest.mark.parametrize(
    "first_call",
    [
        pytest.param(lambda c: c.get(FORM_URL), id="page"),
        pytest.param(lambda c: post_json(c, SEED_NAME_ONLY), id="api"),
        pytest.param(lambda c: post_json(c, {}), id="api-error"),
        pytest.param(lambda c: c.get("/members/login/"), id="login-page"),
    ],
)
def test_first_response_sets_a_signed_httponly_lax_cookie(first_call):
    client = Client()

    response = first_call(client)

    _assert_visitor_cookie(visitor_cookie(response))


def test_second_call_reuses_the_cookie_and_the_visitor_session():
    client = Client()
    first = post_json(client, SEED_NAME_ONLY)
    issued = visitor_cookie(first).value

    second = post_json(client, {"name": {"first": "Ari"}, "company": "Acme"})

    assert visitor_cookie(second) is None  # not re-issued
    assert client.cookies[COOKIE].value == issued
    assert VisitorSession.objects.count() == 1
    session = VisitorSession.objects.get()
    assert session.id == visitor_id(issued)
    assert set(Submission.objects.values_list("visitor_id", flat=True)) == {session.id}


def test_the_cookie_issued_by_a_page_is_the_visitor_of_the_next_api_call():
    client = Client()
    page = client.get(FORM_URL)
    issued = visitor_cookie(page).value

    response = post_json(client, SEED_NAME_ONLY)

    assert visitor_cookie(response) is None
    session = VisitorSession.objects.get()
    assert session.id == visitor_id(issued)
    assert str(session.contact_id) == response.json()["contactId"]


def test_name_only_after_an_email_submission_lands_on_the_same_contact():
    """Step 3: no email/phone match, but the visitor is linked to a contact."""
    client = Client()
    first = post_json(client, {"emails": [{"email": "ari@example.com"}]})
    assert first.status_code == 201

    second = post_json(client, SEED_NAME_ONLY)

    assert second.status_code == 200
    assert second.json() == {"contactId": first.json()["contactId"], "identityType": "CONTACT",
                             "newContact": False}
    contact = Contact.objects.get()
    assert (contact.first_name, contact.last_name) == ("Ari", "Thereyet")
    assert Submission.objects.get(contact=contact, matched_by="visitor")


def test_name_only_after_a_form_submission_lands_on_the_same_contact():
    """The form and the API share the one visitor identity."""
    client = Client()
    client.post(FORM_URL, {"email": "ari@example.com", "phone_country": "US"})
    contact = Contact.objects.get()

    response = post_json(client, SEED_NAME_ONLY)

    assert response.status_code == 200
    assert response.json()["contactId"] == str(contact.id)
    contact.refresh_from_db()
    assert contact.first_name == "Ari"


def test_another_browser_is_not_linked():
    post_json(Client(), {"emails": [{"email": "ari@example.com"}]})

    response = post_json(Client(), SEED_NAME_ONLY)

    assert response.status_code == 201
    assert Contact.objects.count() == 2


def _unsigned(value: str) -> str:
    """The `<id>|<issued>` part of a signed cookie value."""
    return value.split(":", 1)[0]


def _tamper(value: str) -> str:
    last = value[-1]
    return value[:-1] + ("A" if last != "A" else "B")


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(_tamper, id="tampered-signature"),
        pytest.param(_unsigned, id="signature-stripped"),
        pytest.param(lambda value: signed_cookie_value(_unsigned(value), salt="other-salt"),
                     id="signed-with-another-salt"),
        pytest.param(lambda value: "garbage", id="garbage"),
    ],
)
def test_a_forged_cookie_is_ignored_and_replaced(forge):
    client = Client()
    first = post_json(client, {"emails": [{"email": "ari@example.com"}]})
    original = visitor_cookie(first).value
    old_contact = first.json()["contactId"]
    client.cookies[COOKIE] = forge(original)

    response = post_json(client, SEED_NAME_ONLY)

    replaced = visitor_cookie(response)
    _assert_visitor_cookie(replaced)
    assert replaced.value != original
    assert visitor_id(replaced.value) != visitor_id(original)
    # Not linked to the old contact: a name alone creates a new one.
    assert response.status_code == 201
    assert response.json()["contactId"] != old_contact
    assert VisitorSession.objects.count() == 2
    assert Contact.objects.get(pk=old_contact).first_name == ""
    assert VisitorSession.objects.get(pk=visitor_id(replaced.value)).contact_id != old_contact
    # The replacement is then honoured like any other cookie.
    again = post_json(client, {"company": "Acme"})
    assert visitor_cookie(again) is None
    assert again.json()["contactId"] == response.json()["contactId"]


def test_a_well_signed_cookie_with_a_malformed_value_is_replaced():
    client = Client()
    client.cookies[COOKIE] = signed_cookie_value("not-a-uuid|12")

    response = post_json(client, SEED_NAME_ONLY)

    assert response.status_code == 201
    _assert_visitor_cookie(visitor_cookie(response))


def test_a_cookie_for_a_visitor_never_seen_before_is_honoured():
    """A validly signed id the database does not know yet (e.g. first submit after a page view)
    becomes that visitor's session row; it is not re-issued."""
    client = Client()
    client.get(FORM_URL)
    vid = client_visitor_id(client)
    assert not VisitorSession.objects.filter(pk=vid).exists()

    response = post_json(client, SEED_NAME_ONLY)

    assert visitor_cookie(response) is None
    session = VisitorSession.objects.get(pk=vid)
    assert session.first_seen <= session.last_seen
    assert session.last_seen - session.first_seen < datetime.timedelta(minutes=5)


def test_moving_to_another_contact_keeps_the_old_link_as_history():
    client = Client()
    first = post_json(client, {"emails": [{"email": "ari@example.com"}]}).json()
    second = post_json(Client(), {"emails": [{"email": "bo@example.com"}]}).json()

    post_json(client, {"emails": [{"email": "bo@example.com"}]})

    session = VisitorSession.objects.get(pk=client_visitor_id(client))
    assert str(session.contact_id) == second["contactId"]
    links = {(str(link.contact_id), link.unlinked_at is None) for link in VisitorLink.objects.filter(visitor=session)}
    assert links == {(first["contactId"], False), (second["contactId"], True)}
