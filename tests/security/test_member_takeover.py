"""A member's contact under attack (decisions.md §3, §5): strangers, a reused or forged visitor
cookie and another member can neither change a member's contact nor attach themselves to it,
and no answer or log line gives contact data away.

tests/members/test_members.py already proves the basic NOT_AUTHENTICATED_MEMBER cases (the
member's own browser after logout, and another browser, calling with the member's email;
the form with the member's email; a member calling with a non-member's email). These tests
add the member's phone, a copied cookie, a forged cookie for the member's visitor id, a
second member, what answers and logs reveal, and the admin boundary.
"""

import logging
import time
from typing import Any

import pytest
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from contacts.enums import Channel, IdentityType
from contacts.models import Email, Submission, VisitorLink, VisitorSession
from contacts.reconcile import service
from contacts.visitor import SALT as VISITOR_SALT
from members.models import Member
from tests.helpers import (
    FAST_PASSWORD_HASHERS,
    FORM_URL,
    client_visitor_id,
    contact_state,
    counts,
    post_json,
)

pytestmark = pytest.mark.django_db

SIGNUP_URL = "/members/signup/"
LOGOUT_URL = "/members/logout/"
PASSWORD = "a-Long-unusual-pass-42"
COOKIE = settings.VISITOR_COOKIE_NAME
RESPONSE_KEYS = {"contactId", "identityType", "newContact"}

MIA_EMAIL = "mia.member@example.com"
MIA_PHONE = "+442079460958"  # added to her contact while logged in
NOA_EMAIL = "noa.member@example.com"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


def _signup(email: str, first: str, last: str) -> tuple[Client, Member]:
    client = Client()
    client.get(FORM_URL)  # a browser with a visitor cookie, as a real one has
    response = client.post(SIGNUP_URL, {"email": email, "password": PASSWORD, "first_name": first,
                                        "last_name": last})
    assert response.status_code == 302, response.content.decode()
    return client, Member.objects.get(user__username=email)


@pytest.fixture
def mia() -> tuple[Client, Member]:
    client, member = _signup(MIA_EMAIL, "Mia", "Member")
    response = post_json(client, {"phones": [{"phone": MIA_PHONE, "tag": "MOBILE"}], "company": "Mia Co"})
    assert response.json()["identityType"] == "MEMBER"
    return client, member


@pytest.fixture
def noa() -> tuple[Client, Member]:
    return _signup(NOA_EMAIL, "Noa", "Other")


def _links() -> list[tuple[Any, ...]]:
    return list(VisitorLink.objects.order_by("pk").values_list("visitor_id", "contact_id", "linked_at",
                                                               "unlinked_at"))


def _visitors() -> list[tuple[Any, ...]]:
    return list(VisitorSession.objects.order_by("pk").values_list("id", "contact_id"))


class Unchanged:
    """Snapshot of a member's contact, every visitor link and every visitor's current contact."""

    def __init__(self, member: Member) -> None:
        self.member = member
        self.state = contact_state(member.contact_id)
        self.links = _links()
        self.visitors = _visitors()
        self.counts = counts()

    def assert_only_submissions_added(self, n: int = 1) -> None:
        assert contact_state(self.member.contact_id) == self.state
        assert _links() == self.links
        assert [v for v in _visitors() if v[1] is not None] == [v for v in self.visitors if v[1] is not None]
        after = counts()
        assert after["Submission"] == self.counts["Submission"] + n
        assert {k: v for k, v in after.items() if k not in {"Submission", "VisitorSession"}} == {
            k: v for k, v in self.counts.items() if k not in {"Submission", "VisitorSession"}}


def _last_submission() -> Submission:
    return Submission.objects.order_by("-created_at")[0]


# --- strangers -------------------------------------------------------------------------------


STRANGER_BODIES = {
    "phone-in-another-format": {"name": {"first": "Eve"}, "phones": [{"phone": "020 7946 0958", "countryCode": "GB"}],
                                "company": "Eve Corp", "jobTitle": "Thief"},
    "email-after-an-unknown-email": {"emails": [{"email": "eve@example.com"}, {"email": "MIA.MEMBER@EXAMPLE.COM"}],
                                     "name": {"last": "Eve"}, "locale": "fr-FR", "birthdate": "1990-01-01"},
    "email-and-phone": {"emails": [{"email": MIA_EMAIL, "primary": True}],
                        "phones": [{"phone": MIA_PHONE, "primary": True}],
                        "addresses": [{"address": {"city": "Paris", "country": "FR"}}]},
}


