"""The back-office read API: get a contact (merged ids resolve), query with filters in stable
cursor pages, a contact's submissions; tokens and staff sessions, scoped."""

import datetime
import re
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from contacts.merge import contact_merge
from contacts.models import Contact, Label
from integrations.models import Scope
from members.services import member_signup
from tests.integrations.conftest import make_contact

pytestmark = pytest.mark.django_db

QUERY_URL = "/api/contacts/"


def contact_url(contact_id: uuid.UUID | str) -> str:
    return f"/api/contacts/{contact_id}/"


def ids(response: Any) -> list[str]:
    return [c["id"] for c in response.json()["contacts"]]


@pytest.fixture
def ari() -> uuid.UUID:
    return make_contact({
        "name": {"first": "Ari", "last": "Thereyet"}, "emails": [{"email": "ari@example.com"}],
        "phones": [{"countryCode": "US", "phone": "(650) 253-0000"}],
    })


# --- permissions ----------------------------------------------------------------------------------


def test_anonymous_calls_get_401_json_with_the_bearer_challenge(ari) -> None:
    for url in (QUERY_URL, contact_url(ari), contact_url(ari) + "submissions/"):
        response = APIClient().get(url)
        assert response.status_code == 401, url
        assert response.json() == {"detail": "Authentication credentials were not provided."}
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_read_token_reads_and_a_token_without_read_scope_gets_403(api_client_with, ari) -> None:
    assert api_client_with(Scope.READ).get(contact_url(ari)).status_code == 200
    for scopes in ((Scope.WRITE,), (Scope.LABEL, Scope.IMPORT), ()):
        response = api_client_with(*scopes).get(QUERY_URL)
        assert response.status_code == 403 and "detail" in response.json(), scopes


def test_a_revoked_or_unknown_token_gets_401(api_client_with, ari) -> None:
    client = api_client_with(Scope.READ)
    client.token.revoked_at = timezone.now()
    client.token.save(update_fields=["revoked_at"])
    assert client.get(contact_url(ari)).status_code == 401
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION="Bearer crm_" + "x" * 43)
    assert stranger.get(QUERY_URL).status_code == 401


def test_staff_sessions_read_and_other_users_do_not(admin_client, ari) -> None:
    assert admin_client.get(contact_url(ari)).status_code == 200
    user = get_user_model().objects.create_user("visitor", password="x" * 12)
    client = APIClient()
    client.force_login(user)
    assert client.get(contact_url(ari)).status_code == 403


# --- get ---------------------------------------------------------------------------------------------


def test_get_returns_the_contact_object(read_client, ari) -> None:
    response = read_client.get(contact_url(ari))
    body = response.json()
    assert response.status_code == 200 and body["responseType"] == "REGULAR"
    contact = body["contact"]
    assert contact["id"] == str(ari) and contact["revision"] == 1
    assert contact["primaryInfo"] == {"email": "ari@example.com", "phone": "(650) 253-0000"}
    assert contact["info"]["phones"]["items"][0]["e164Phone"] == "+16502530000"


UTC_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z")


def test_every_moment_is_utc_in_one_spelling(read_client, now) -> None:
    """A client parses the contact's dates, its submissions' and the labels' the same way."""
    Label.objects.create(key="custom.vip", display_name="VIP")
    contact_id = make_contact({"emails": [{"email": "when@example.com"}], "labelKeys": ["custom.vip"]},
                              now=now)
    member_signup(email="when@example.com", password="a long passphrase 1", first_name="", last_name="",
                  visitor=None, now=now)
    contact = read_client.get(contact_url(contact_id)).json()["contact"]
    submission = read_client.get(contact_url(contact_id) + "submissions/").json()["submissions"][0]
    label = read_client.get("/api/labels/").json()["labels"][0]
    moments = [contact["createdDate"], contact["updatedDate"], contact["lastActivity"]["activityDate"],
               contact["memberInfo"]["signupDate"], submission["createdDate"], label["createdDate"]]
    assert all(UTC_MOMENT.fullmatch(m) for m in moments), moments
    assert datetime.datetime.fromisoformat(contact["createdDate"]) == Contact.objects.get(pk=contact_id).created_at


