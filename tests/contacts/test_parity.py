"""The form and the API store the same person the same way (one converter, one service)."""

from typing import Any

import pytest
from django.test import Client

from contacts.models import Contact, PossibleDuplicate, Submission, VisitorLink, VisitorSession
from tests.helpers import FORM_URL, contact_state, counts, post_json

pytestmark = pytest.mark.django_db

PEOPLE = [
    pytest.param(
        {"first": "Ari", "last": "Thereyet", "email": "Ari.Thereyet@Example.com", "phone": "(650) 253-0000",
         "country": "US", "company": "Thereyet Ltd"},
        id="valid-national-us",
    ),
    pytest.param(
        {"first": "Bea", "last": "Jones", "email": "bea@example.co.uk", "phone": "+442079460958",
         "country": "GB", "company": ""},
        id="valid-international-gb",
    ),
    pytest.param(
        {"first": "Carl", "last": "", "email": "", "phone": "015112345678", "country": "DE", "company": "GmbH"},
        id="valid-national-de-no-email",
    ),
    pytest.param(
        {"first": "Ari", "last": "Thereyet", "email": "ari.thereyet@example.com", "phone": "601-081-124",
         "country": "US", "company": ""},
        id="plausible-seed-phone",
    ),
    pytest.param(
        {"first": "", "last": "", "email": "  dora@example.com  ", "phone": "", "country": "", "company": ""},
        id="email-only-with-spaces",
    ),
]


def _by_form(person: dict[str, str]) -> Any:
    return Client().post(FORM_URL, {
        "first_name": person["first"], "last_name": person["last"], "email": person["email"],
        "phone_country": person["country"], "phone": person["phone"], "company": person["company"],
        "message": "",
    })


def _by_api(person: dict[str, str]) -> Any:
    body: dict[str, Any] = {}
    name = {k: person[k] for k in ("first", "last") if person[k]}
    if name:
        body["name"] = name
    if person["email"]:
        body["emails"] = [{"email": person["email"]}]
    if person["phone"]:
        body["phones"] = [{"phone": person["phone"], "countryCode": person["country"]}]
    if person["company"]:
        body["company"] = person["company"]
    return post_json(Client(), body)


def _snapshot() -> dict[str, Any]:
    contact = Contact.objects.get()
    [submission] = Submission.objects.all()
    return {
        "contact": contact_state(contact.id),
        "identity_type": submission.identity_type,
        "new_contact": submission.new_contact,
        "matched_by": submission.matched_by,
        "payload": submission.payload,
        "written": sorted(map(repr, submission.written)),
        "skipped": submission.skipped,
        "counts": counts(),
    }


def _delete_everything() -> None:
    PossibleDuplicate.objects.all().delete()
    Submission.objects.all().delete()
    VisitorLink.objects.all().delete()
    VisitorSession.objects.all().delete()
    Contact.objects.all().delete()
    assert set(counts().values()) == {0}


@pytest.mark.parametrize("person", PEOPLE)
def test_form_and_api_store_the_same_contact(person):
    response = _by_form(person)
    assert response.status_code == 302, response.content.decode()
    by_form = _snapshot()
    _delete_everything()

    response = _by_api(person)
    assert response.status_code == 201, response.content
    by_api = _snapshot()

    assert by_form == by_api
    assert by_api["contact"]["emails"] or by_api["contact"]["phones"]


@pytest.mark.parametrize("person", PEOPLE)
def test_form_then_api_for_the_same_person_is_one_contact(person):
    """Submitted through both entry points (two browsers), it is still one contact."""
    assert _by_form(person).status_code == 302
    before = contact_state(Contact.objects.get().id)

    response = _by_api(person)

    assert response.status_code == 200
    assert response.json()["newContact"] is False
    assert contact_state(Contact.objects.get().id) == before