@pytest.mark.parametrize("body", STRANGER_BODIES.values(), ids=STRANGER_BODIES.keys())
def test_a_stranger_with_the_members_email_or_phone_changes_and_links_nothing(mia, body):
    _mia_client, member = mia
    stranger = Client()
    before = Unchanged(member)

    response = post_json(stranger, body)

    assert response.status_code == 200
    assert response.json() == {"contactId": str(member.contact_id), "identityType": "NOT_AUTHENTICATED_MEMBER",
                               "newContact": False}
    before.assert_only_submissions_added()
    submission = _last_submission()
    assert submission.identity_type == IdentityType.NOT_AUTHENTICATED_MEMBER
    assert submission.written == []
    assert {s["reason"] for s in submission.skipped} == {"not_authenticated_member"}
    assert VisitorSession.objects.get(pk=client_visitor_id(stranger)).contact_id is None


def test_a_stranger_using_the_form_with_the_members_phone_changes_and_links_nothing(mia):
    _mia_client, member = mia
    stranger = Client()
    before = Unchanged(member)

    response = stranger.post(FORM_URL, {"first_name": "Eve", "phone_country": "GB", "phone": "020 7946 0958",
                                        "company": "Eve Corp", "message": "hi"})

    assert response.status_code == 302
    before.assert_only_submissions_added()
    assert _last_submission().identity_type == IdentityType.NOT_AUTHENTICATED_MEMBER
    # The thank-you page says nothing about whose contact it was.
    thanks = stranger.get(response["Location"]).content.decode()
    for value in ("Mia", "Member", MIA_EMAIL, MIA_PHONE, "Mia Co", str(member.contact_id)):
        assert value not in thanks


# --- the member's browser after logout ---------------------------------------------------


AFTER_LOGOUT_BODIES = {
    "name-only": {"name": {"first": "Someone", "last": "Else"}},
    "without-email": {"name": {"first": "Someone"}, "company": "Other Inc", "jobTitle": "CEO",
                      "phones": [{"phone": "+16502530000"}], "addresses": [{"address": {"city": "Oslo"}}]},
}


@pytest.mark.parametrize("body", AFTER_LOGOUT_BODIES.values(), ids=AFTER_LOGOUT_BODIES.keys())
def test_the_members_visitor_cookie_after_logout_changes_and_links_nothing(mia, body):
    client, member = mia
    visitor = client_visitor_id(client)
    assert VisitorSession.objects.get(pk=visitor).contact_id == member.contact_id  # linked at signup
    client.post(LOGOUT_URL)
    assert client_visitor_id(client) == visitor  # logout keeps the visitor cookie
    before = Unchanged(member)

    api = post_json(client, body)
    form = client.post(FORM_URL, {"first_name": "Someone", "company": "Other Inc", "phone_country": "US"})

    assert api.status_code == 200
    assert api.json() == {"contactId": str(member.contact_id), "identityType": "NOT_AUTHENTICATED_MEMBER",
                          "newContact": False}
    assert form.status_code == 302
    before.assert_only_submissions_added(2)
    assert list(Submission.objects.filter(channel__in=[Channel.API, Channel.FORM]).exclude(user__isnull=False)
                .values_list("identity_type", flat=True)) == [IdentityType.NOT_AUTHENTICATED_MEMBER] * 2


def test_the_members_visitor_cookie_copied_into_another_browser_changes_and_links_nothing(mia):
    client, member = mia
    copied = client.cookies[COOKIE].value
    other = Client()
    other.cookies[COOKIE] = copied
    before = Unchanged(member)

    response = post_json(other, AFTER_LOGOUT_BODIES["without-email"])

    assert response.json()["identityType"] == "NOT_AUTHENTICATED_MEMBER"
    before.assert_only_submissions_added()


def test_a_forged_cookie_for_the_members_visitor_id_is_ignored(mia):
    """Knowing the member's visitor id is not enough: a cookie not signed with our key is
    replaced by a new visitor, so a name-only submission creates a new contact."""
    client, member = mia
    visitor = client_visitor_id(client)
    forger = signing.TimestampSigner(key="not-the-servers-secret-key-" + "y" * 30, salt=COOKIE + VISITOR_SALT)
    stranger = Client()
    stranger.cookies[COOKIE] = forger.sign(f"{visitor}|{int(time.time())}")
    before = Unchanged(member)

    response = post_json(stranger, {"name": {"first": "Eve"}, "company": "Eve Corp"})

    assert response.status_code == 201
    assert response.json()["identityType"] == "CONTACT"
    assert response.json()["contactId"] != str(member.contact_id)
    assert client_visitor_id(stranger) != visitor  # a new, properly signed visitor id
    assert contact_state(member.contact_id) == before.state
    assert [link for link in _links() if link[1] == member.contact_id] == [
        link for link in before.links if link[1] == member.contact_id]


