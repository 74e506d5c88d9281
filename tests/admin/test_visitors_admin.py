"""Visitor identities and the ledger in the admin: read-only lists with counts, the linked
filter, and the filtered submission lists other pages link to."""

import re
import uuid
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contacts.enums import Channel, IdentityType
from contacts.models import Submission, VisitorSession
from contacts.payload import contact_payload_from_info
from contacts.reconcile import ReconcileResult, contact_append_or_create
from contacts.visitor import VisitorIdentity
from members.services import member_signup
from tests.helpers import FAST_PASSWORD_HASHERS

pytestmark = pytest.mark.django_db

VISITORS = "/admin/contacts/visitorsession/"
SUBMISSIONS = "/admin/contacts/submission/"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


def new_visitor() -> VisitorIdentity:
    return VisitorIdentity(id=uuid.uuid4(), issued_at=timezone.now())


def submit(info: dict[str, Any], visitor: VisitorIdentity, channel: Channel = Channel.FORM) -> ReconcileResult:
    return contact_append_or_create(contact_payload_from_info(info), actor=None, visitor=visitor, channel=channel,
                                    now=timezone.now())


@pytest.fixture
def visitors() -> dict[str, Any]:
    """`ari` sent three submissions (the last moved it from Ari to Bo); `bo` one; `stranger`
    matched a member while not logged in, so it is not linked to anyone."""
    ari, bo, stranger = new_visitor(), new_visitor(), new_visitor()
    first = submit({"name": {"first": "Ari"}, "emails": [{"email": "ari@example.com"}]}, ari)
    submit({"emails": [{"email": "ari@example.com"}], "company": "Acme"}, ari, channel=Channel.API)
    second = submit({"emails": [{"email": "bo@example.com"}]}, bo)
    submit({"emails": [{"email": "bo@example.com"}]}, ari)
    member_signup(email="mia@example.com", password="a-Long-unusual-pass-42", first_name="Mia", last_name="",
                  visitor=None, now=timezone.now())
    refused = submit({"emails": [{"email": "mia@example.com"}]}, stranger)
    assert refused.identity_type == IdentityType.NOT_AUTHENTICATED_MEMBER
    return {"ari": ari.id, "bo": bo.id, "stranger": stranger.id, "ari_contact": first.contact_id,
            "bo_contact": second.contact_id}


def row(html: str, visitor_id: Any) -> str:
    match = re.search(rf"<tr>(?:(?!</tr>).)*/admin/contacts/visitorsession/{visitor_id}/change/.*?</tr>", html, re.S)
    assert match, f"no row for {visitor_id}"
    return match.group(0)


def test_list_shows_the_linked_contact_and_the_submission_count(admin_client, visitors):
    html = admin_client.get(VISITORS).content.decode()

    ari_row, bo_row, stranger_row = (row(html, visitors[k]) for k in ("ari", "bo", "stranger"))
    assert '<td class="field-submission_count">3</td>' in ari_row
    assert '<td class="field-submission_count">1</td>' in bo_row
    assert '<td class="field-submission_count">1</td>' in stranger_row
    assert f'/admin/contacts/contact/{visitors["bo_contact"]}/change/' in ari_row  # linked to Bo now
    assert f'/admin/contacts/contact/{visitors["bo_contact"]}/change/' in bo_row
    assert "/admin/contacts/contact/" not in stranger_row
    assert 'class="field-first_seen' in ari_row and 'class="field-last_seen' in ari_row


@pytest.mark.parametrize(("linked", "shown", "hidden"), [
    ("yes", ("ari", "bo"), ("stranger",)),
    ("no", ("stranger",), ("ari", "bo")),
])
def test_linked_filter(admin_client, visitors, linked, shown, hidden):
    html = admin_client.get(VISITORS, {"linked": linked}).content.decode()

    for key in shown:
        assert f"/admin/contacts/visitorsession/{visitors[key]}/change/" in html
    for key in hidden:
        assert f"/admin/contacts/visitorsession/{visitors[key]}/change/" not in html


