"""POST /api/contacts/append-or-create/: the public JSON entry point, through the test client."""

import copy
import uuid
from typing import Any

import pytest
from django.test import Client

from contacts.enums import Channel, IdentityType
from contacts.models import Contact, Email, ExtendedField, Label, Phone, Submission
from members.services import member_signup
from tests.helpers import (
    API_URL,
    FAST_PASSWORD_HASHERS,
    FORM_URL,
    SEED_FULL,
    SEED_NAME_ONLY,
    contact_state,
    counts,
    post_json,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS

RESPONSE_KEYS = {"contactId", "identityType", "newContact"}


# --- the seed examples ---------------------------------------------------------------------


def test_seed_name_only_creates_a_contact(client):
    response = post_json(client, SEED_NAME_ONLY)

    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == RESPONSE_KEYS
    assert body["identityType"] == "CONTACT"
    assert body["newContact"] is True
    contact = Contact.objects.get(pk=body["contactId"])
    assert (contact.first_name, contact.last_name) == ("Ari", "Thereyet")
    assert not contact.emails.exists() and not contact.phones.exists()


def test_seed_full_object_creates_a_contact_with_both_emails_and_the_plausible_phone(client):
    response = post_json(client, SEED_FULL)

    assert response.status_code == 201
    body = response.json()
    assert set(body) == RESPONSE_KEYS
    assert body["identityType"] == "CONTACT" and body["newContact"] is True
    state = contact_state(body["contactId"])
    assert (state["first_name"], state["last_name"]) == ("Ari", "Thereyet")
    assert state["emails"] == [
        ("ari.thereyet.appended.email@example.com", "ari.thereyet.appended.email@example.com", "UNTAGGED", False),
        ("ari.thereyet@example.com", "ari.thereyet@example.com", "UNTAGGED", True),
    ]
    # decisions.md §6: the seed's phone is not valid for US but plausible: kept as given, no E.164.
    assert state["phones"] == [("601-081-124", "US", "", "+1601081124", "MOBILE", True)]
    submission = Submission.objects.get()
    assert submission.channel == Channel.API
    assert submission.payload == SEED_FULL
    assert submission.contact_id == uuid.UUID(body["contactId"])


def test_seed_full_then_name_only_from_another_browser_creates_a_second_contact(client):
    """Without an email/phone match and without a linked visitor, a name alone creates."""
    first = post_json(client, SEED_FULL).json()

    second = post_json(Client(), SEED_NAME_ONLY)

    assert second.status_code == 201
    assert second.json()["contactId"] != first["contactId"]
    assert Contact.objects.count() == 2


def test_matching_email_appends_and_answers_200(client):
    created = post_json(client, SEED_FULL).json()
    before = contact_state(created["contactId"])

    response = post_json(Client(), {
        "name": {"first": "Someone", "last": "Else"},
        "emails": [{"email": "ARI.THEREYET@example.com"}, {"email": "ari.new@example.com"}],
        "company": "Thereyet Ltd",
    })

    assert response.status_code == 200
    assert response.json() == {"contactId": created["contactId"], "identityType": "CONTACT", "newContact": False}
    after = contact_state(created["contactId"])
    assert (after["first_name"], after["last_name"]) == ("Ari", "Thereyet")  # never overwritten
    assert after["company"] == "Thereyet Ltd"  # empty scalar filled
    assert {e[1] for e in after["emails"]} == {e[1] for e in before["emails"]} | {"ari.new@example.com"}
    assert [e for e in after["emails"] if e[3]] == [e for e in before["emails"] if e[3]]  # primary kept
    assert Contact.objects.count() == 1


def test_matching_phone_in_another_format_appends(client):
    created = post_json(client, {"phones": [{"phone": "+16502530000"}]}).json()

    response = post_json(Client(), {"name": {"first": "Pat"},
                                     "phones": [{"phone": "(650) 253-0000", "countryCode": "US"}]})

    assert response.status_code == 200
    assert response.json()["contactId"] == created["contactId"]
    assert Phone.objects.count() == 1
    assert Contact.objects.get().first_name == "Pat"


def test_the_same_call_twice_changes_nothing_the_second_time(client):
    created = post_json(client, SEED_FULL).json()
    before = contact_state(created["contactId"])

    again = post_json(client, SEED_FULL)

    assert again.status_code == 200
    assert again.json() == {**created, "newContact": False}
    assert contact_state(created["contactId"]) == before


def test_labels_and_extended_fields_that_exist_are_stored(client):
    Label.objects.create(key="custom.vip", display_name="VIP")
    ExtendedField.objects.create(key="custom.budget", display_name="Budget", data_type="NUMBER")

    response = post_json(client, {"name": {"first": "Ari"}, "labelKeys": ["custom.vip"],
                                  "extendedFields": {"custom.budget": 1200}})

    assert response.status_code == 201
    state = contact_state(response.json()["contactId"])
    assert state["labels"] == ["custom.vip"]
    assert state["extended_fields"] == {"custom.budget": 1200.0}


# --- errors: 400, JSON shape, nothing written -------------------------------------------------


def _valid_email(n: int) -> dict[str, str]:
    return {"email": f"person{n}@example.com"}


ERROR_CASES: list[tuple[str, Any, dict[str, Any]]] = [
    (
        "51 emails",
        {"name": {"first": "Ari"}, "emails": [_valid_email(n) for n in range(51)]},
        {"emails": ["Ensure this field has no more than 50 elements."]},
    ),
    (
        "invalid email",
        {"emails": [{"email": "ari.example.com"}]},
        {"emails": {"0": {"email": ["Enter a valid email address. An email address must have an @-sign."]}}},
    ),
    (
        "email with a display name",
        {"emails": [_valid_email(1), {"email": "Ari <a@example.com>"}]},
        {"emails": {"1": {"email": [
            "Enter a valid email address. A display name and angle brackets around the email address "
            "are not permitted here."
        ]}}},
    ),
    (
        "blank email",
        {"emails": [{"email": "   "}]},
        {"emails": {"0": {"email": ["This field may not be blank."]}}},
    ),
    (
        "phone with letters",
        {"name": {"first": "Ari"}, "phones": [{"phone": "abc", "countryCode": "US"}]},
        {"phones": {"0": {"phone": ["Enter a valid phone number: digits, spaces and + - . ( ) only."]}}},
    ),
    (
        "phone with too few digits",
        {"name": {"first": "Ari"}, "phones": [{"phone": "123", "countryCode": "US"}]},
        {"phones": {"0": {"phone": ["Enter a valid phone number: 7 to 15 digits."]}}},
    ),
    (
        "phone with too many digits",
        {"phones": [{"phone": "1234567890123456", "countryCode": "US"}]},
        {"phones": {"0": {"phone": ["Enter a valid phone number: 7 to 15 digits."]}}},
    ),
    (
        "unknown country code",
        {"phones": [{"phone": "6502530000", "countryCode": "XX"}]},
        {"phones": {"0": {"countryCode": [
            "Unknown country code 'XX': use an ISO 3166 alpha-2 code such as US."
        ]}}},
    ),
    (
        "national phone without a country code",
        {"phones": [{"phone": "6502530000"}]},
        {"phones": {"0": {"phone": [
            "Give the phone's country code, or write the number in international form (+…)."
        ]}}},
    ),
    (
        "unknown label key",
        {"name": {"first": "Ari"}, "labelKeys": ["custom.nope"]},
        {"labelKeys": ["Unknown label key 'custom.nope': staff create labels first."]},
    ),
    (
        "unknown extended field",
        {"name": {"first": "Ari"}, "extendedFields": {"custom.nope": "x"}},
        {"extendedFields": ["custom.nope: unknown extended field; staff create extended fields first."]},
    ),
    (
        "extended field of the wrong type",
        {"name": {"first": "Ari"}, "extendedFields": {"custom.budget": "a lot"}},
        {"extendedFields": ["custom.budget: expected a number."]},
    ),
    (
        "extended value that is neither string nor number",
        {"name": {"first": "Ari"}, "extendedFields": {"custom.budget": [1]}},
        {"extendedFields": {"custom.budget": ["Expected a string or a number."]}},
    ),
    (
        "unknown top-level field",
        {"name": {"first": "Ari"}, "email": "ari@example.com"},
        {"email": ["Unknown field."]},
    ),
    (
        "unknown field in name",
        {"name": {"first": "Ari", "middle": "B"}},
        {"name": {"middle": ["Unknown field."]}},
    ),
    (
        "unknown field in a list item",
        {"emails": [{"email": "ari@example.com", "label": "home"}]},
        {"emails": {"0": {"label": ["Unknown field."]}}},
    ),
    (
        "unknown field in an address",
        {"name": {"first": "Ari"}, "addresses": [{"address": {"city": "Paris", "town": "Paris"}}]},
        {"addresses": {"0": {"address": {"town": ["Unknown field."]}}}},
    ),
    (
        "name.first as a number",
        {"name": {"first": 1, "last": "Thereyet"}},
        {"name": {"first": ["Expected a string."]}},
    ),
    (
        "primary as a string",
        {"emails": [{"email": "ari@example.com", "primary": "yes"}]},
        {"emails": {"0": {"primary": ["Expected true or false."]}}},
    ),
    (
        "emails as an object",
        {"emails": {"email": "ari@example.com"}},
        {"emails": ['Expected a list of items but got type "dict".']},
    ),
    (
        "unknown email tag",
        {"emails": [{"email": "ari@example.com", "tag": "PERSONAL"}]},
        {"emails": {"0": {"tag": ['"PERSONAL" is not a valid choice.']}}},
    ),
    (
        "latitude as a string",
        {"name": {"first": "Ari"}, "addresses": [{"address": {"city": "Paris", "location": {"latitude": "48"}}}]},
        {"addresses": {"0": {"address": {"location": {"latitude": ["Expected a number."]}}}}},
    ),
    (
        "birthdate not a date",
        {"name": {"first": "Ari"}, "birthdate": "2020-13-01"},
        {"birthdate": ["Expected a date as YYYY-MM-DD."]},
    ),
    ("name null", {"name": None}, {"name": ["This field may not be null."]}),
    ("name.first null", {"name": {"first": None}}, {"name": {"first": ["This field may not be null."]}}),
    ("emails null", {"emails": None}, {"emails": ["This field may not be null."]}),
    ("email item null", {"emails": [None]}, {"emails": {"0": ["This field may not be null."]}}),
    (
        "email null",
        {"emails": [{"email": None}]},
        {"emails": {"0": {"email": ["This field may not be null."]}}},
    ),
    ("body is a list", [], {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
    ("body is JSON null", "null", {"non_field_errors": ["No data provided"]}),
    (
        "null character in a name",
        {"name": {"first": "A\x00ri"}},
        {"name": {"first": ["Null characters are not allowed."]}},
    ),
    (
        "null character in an extended value",
        {"name": {"first": "Ari"}, "extendedFields": {"custom.note": "a\x00b"}},
        {"extendedFields": {"custom.note": ["Null characters are not allowed."]}},
    ),
    (
        "null character in an extended field key",
        {"name": {"first": "Ari"}, "extendedFields": {"custom.no\x00te": "ab"}},
        {"extendedFields": ["Null characters are not allowed."]},
    ),
    (
        "integer too large for a number field",
        '{"name": {"first": "Ari"}, "extendedFields": {"custom.budget": 1' + "0" * 400 + "}}",
        {"extendedFields": {"custom.budget": ["Expected a string or a number."]}},
    ),
    (
        "integer too large for a latitude",
        '{"name": {"first": "Ari"}, "addresses": [{"address": {"city": "Paris", "location": {"latitude": 1'
        + "0" * 400 + "}}}]}",
        {"addresses": {"0": {"address": {"location": {"latitude": ["Expected a number."]}}}}},
    ),
]


@pytest.fixture
def existing_data(client):
    """Some data already in the database, so 'nothing written' is checked against a non-empty state."""
    ExtendedField.objects.create(key="custom.budget", display_name="Budget", data_type="NUMBER")
    ExtendedField.objects.create(key="custom.note", display_name="Note", data_type="TEXT")
    created = post_json(Client(), SEED_FULL)
    assert created.status_code == 201
    return created.json()["contactId"]


@pytest.mark.parametrize(("body", "expected"), [(b, e) for _, b, e in ERROR_CASES],
                         ids=[name for name, _, _ in ERROR_CASES])
def test_invalid_request_is_a_400_with_field_errors_and_writes_nothing(client, existing_data, body, expected):
    before_counts, before_state = counts(), contact_state(existing_data)

    response = post_json(client, body)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == expected
    assert counts() == before_counts
    assert contact_state(existing_data) == before_state


def test_invalid_email_on_a_matching_request_does_not_append_the_valid_parts(client, existing_data):
    """One bad item refuses the whole call: the valid email and name are not appended either."""
    before_counts, before_state = counts(), contact_state(existing_data)

    response = post_json(client, {
        "name": {"first": "Other"},
        "company": "Acme",
        "emails": [{"email": "ari.thereyet@example.com"}, {"email": "bad@"}],
    })

    assert response.status_code == 400
    assert set(response.json()) == {"emails"}
    assert set(response.json()["emails"]) == {"1"}
    assert counts() == before_counts
    assert contact_state(existing_data) == before_state


def test_fifty_emails_are_accepted(client):
    response = post_json(client, {"emails": [_valid_email(n) for n in range(50)]})

    assert response.status_code == 201
    assert Email.objects.count() == 50


def test_empty_body_is_nothing_to_reconcile(client, existing_data):
    before = counts()

    response = post_json(client, {})

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "code"}
    assert body["code"] == "nothing_to_reconcile"
    assert isinstance(body["detail"], str) and body["detail"]
    assert counts() == before


def test_blank_name_only_is_nothing_to_reconcile(client):
    response = post_json(client, {"name": {"first": "   ", "last": ""}})

    assert response.status_code == 400
    assert response.json()["code"] == "nothing_to_reconcile"
    assert counts()["Contact"] == 0


@pytest.mark.parametrize("raw", ["{bad json", '{"name": {"first": "Ari"}', "{'name': 1}", "NaN"])
def test_invalid_json_is_a_400_json_error(client, existing_data, raw):
    before = counts()

    response = post_json(client, raw)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail"}
    assert body["detail"].startswith("JSON parse error")
    assert counts() == before


def test_form_encoded_body_is_refused_as_json_415(client):
    response = client.post(API_URL, {"name": "Ari"})

    assert response.status_code == 415
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()
    assert counts()["Contact"] == 0


def test_get_is_not_allowed(client):
    response = client.get(API_URL)

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"


# --- CSRF and members -----------------------------------------------------------------------


@pytest.fixture
def member(now):
    return member_signup(email="mia.member@example.com", password="a-Long-unusual-pass-42",
                         first_name="Mia", last_name="Member", visitor=None, now=now)


def _logged_in_csrf_client(member) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    page = client.get(FORM_URL)
    assert page.status_code == 200
    return client, client.cookies["csrftoken"].value


def test_member_call_without_csrf_token_is_refused(member):
    client, _token = _logged_in_csrf_client(member)
    before_counts, before_state = counts(), contact_state(member.contact_id)

    response = post_json(client, {"name": {"first": "Changed"}, "company": "Acme"})

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert "CSRF" in response.json()["detail"]
    assert counts() == before_counts
    assert contact_state(member.contact_id) == before_state


def test_member_call_with_a_wrong_csrf_token_is_refused(member):
    client, token = _logged_in_csrf_client(member)

    response = post_json(client, {"company": "Acme"}, HTTP_X_CSRFTOKEN="x" * len(token))

    assert response.status_code == 403
    assert Contact.objects.get(pk=member.contact_id).company == ""


def test_member_call_with_csrf_token_reconciles_with_their_own_contact(member):
    client, token = _logged_in_csrf_client(member)

    response = post_json(client, {"emails": [{"email": "mia.work@example.com"}], "company": "Acme"},
                         HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 200
    assert response.json() == {"contactId": str(member.contact_id), "identityType": "MEMBER", "newContact": False}
    state = contact_state(member.contact_id)
    assert state["company"] == "Acme"
    assert [(e[0], e[3]) for e in state["emails"]] == [("mia.member@example.com", True),
                                                       ("mia.work@example.com", False)]
    submission = Submission.objects.filter(channel=Channel.API).get()
    assert submission.identity_type == IdentityType.MEMBER
    assert submission.user_id == member.user_id


def test_anonymous_call_needs_no_csrf_token():
    client = Client(enforce_csrf_checks=True)

    response = post_json(client, copy.deepcopy(SEED_NAME_ONLY))

    assert response.status_code == 201
    assert response.json()["identityType"] == "CONTACT"


def test_anonymous_call_with_a_session_but_no_login_needs_no_csrf_token():
    client = Client(enforce_csrf_checks=True)
    client.get(FORM_URL)  # has a CSRF cookie and a visitor cookie, but is not logged in

    response = post_json(client, SEED_FULL)

    assert response.status_code == 201


# --- step 3 / step 5 and the size limit -------------------------------------------------------


def test_company_only_from_a_new_browser_is_rejected_as_step_5(client, existing_data):
    before = counts()

    response = post_json(client, {"company": "Acme", "jobTitle": "CEO"})

    assert response.status_code == 400
    assert response.json()["code"] == "nothing_to_reconcile"
    assert counts() == before


def test_company_only_from_a_linked_browser_appends_to_its_contact_as_step_3(client):
    created = post_json(client, {"emails": [{"email": "ari@example.com"}]}).json()

    response = post_json(client, {"company": "Acme", "jobTitle": "CEO"})

    assert response.status_code == 200
    assert response.json() == {**created, "newContact": False}
    contact = Contact.objects.get()
    assert (contact.company, contact.job_title) == ("Acme", "CEO")


def test_a_body_over_the_size_limit_is_a_413_json_error(client, existing_data):
    before = counts()

    response = post_json(client, '{"name": {"first": "' + "a" * 300_000 + '"}}')

    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is larger than the server accepts.",
                               "code": "request_too_large"}
    assert counts() == before