# --- another member ----------------------------------------------------------------------


def test_a_member_submitting_another_members_email_does_not_move_it(mia, noa):
    mia_client, mia_member = mia
    _noa_client, noa_member = noa
    noa_before = contact_state(noa_member.contact_id)

    response = post_json(mia_client, {"emails": [{"email": "Noa.Member@example.com"}], "jobTitle": "Engineer"})

    assert response.json() == {"contactId": str(mia_member.contact_id), "identityType": "MEMBER",
                               "newContact": False}
    assert contact_state(noa_member.contact_id) == noa_before
    assert Email.objects.get(key=NOA_EMAIL).contact_id == noa_member.contact_id
    mia_state = contact_state(mia_member.contact_id)
    assert [e[1] for e in mia_state["emails"]] == [MIA_EMAIL]
    assert mia_state["job_title"] == "Engineer"
    submission = _last_submission()
    assert submission.identity_type == IdentityType.MEMBER
    assert {"field": "emails", "value": "Noa.Member@example.com", "reason": "belongs_to_other_contact"} in (
        submission.skipped)


def test_a_member_using_the_form_with_another_members_phone_does_not_move_it(mia, noa):
    _mia_client, mia_member = mia
    noa_client, noa_member = noa
    mia_before = contact_state(mia_member.contact_id)

    response = noa_client.post(FORM_URL, {"phone_country": "GB", "phone": "020 7946 0958",
                                          "company": "Noa Ltd"})

    assert response.status_code == 302
    assert contact_state(mia_member.contact_id) == mia_before
    assert contact_state(noa_member.contact_id)["phones"] == []
    assert contact_state(noa_member.contact_id)["company"] == "Noa Ltd"
    submission = _last_submission()
    assert submission.identity_type == IdentityType.MEMBER and submission.contact_id == noa_member.contact_id
    assert [(s["field"], s["reason"]) for s in submission.skipped] == [("phones", "belongs_to_other_contact")]


# --- what answers reveal --------------------------------------------------------------------


SECRETS = ["Mia", "Member", MIA_EMAIL, MIA_PHONE, "2079460958", "Mia Co"]  # what Mia's contact holds


@pytest.mark.parametrize("body", [
    pytest.param({"emails": [{"email": MIA_EMAIL}]}, id="nam"),
    pytest.param({"name": {"first": "Eve"}}, id="created"),
])
def test_api_answers_carry_the_id_and_nothing_else(mia, body):
    _client, member = mia

    response = post_json(Client(), body)

    assert set(response.json()) == RESPONSE_KEYS
    text = response.content.decode()
    for value in SECRETS:
        assert value not in text


@pytest.mark.parametrize("body", [
    pytest.param({"emails": [{"email": MIA_EMAIL}], "phones": [{"phone": "abc"}]}, id="invalid-phone"),
    pytest.param({"emails": [{"email": MIA_EMAIL}], "labelKeys": ["no-such-label"]}, id="unknown-label"),
    pytest.param({"emails": [{"email": MIA_EMAIL}], "typo": 1}, id="unknown-field"),
    pytest.param({"emails": [{"email": MIA_EMAIL}], "birthdate": "yesterday"}, id="bad-date"),
])
def test_errors_for_a_members_email_reveal_nothing_about_the_member(mia, body):
    _client, member = mia
    before = Unchanged(member)

    response = post_json(Client(), body)

    assert response.status_code == 400
    text = response.content.decode()
    for value in [*SECRETS, str(member.contact_id), "NOT_AUTHENTICATED_MEMBER"]:
        assert value not in text
    before.assert_only_submissions_added(0)


# --- what logs reveal -----------------------------------------------------------------------


SUBMITTED = {"first": "Zebulon", "last": "Quixotic", "email": "zebulon.quixotic@example.com",
             "phone": "+4915112345678", "phone_digits": "15112345678"}


def _log_text(records: list[logging.LogRecord]) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(r) + repr(r.args) for r in records)


@pytest.fixture
def all_logs(caplog: Any) -> Any:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")
    return caplog


def _api_body(**extra: Any) -> dict[str, Any]:
    return {"name": {"first": SUBMITTED["first"], "last": SUBMITTED["last"]},
            "emails": [{"email": SUBMITTED["email"]}], "phones": [{"phone": SUBMITTED["phone"]}], **extra}