def test_list_query_count_does_not_grow_with_the_rows(admin_client, visitors):
    admin_client.get(VISITORS)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(VISITORS)
    for n in range(5):
        visitor = new_visitor()
        submit({"emails": [{"email": f"more{n}@example.com"}]}, visitor)
        submit({"emails": [{"email": f"more{n}@example.com"}]}, visitor)
    with CaptureQueriesContext(connection) as many:
        html = admin_client.get(VISITORS).content.decode()

    assert html.count('<td class="field-submission_count">2</td>') == 5
    assert len(many.captured_queries) == len(few.captured_queries)


def test_change_page_shows_links_and_submissions_and_drills_into_them(admin_client, visitors):
    ari = visitors["ari"]

    html = admin_client.get(f"{VISITORS}{ari}/change/").content.decode()
    drill = admin_client.get(SUBMISSIONS, {"visitor__id__exact": str(ari)})

    assert f'/admin/contacts/contact/{visitors["ari_contact"]}/change/' in html
    assert f'/admin/contacts/contact/{visitors["bo_contact"]}/change/' in html
    assert ">past</td>" in html and ">current</td>" in html
    for submission in Submission.objects.filter(visitor_id=ari):
        assert f"/admin/contacts/submission/{submission.pk}/change/" in html
    assert f'href="{SUBMISSIONS}?visitor__id__exact={ari}"' in html
    assert "All 3 submissions of this visitor" in html
    assert drill.status_code == 200
    assert {s.pk for s in drill.context["cl"].result_list} == set(
        Submission.objects.filter(visitor_id=ari).values_list("pk", flat=True))


def test_submission_list_filters_by_contact_channel_and_identity_type(admin_client, visitors):
    by_contact = admin_client.get(SUBMISSIONS, {"contact__id__exact": str(visitors["ari_contact"])})
    by_channel = admin_client.get(SUBMISSIONS, {"channel__exact": "api"})
    by_identity = admin_client.get(SUBMISSIONS, {"identity_type__exact": "NOT_AUTHENTICATED_MEMBER"})

    assert {s.contact_id for s in by_contact.context["cl"].result_list} == {visitors["ari_contact"]}
    assert len(by_contact.context["cl"].result_list) == 2
    assert [s.channel for s in by_channel.context["cl"].result_list] == ["api"]
    assert [s.visitor_id for s in by_identity.context["cl"].result_list] == [visitors["stranger"]]


def test_submission_page_shows_written_and_skipped_with_reasons(admin_client, visitors):
    submission = Submission.objects.get(channel=Channel.API)

    html = admin_client.get(f"{SUBMISSIONS}{submission.pk}/change/").content.decode()

    assert re.search(r"<td>written</td>\s*<td><code>company</code></td>\s*<td>Acme</td>", html)
    assert re.search(r"<td>skipped</td>\s*<td><code>emails</code></td>\s*<td>ari@example.com</td>\s*"
                     r"<td>Already on the contact", html)
    assert 'name="_save"' not in html


@pytest.fixture
def viewer(django_user_model) -> Client:  # type: ignore[no-untyped-def]
    user = django_user_model.objects.create_user("viewer", "viewer@example.com", "x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    client = Client()
    client.force_login(user)
    return client


def test_visitors_and_submissions_are_read_only_even_for_superusers(admin_client, viewer, visitors):
    visitor = VisitorSession.objects.get(pk=visitors["ari"])
    submission = Submission.objects.filter(visitor=visitor).first()
    assert submission is not None

    for client in (admin_client, viewer):
        assert client.get(f"{VISITORS}{visitor.pk}/change/").status_code == 200
        assert client.get(f"{SUBMISSIONS}{submission.pk}/change/").status_code == 200
        assert client.post(f"{VISITORS}{visitor.pk}/change/", {}).status_code == 403
        assert client.post(f"{SUBMISSIONS}{submission.pk}/change/", {}).status_code == 403
        assert client.post(f"{VISITORS}{visitor.pk}/delete/", {"post": "yes"}).status_code == 403
        assert client.post(f"{SUBMISSIONS}{submission.pk}/delete/", {"post": "yes"}).status_code == 403
        assert client.get(f"{SUBMISSIONS}add/").status_code == 403
    assert VisitorSession.objects.filter(pk=visitor.pk).exists()
    assert Submission.objects.filter(pk=submission.pk).exists()
