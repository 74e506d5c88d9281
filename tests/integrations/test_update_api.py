"""PATCH /api/contacts/<id>/: Wix's updateContact. Fields given replace the stored ones, under
the revision lock, the uniqueness rules and the member's login email rule; an error writes
nothing."""

import datetime
import uuid
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from contacts.backoffice.update import contact_update
from contacts.merge import contact_merge
from contacts.models import Contact, Email, ExtendedField, Label, Phone
from integrations.models import Scope
from members.services import member_signup
from tests.helpers import contact_state, counts
from tests.integrations.conftest import make_contact

pytestmark = pytest.mark.django_db


def url(contact_id: uuid.UUID | str) -> str:
    return f"/api/contacts/{contact_id}/"


def patch(client: APIClient, contact_id: uuid.UUID | str, revision: int, info: dict[str, Any]) -> Any:
    return client.patch(url(contact_id), {"revision": revision, "info": info}, format="json")


@pytest.fixture
def ari() -> uuid.UUID:
    Label.objects.create(key="custom.vip", display_name="VIP")
    ExtendedField.objects.create(key="custom.shoe", display_name="Shoe size", data_type="NUMBER")
    ExtendedField.objects.create(key="custom.note", display_name="Note")
    return make_contact({
        "name": {"first": "Ari", "last": "Thereyet"}, "company": "Acme", "jobTitle": "Pilot",
        "emails": [{"email": "ari@example.com"}, {"email": "ari.work@example.com", "tag": "WORK"}],
        "phones": [{"countryCode": "US", "phone": "650-253-0000"}],
        "addresses": [{"tag": "HOME", "address": {"city": "Springfield"}}],
        "labelKeys": ["custom.vip"], "extendedFields": {"custom.shoe": 42, "custom.note": "hi"},
    })


def items(body: dict[str, Any], name: str, key: str) -> list[Any]:
    return [item[key] for item in body["contact"]["info"][name]["items"]]


def primaries(body: dict[str, Any]) -> dict[str, bool]:
    """email → primary (items are listed in the order they were first stored, not as given)."""
    return {e["email"]: e["primary"] for e in body["contact"]["info"]["emails"]["items"]}


# --- permissions ----------------------------------------------------------------------------------


def test_a_read_token_cannot_write_and_anonymous_gets_401(api_client_with, ari) -> None:
    before = contact_state(ari)
    assert patch(api_client_with(Scope.READ), ari, 1, {"company": "X"}).status_code == 403
    assert patch(APIClient(), ari, 1, {"company": "X"}).status_code == 401
    revoked = api_client_with(Scope.READ, Scope.WRITE)
    revoked.token.revoked_at = timezone.now()
    revoked.token.save(update_fields=["revoked_at"])
    assert patch(revoked, ari, 1, {"company": "X"}).status_code == 401
    assert contact_state(ari) == before


def test_a_write_token_updates(api_client_with, ari) -> None:
    response = patch(api_client_with(Scope.WRITE), ari, 1, {"company": "Initech"})
    assert response.status_code == 200 and response.json()["contact"]["info"]["company"] == "Initech"


def test_a_staff_session_needs_the_csrf_token(admin_user, ari) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert patch(client, ari, 1, {"company": "X"}).status_code == 403
    assert Contact.objects.get(pk=ari).company == "Acme"


# --- revisions --------------------------------------------------------------------------------------


def test_the_revision_goes_up_by_one_and_a_stale_one_is_a_409(write_client, ari) -> None:
    response = patch(write_client, ari, 1, {"jobTitle": "Captain"})
    assert response.status_code == 200 and response.json()["contact"]["revision"] == 2
    stale = patch(write_client, ari, 1, {"jobTitle": "Nobody"})
    assert stale.status_code == 409
    assert stale.json() == {"detail": "The contact changed since you read it: it is at revision 2.",
                            "code": "revision_conflict", "currentRevision": 2}
    assert Contact.objects.get(pk=ari).job_title == "Captain"
    assert patch(write_client, ari, 2, {}).json()["contact"]["revision"] == 3  # every update counts


def test_updated_date_moves_and_created_date_does_not(write_client, ari) -> None:
    before = Contact.objects.get(pk=ari)
    body = patch(write_client, ari, 1, {"company": "B"}).json()["contact"]
    after = Contact.objects.get(pk=ari)
    assert after.updated_at > before.updated_at and after.created_at == before.created_at
    assert body["updatedDate"] == after.updated_at.isoformat().replace("+00:00", "Z")


# --- replace semantics ------------------------------------------------------------------------------