def test_a_merged_id_resolves_to_its_target(read_client, ari) -> None:
    source = make_contact({"name": {"first": "Ari"}, "emails": [{"email": "ari.other@example.com"}]})
    contact_merge(target_id=ari, source_ids=[source], acting_user=None, now=timezone.now())
    body = read_client.get(contact_url(source)).json()
    assert body["responseType"] == "MERGED" and body["contact"]["id"] == str(ari)
    emails = [e["email"] for e in body["contact"]["info"]["emails"]["items"]]
    assert emails == ["ari@example.com", "ari.other@example.com"]
    # only get resolves: the merged id's submissions are the target's now
    response = read_client.get(contact_url(source) + "submissions/")
    assert response.status_code == 404
    assert response.json()["code"] == "contact_merged" and response.json()["mergedInto"] == str(ari)
    assert read_client.get(QUERY_URL).json()["contacts"][0]["id"] == str(ari)  # merged: not listed
    assert ids(read_client.get(QUERY_URL)) == [str(ari)]


def test_an_unknown_id_is_a_json_404(read_client) -> None:
    response = read_client.get(contact_url(uuid.uuid4()))
    assert response.status_code == 404 and response.json() == {"detail": "No contact with this id."}
    assert read_client.get(contact_url(uuid.uuid4()) + "submissions/").status_code == 404


# --- query: filters ---------------------------------------------------------------------------------


@pytest.fixture
def people(now) -> dict[str, uuid.UUID]:
    Label.objects.create(key="custom.vip", display_name="VIP")
    Label.objects.create(key="custom.lead", display_name="Lead")
    Label.objects.create(key="custom.unused", display_name="Unused")
    day = datetime.timedelta(days=1)
    made = {
        "ari": make_contact({"name": {"first": "Ari", "last": "Thereyet"}, "company": "Acme Rockets",
                             "emails": [{"email": "ari@example.com"}, {"email": "ari.work@example.com"}],
                             "phones": [{"countryCode": "US", "phone": "650-253-0000"}],
                             "labelKeys": ["custom.vip", "custom.lead"]}, now=now - 3 * day),
        "bo": make_contact({"name": {"first": "Bo", "last": "Aritz"}, "company": "acme corp",
                            "emails": [{"email": "Bo@Example.com"}], "phones": [{"phone": "+44 20 7946 0958"}],
                            "labelKeys": ["custom.vip"]}, now=now - 2 * day),
        "cy": make_contact({"name": {"first": "Cy"}, "company": "Zeta", "labelKeys": ["custom.lead"],
                            "phones": [{"countryCode": "US", "phone": "601-081-124"}]}, now=now - day),
    }
    member = member_signup(email="dee@example.com", password="x" * 12, first_name="Dee", last_name="",
                           visitor=None, now=now)
    made["dee"] = member.contact_id
    Contact.objects.filter(pk=made["ari"]).update(updated_at=now + day)  # the most recently updated
    return made


@pytest.mark.parametrize(("params", "expected"), [
    ({}, ["dee", "cy", "bo", "ari"]),
    ({"email": "ARI.WORK@example.com"}, ["ari"]),
    ({"email": "bo@example.com"}, ["bo"]),
    ({"email": "nobody@example.com"}, []),
    ({"phone": "+16502530000"}, ["ari"]),
    ({"phone": "(650) 253-0000"}, ["ari"]),  # national: CRM_DEFAULT_PHONE_REGION (US)
    ({"phone": "+442079460958"}, ["bo"]),
    ({"phone": "601-081-124"}, ["cy"]),  # plausible but not valid: +1 and its digits
    ({"labels": "custom.vip"}, ["bo", "ari"]),
    ({"labels": "custom.vip,custom.lead"}, ["cy", "bo", "ari"]),
    ({"labelsAll": "custom.vip,custom.lead"}, ["ari"]),
    ({"labelsAll": "custom.unused"}, []),
    ({"labels": "custom.lead", "labelsAll": "custom.vip"}, ["ari"]),
    ({"name": "ari"}, ["bo", "ari"]),  # first name Ari, last name Aritz
    ({"name": "THERE"}, ["ari"]),
    ({"name": "50%"}, []),  # LIKE wildcards are literal
    ({"company": "acme"}, ["bo", "ari"]),
    ({"company": "Acme R"}, ["ari"]),
    ({"member": "true"}, ["dee"]),
    ({"member": "false"}, ["cy", "bo", "ari"]),
    ({"ordering": "createdDate"}, ["ari", "bo", "cy", "dee"]),
    ({"ordering": "-updatedDate"}, ["ari", "dee", "cy", "bo"]),
    ({"ordering": "updatedDate", "company": "acme"}, ["bo", "ari"]),
])
def test_each_filter(read_client, people, params, expected) -> None:
    response = read_client.get(QUERY_URL, params)
    assert response.status_code == 200, response.json()
    assert ids(response) == [str(people[name]) for name in expected]