FORM_BODY = {"first_name": SUBMITTED["first"], "last_name": SUBMITTED["last"], "email": SUBMITTED["email"],
             "phone_country": "DE", "phone": SUBMITTED["phone"], "message": "hello"}


def _persistent_conflict(*args: Any, **kwargs: Any) -> Any:
    """A writer that wins every retry: the database refuses the email with a real unique
    violation, whose DETAIL quotes the key."""
    contact = Member.objects.get().contact
    for _ in range(2):
        Email.objects.create(contact=contact, email=SUBMITTED["email"], key=SUBMITTED["email"],
                             created_at=timezone.now())
    raise AssertionError("unreachable")


def test_logs_carry_no_submitted_contact_data(mia, all_logs, settings, monkeypatch):
    _client, member = mia
    settings.CRM_THROTTLE_CLIENT = "2/min"  # the third call of one address is a 429
    from django.core.cache import cache

    cache.clear()
    client = Client(raise_request_exception=False)
    all_logs.clear()

    statuses = [
        post_json(client, _api_body()).status_code,  # created
        client.post(FORM_URL, FORM_BODY).status_code,  # matched
        post_json(client, _api_body(phones=[{"phone": "x" + SUBMITTED["phone"]}])).status_code,  # 429
    ]
    settings.CRM_THROTTLE_CLIENT = "off"
    statuses += [
        post_json(client, _api_body(phones=[{"phone": SUBMITTED["phone"] + "x"}])).status_code,  # 400
        client.post(FORM_URL, {**FORM_BODY, "email": SUBMITTED["email"] + "@"}).status_code,  # 400
        post_json(client, {"emails": [{"email": MIA_EMAIL}], "name": {"first": SUBMITTED["first"]}}).status_code,
    ]
    monkeypatch.setattr(service, "_reconcile", _persistent_conflict)
    with pytest.raises(IntegrityError) as conflict, transaction.atomic():
        _persistent_conflict()
    assert SUBMITTED["email"] in str(conflict.value)  # what the logs must not repeat
    statuses += [post_json(client, {**_api_body(), "emails": [{"email": "other." + SUBMITTED["email"]}]}).status_code,
                 client.post(FORM_URL, FORM_BODY).status_code]

    assert statuses == [201, 302, 429, 400, 400, 200, 500, 500]
    assert all_logs.records, "expected Django's request log lines (4xx warnings, 500 errors)"
    assert {r.levelno for r in all_logs.records} >= {logging.WARNING, logging.ERROR}
    text = _log_text(all_logs.records)
    for value in (*SUBMITTED.values(), MIA_EMAIL.split("@")[0], "Mia Co"):
        assert value not in text, f"{value!r} appears in the logs:\n{text}"
    errors = [r for r in all_logs.records if r.levelno >= logging.ERROR]
    assert errors and all("IntegrityError" in (r.exc_text or "") for r in errors)  # the cause stays visible


def test_error_emails_to_admins_carry_no_submitted_contact_data(mia, settings, monkeypatch, mailoutbox):
    """With ADMINS set, Django mails every 500 with the request: POST values and the frames'
    local variables (the payload) would be in it. The redacting log filter removes the live
    exception (so the mail has no traceback; the log line keeps the redacted one) and the
    report filter hides POST values."""
    settings.ADMINS = [("Ops", "ops@example.com")]
    monkeypatch.setattr(service, "_reconcile", _persistent_conflict)
    client = Client(raise_request_exception=False)

    statuses = [client.post(FORM_URL, FORM_BODY).status_code, post_json(client, _api_body()).status_code]

    assert statuses == [500, 500]
    assert len(mailoutbox) == 2
    for message in mailoutbox:
        text = message.body + "".join(str(a) for a in message.alternatives)
        assert "Internal Server Error" in text
        for value in SUBMITTED.values():
            assert value not in text
    assert "first_name" in mailoutbox[0].body  # the report still says which fields were sent


# --- the admin ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/", "/admin/contacts/contact/", "{contact}", "/admin/contacts/submission/"])
def test_a_logged_in_member_who_is_not_staff_is_sent_to_the_admin_login(mia, path):
    client, member = mia
    url = path.format(contact=f"/admin/contacts/contact/{member.contact_id}/change/")

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    login_page = client.get(response["Location"])
    assert "not authorized to access this page" in login_page.content.decode()
    for value in ("Mia Co", MIA_PHONE):
        assert value not in login_page.content.decode()