def test_scalars_given_replace_and_the_others_are_kept(write_client, ari) -> None:
    body = patch(write_client, ari, 1, {"name": {"last": "Here"}, "company": "", "birthdate": "1990-02-03",
                                        "locale": "en-GB"}).json()
    info = body["contact"]["info"]
    assert info["name"] == {"first": "Ari", "last": "Here"}
    assert (info["company"], info["jobTitle"], info["birthdate"], info["locale"]) == ("", "Pilot", "1990-02-03",
                                                                                      "en-GB")
    info = patch(write_client, ari, 2, {"birthdate": ""}).json()["contact"]["info"]
    assert info["birthdate"] is None
    assert info["labelKeys"] == {"items": ["custom.vip"]}  # labels are not touched


def test_arrays_given_replace_the_stored_arrays(write_client, ari) -> None:
    kept_id = Email.objects.get(key="ari.work@example.com").pk
    body = patch(write_client, ari, 1, {
        "emails": [{"email": "ARI.WORK@example.com", "tag": "MAIN"}, {"email": "new@example.com"}],
        "phones": [{"phone": "+44 20 7946 0958", "tag": "MOBILE"}],
        "addresses": [{"tag": "WORK", "address": {"city": "Shelbyville"}}],
    }).json()
    emails = body["contact"]["info"]["emails"]["items"]
    assert [(e["email"], e["tag"], e["primary"]) for e in emails] == [
        ("ARI.WORK@example.com", "MAIN", True), ("new@example.com", "UNTAGGED", False)]
    assert emails[0]["id"] == kept_id  # the same email keeps its row
    assert items(body, "phones", "e164Phone") == ["+442079460958"]
    assert body["contact"]["primaryInfo"] == {"email": "ARI.WORK@example.com", "phone": "+44 20 7946 0958"}
    assert [a["address"]["city"] for a in body["contact"]["info"]["addresses"]["items"]] == ["Shelbyville"]
    assert not Email.objects.filter(key="ari@example.com").exists()
    # the removed email is free for another contact now
    other = make_contact({"emails": [{"email": "ari@example.com"}]})
    assert other != ari


def test_empty_arrays_empty_the_contact(write_client, ari) -> None:
    body = patch(write_client, ari, 1, {"emails": [], "phones": [], "addresses": []}).json()
    info = body["contact"]["info"]
    assert info["emails"] == info["phones"] == info["addresses"] == {"items": []}
    assert body["contact"]["primaryInfo"] == {"email": None, "phone": None}


def test_primary_flags(write_client, ari) -> None:
    # the current primary stays primary when still given and nobody asks otherwise
    body = patch(write_client, ari, 1, {"emails": [{"email": "x@example.com"}, {"email": "ari@example.com"}]}).json()
    assert primaries(body) == {"x@example.com": False, "ari@example.com": True}
    body = patch(write_client, ari, 2, {"emails": [{"email": "x@example.com", "primary": True},
                                                   {"email": "ari@example.com"}]}).json()
    assert primaries(body) == {"x@example.com": True, "ari@example.com": False}
    two = patch(write_client, ari, 3, {"phones": [{"phone": "+16502530001", "primary": True},
                                                  {"phone": "+16502530002", "primary": True}]})
    assert two.status_code == 400 and "phones" in two.json()["info"]


def test_extended_fields_given_replace_per_key(write_client, ari) -> None:
    body = patch(write_client, ari, 1, {"extendedFields": {"custom.shoe": 43, "custom.note": ""}}).json()
    assert body["contact"]["info"]["extendedFields"] == {"items": {"custom.shoe": 43.0}}
    assert Contact.objects.get(pk=ari).extended_fields == {"custom.shoe": 43.0}
    wrong = patch(write_client, ari, 2, {"extendedFields": {"custom.shoe": "big", "custom.nope": 1}})
    assert wrong.status_code == 400 and len(wrong.json()["info"]["extendedFields"]) == 2


# --- refusals: nothing written --------------------------------------------------------------------


def test_an_email_or_phone_of_another_contact_is_a_409_naming_the_field(write_client, ari) -> None:
    bo = make_contact({"emails": [{"email": "bo@example.com"}], "phones": [{"phone": "+16502530009"}]})
    before, total = contact_state(ari), counts()
    response = patch(write_client, ari, 1, {"company": "Changed", "emails": [
        {"email": "ari@example.com"}, {"email": "BO@example.com"}]})
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_contact_exists"
    assert response.json()["field"] == "info.emails.1.email" and response.json()["duplicateContactId"] == str(bo)
    response = patch(write_client, ari, 1, {"phones": [{"countryCode": "US", "phone": "(650) 253-0009"}]})
    assert response.status_code == 409 and response.json()["field"] == "info.phones.0.phone"
    assert contact_state(ari) == before and counts() == total