def test_date_filters_are_from_inclusive_to_exclusive(read_client, people, now) -> None:
    bo = Contact.objects.get(pk=people["bo"])
    at = bo.created_at.isoformat()
    assert ids(read_client.get(QUERY_URL, {"createdFrom": at})) == [str(people[n]) for n in ("dee", "cy", "bo")]
    assert ids(read_client.get(QUERY_URL, {"createdTo": at})) == [str(people["ari"])]
    assert ids(read_client.get(QUERY_URL, {"createdFrom": at, "createdTo": (bo.created_at +
               datetime.timedelta(microseconds=1)).isoformat()})) == [str(people["bo"])]
    later = (now + datetime.timedelta(hours=1)).isoformat()
    assert ids(read_client.get(QUERY_URL, {"updatedFrom": later})) == [str(people["ari"])]
    assert len(ids(read_client.get(QUERY_URL, {"updatedTo": later}))) == 3


@pytest.mark.parametrize(("params", "field"), [
    ({"email": "not an email"}, "email"),
    ({"phone": "call me"}, "phone"),
    ({"phone": "12"}, "phone"),
    ({"labels": "custom.nope"}, "labels"),
    ({"labelsAll": " , "}, "labelsAll"),
    ({"createdFrom": "yesterday"}, "createdFrom"),
    ({"updatedTo": "2024-13-01T00:00:00Z"}, "updatedTo"),
    ({"member": "yes"}, "member"),
    ({"ordering": "name"}, "ordering"),
    ({"limit": "0"}, "limit"),
    ({"limit": "1001"}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"cursor": "garbage"}, "cursor"),
    ({"name": "a\x00b"}, "name"),
    ({"emial": "ari@example.com"}, "emial"),  # a misspelt filter would list everyone
])
def test_invalid_filters_are_400_field_errors(read_client, people, params, field) -> None:
    response = read_client.get(QUERY_URL, params)
    assert response.status_code == 400
    body = response.json()
    assert field in body and isinstance(body[field], list), body


def test_an_empty_parameter_is_no_filter(read_client, people) -> None:
    assert len(ids(read_client.get(QUERY_URL, {"email": "", "name": "", "labels": ""}))) == 4


def test_a_cursor_is_refused_under_another_ordering(read_client, people) -> None:
    next_url = read_client.get(QUERY_URL, {"limit": 1}).json()["next"]
    cursor = parse_qs(urlsplit(next_url).query)["cursor"][0]
    response = read_client.get(QUERY_URL, {"limit": 1, "cursor": cursor, "ordering": "createdDate"})
    assert response.status_code == 400 and "cursor" in response.json()


# --- query: pagination --------------------------------------------------------------------------------


@pytest.fixture
def many(now) -> list[Contact]:
    """120 contacts, most sharing their created_at with others (batches of 1 to 9)."""
    rows = []
    for i in range(120):
        moment = now - datetime.timedelta(seconds=i // 9 + (i % 3 == 0))
        rows.append(Contact(first_name=f"P{i}", created_at=moment, updated_at=moment - datetime.timedelta(
            seconds=i % 4)))
    Contact.objects.bulk_create(rows)
    return rows


def walk(client: APIClient, params: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Follow `next` links from the first page; the ids in order, and the pages."""
    pages: list[list[str]] = []
    response = client.get(QUERY_URL, params)
    while True:
        assert response.status_code == 200, response.json()
        pages.append(ids(response))
        url = response.json()["next"]
        if url is None:
            break
        response = client.get(url)
    return [i for page in pages for i in page], pages


@pytest.mark.parametrize(("ordering", "field", "reverse"), [
    ("-createdDate", "created_at", True), ("createdDate", "created_at", False),
    ("-updatedDate", "updated_at", True), ("updatedDate", "updated_at", False),
])
def test_walking_all_pages_gives_every_contact_once_in_order(read_client, many, ordering, field, reverse) -> None:
    expected = [str(c.pk) for c in sorted(many, key=lambda c: (getattr(c, field), c.pk), reverse=reverse)]
    assert len({getattr(c, field) for c in many}) < 40  # many ties
    walked, pages = walk(read_client, {"limit": 7, "ordering": ordering})
    assert walked == expected
    assert [len(p) for p in pages] == [7] * 17 + [1]


def test_previous_links_walk_back_through_the_same_pages(read_client, many) -> None:
    _, pages = walk(read_client, {"limit": 7})
    response = read_client.get(QUERY_URL, {"limit": 7})
    assert response.json()["previous"] is None
    for _ in range(len(pages) - 1):
        response = read_client.get(response.json()["next"])
    back = [ids(response)]
    while response.json()["previous"] is not None:
        response = read_client.get(response.json()["previous"])
        back.append(ids(response))
    assert back[::-1] == pages


def test_pages_stay_stable_when_contacts_are_added_while_walking(read_client, many, now) -> None:
    first = read_client.get(QUERY_URL, {"limit": 7}).json()
    make_contact({"name": {"first": "Newcomer"}}, now=now + datetime.timedelta(minutes=1))
    second = read_client.get(first["next"]).json()
    expected = [str(c.pk) for c in sorted(many, key=lambda c: (c.created_at, c.pk), reverse=True)]
    assert [c["id"] for c in first["contacts"] + second["contacts"]] == expected[:14]


def test_a_filtered_walk_keeps_its_filter(read_client, many) -> None:
    Contact.objects.filter(first_name__in=["P1", "P10", "P100"]).update(company="Initech")
    walked, pages = walk(read_client, {"limit": 2, "company": "init"})
    assert len(walked) == 3 and len(pages) == 2


def test_the_default_and_the_largest_page(read_client, many) -> None:
    assert len(ids(read_client.get(QUERY_URL))) == 50
    assert len(ids(read_client.get(QUERY_URL, {"limit": 1000}))) == 120


def test_a_page_costs_the_same_queries_whatever_its_size(read_client, people, many) -> None:
    params = {"labels": "custom.vip,custom.lead"}
    read_client.get(QUERY_URL)  # the token's last_used_at is written at most once a minute: not below
    counts = []
    for limit in (1, 3, 50):
        with CaptureQueriesContext(connection) as queries:
            response = read_client.get(QUERY_URL, {**params, "limit": limit})
        assert response.status_code == 200
        counts.append(len(queries))
    unfiltered = []
    for limit in (2, 100):
        with CaptureQueriesContext(connection) as queries:
            read_client.get(QUERY_URL, {"limit": limit})
        unfiltered.append(len(queries))
    assert counts[0] == counts[1] == counts[2] and unfiltered[0] == unfiltered[1]


# --- submissions --------------------------------------------------------------------------------------


def test_a_contacts_submissions_newest_first_in_pages(read_client, now) -> None:
    contact_id = make_contact({"emails": [{"email": "sub@example.com"}]}, now=now)
    for i in range(1, 5):
        make_contact({"emails": [{"email": "sub@example.com"}], "company": f"C{i}"},
                     now=now + datetime.timedelta(seconds=i))
    url = contact_url(contact_id) + "submissions/"
    first = read_client.get(url, {"limit": 3}).json()
    second = read_client.get(first["next"]).json()
    rows = first["submissions"] + second["submissions"]
    assert second["next"] is None and len(rows) == 5
    assert [r["payload"].get("company") for r in rows] == ["C4", "C3", "C2", "C1", None]
    newest = rows[0]
    assert newest["channel"] == "api" and newest["identityType"] == "CONTACT" and newest["matchedBy"] == "email"
    assert newest["newContact"] is False and rows[-1]["newContact"] is True
    assert rows[3]["written"] == [{"field": "company", "value": "C1"}] and newest["visitorId"] is None
    assert newest["written"] == [] and newest["skipped"][0]["reason"] == "field_not_empty"
    assert set(newest) == {"id", "createdDate", "channel", "identityType", "matchedBy", "newContact", "visitorId",
                           "written", "skipped", "payload", "message"}