@pytest.mark.parametrize(("info", "where"), [
    ({"labelKeys": ["custom.vip"]}, ("info", "labelKeys")),  # the label endpoints do that
    ({"emails": [{"email": "not-an-email"}]}, ("info", "emails", "0", "email")),
    ({"phones": [{"phone": "12"}]}, ("info", "phones", "0")),
    ({"emails": [{"email": "a@example.com"}, {"email": "A@example.com"}]}, ("info", "emails", "1", "email")),
    ({"addresses": [{"address": {"city": "X"}}, {"address": {"city": " x "}}]}, ("info", "addresses", "1")),
    ({"nickname": "Ari"}, ("info", "nickname")),
    ({"company": None}, ("info", "company")),
    ({"birthdate": "03/02/1990"}, ("info", "birthdate")),
    ({"emails": [{"email": f"e{i}@example.com"} for i in range(51)]}, ("info", "emails")),
])
def test_invalid_info_is_a_400_field_error_and_writes_nothing(write_client, ari, info, where) -> None:
    before = contact_state(ari)
    response = patch(write_client, ari, 1, {"company": "Changed", **info})
    assert response.status_code == 400, response.json()
    node: Any = response.json()
    for key in where:
        node = node[key]
    assert node
    assert contact_state(ari) == before


@pytest.mark.parametrize("body", [
    {"info": {}}, {"revision": "1", "info": {}}, {"revision": 1.0, "info": {}}, {"revision": True, "info": {}},
    {"revision": 0, "info": {}}, {"revision": 1}, {"revision": 1, "info": {}, "extra": 1}, [],
])
def test_the_body_shape_is_strict(write_client, ari, body) -> None:
    response = write_client.patch(url(ari), body, format="json")
    assert response.status_code == 400
    assert Contact.objects.get(pk=ari).revision == 1


def test_an_unknown_or_merged_id_is_a_404(write_client, ari) -> None:
    assert patch(write_client, uuid.uuid4(), 1, {"company": "X"}).status_code == 404
    source = make_contact({"emails": [{"email": "src@example.com"}]})
    contact_merge(target_id=ari, source_ids=[source], acting_user=None, now=timezone.now())
    response = patch(write_client, source, 1, {"company": "X"})
    assert response.status_code == 404 and response.json()["mergedInto"] == str(ari)


# --- members ----------------------------------------------------------------------------------------


@pytest.fixture
def dee(now) -> uuid.UUID:
    member = member_signup(email="Dee@Example.com", password="x" * 12, first_name="Dee", last_name="",
                           visitor=None, now=now)
    return member.contact_id


def test_a_members_login_email_cannot_be_removed_or_lose_primary(write_client, dee) -> None:
    before = contact_state(dee)
    removed = patch(write_client, dee, 1, {"emails": [{"email": "other@example.com"}]})
    assert removed.status_code == 400 and "login email" in removed.json()["info"]["emails"][0]
    demoted = patch(write_client, dee, 1, {"emails": [{"email": "dee@example.com"},
                                                       {"email": "other@example.com", "primary": True}]})
    assert demoted.status_code == 400 and "primary" in demoted.json()["info"]["emails"][0]
    assert contact_state(dee) == before


def test_a_member_may_add_emails_and_the_login_email_stays_primary(write_client, dee) -> None:
    body = patch(write_client, dee, 1, {"emails": [{"email": "other@example.com"}, {"email": "DEE@example.com"}],
                                        "name": {"last": "Dee"}}).json()
    assert primaries(body) == {"other@example.com": False, "DEE@example.com": True}
    assert body["contact"]["primaryInfo"]["email"] == "DEE@example.com"
    assert body["contact"]["memberInfo"]["email"] == "Dee@example.com"  # as normalised at signup


# --- the service ------------------------------------------------------------------------------------


def test_the_service_takes_time_and_the_actor_as_arguments(ari) -> None:
    moment = timezone.now() + datetime.timedelta(days=1)
    result = contact_update(contact_id=ari, revision=1, info={"company": "Svc"}, acting_user=None, now=moment)
    contact = Contact.objects.get(pk=ari)
    assert (result.revision, contact.revision, contact.updated_at, contact.company) == (2, 2, moment, "Svc")
    assert Phone.objects.filter(contact_id=ari).count() == 1  # phones not given: kept
