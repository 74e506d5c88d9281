"""The contact page's read-only panels: member, linked visitors, merged contacts, possible
duplicates and the timeline of submissions; bounded, in a fixed number of queries, and
view-only for staff without the change permission."""

import re
import uuid
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contacts.admin.contact_page import TIMELINE_LIMIT, contact_page_panels
from contacts.enums import Channel, IdentityType, StepOrder
from contacts.models import Contact, ContactMerge, PossibleDuplicate, Submission, VisitorLink
from contacts.payload import contact_payload_from_info
from contacts.reconcile import ReconcileResult, contact_append_or_create
from contacts.visitor import VisitorIdentity
from members.services import member_signup
from tests.helpers import FAST_PASSWORD_HASHERS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


def new_visitor() -> VisitorIdentity:
    return VisitorIdentity(id=uuid.uuid4(), issued_at=timezone.now())


def submit(info: dict[str, Any], visitor: VisitorIdentity | None = None,
           channel: Channel = Channel.FORM) -> ReconcileResult:
    return contact_append_or_create(
        contact_payload_from_info(info), actor=None, visitor=visitor or new_visitor(), channel=channel,
        now=timezone.now(),
    )


def page(client: Client, contact_id: Any) -> str:
    response = client.get(f"/admin/contacts/contact/{contact_id}/change/")
    assert response.status_code == 200
    return response.content.decode()


def panel(html: str, name: str) -> str:
    """The HTML of one panel (`<section id="panel-<name>">`)."""
    match = re.search(rf'<section[^>]*id="panel-{name}".*?</section>', html, re.S)
    assert match, f"no {name} panel"
    return match.group(0)


@pytest.fixture
def history(django_user_model) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Ari, seen by three browsers (one of which was first linked to Bo), matched together with
    Bo once, written to and skipped on; Carl merged into Ari; Mia a member."""
    first, second, third = new_visitor(), new_visitor(), new_visitor()
    ari = submit({"name": {"first": "Ari", "last": "Thereyet"}, "emails": [{"email": "ari@example.com"}],
                  "phones": [{"phone": "+16502530000"}]}, first)
    again = submit({"name": {"first": "Arnold"}, "emails": [{"email": "ari@example.com"}],
                    "company": "Acme"}, first, channel=Channel.API)
    submit({"emails": [{"email": "ari@example.com"}]}, second)
    bo = submit({"emails": [{"email": "bo@example.com"}]}, third)
    both = submit({"emails": [{"email": "ari@example.com"}, {"email": "bo@example.com"}]}, third)
    carl = Contact.objects.create(first_name="Carl", created_at=timezone.now(), updated_at=timezone.now())
    merger = django_user_model.objects.create_user("merger", "merger@example.com", "x")
    ContactMerge.objects.create(target_id=ari.contact_id, source=carl, merged_by=merger, merged_at=timezone.now())
    Contact.objects.filter(pk=carl.pk).update(merged_into=ari.contact_id)
    mia = member_signup(email="mia@example.com", password="a-Long-unusual-pass-42", first_name="Mia",
                        last_name="", visitor=None, now=timezone.now())
    return {"ari": ari.contact_id, "bo": bo.contact_id, "carl": carl.pk, "again": again, "both": both,
            "visitors": (first.id, second.id, third.id), "mia": mia}


def test_member_panel_links_the_member_or_says_not_a_member(admin_client, history):
    mia = history["mia"]

    member_html = panel(page(admin_client, mia.contact_id), "member")
    other_html = panel(page(admin_client, history["ari"]), "member")

    assert "<h2" in member_html and ">Member</h2>" in member_html
    assert f'href="/admin/members/member/{mia.pk}/change/"' in member_html
    assert "mia@example.com" in member_html
    assert "Not a member" in other_html


def test_linked_visitors_panel_shows_current_and_past_links(admin_client, history):
    first, second, third = history["visitors"]

    ari_html = panel(page(admin_client, history["ari"]), "visitors")
    bo_html = panel(page(admin_client, history["bo"]), "visitors")

    assert ">Linked visitors</h2>" in ari_html
    for visitor_id in (first, second, third):
        assert f'href="/admin/contacts/visitorsession/{visitor_id}/change/"' in ari_html
    assert ari_html.count(">current</td>") == 3
    # The third browser was Bo's first, then moved to Ari: Bo's page keeps that link as past.
    assert f"/admin/contacts/visitorsession/{third}/change/" in bo_html
    assert ">past</td>" in bo_html and ">current</td>" not in bo_html
    unlinked_at = VisitorLink.objects.get(contact_id=history["bo"]).unlinked_at
    assert unlinked_at is not None and timezone.localtime(unlinked_at).strftime("%Y-%m-%d %H:%M") in bo_html


def test_merged_into_this_contact_panel(admin_client, history):
    html = panel(page(admin_client, history["ari"]), "merged")

    assert ">Merged into this contact</h2>" in html
    assert f'href="/admin/contacts/contact/{history["carl"]}/change/"' in html
    assert "merger" in html
    assert "No contact has been merged" in panel(page(admin_client, history["bo"]), "merged")


def test_possible_duplicates_panel_links_the_other_contact_until_dismissed(admin_client, history):
    ari_html = panel(page(admin_client, history["ari"]), "duplicates")
    bo_html = panel(page(admin_client, history["bo"]), "duplicates")

    assert ">Possible duplicates</h2>" in ari_html
    assert f'href="/admin/contacts/contact/{history["bo"]}/change/"' in ari_html
    assert f'href="/admin/contacts/contact/{history["ari"]}/change/"' in bo_html

    PossibleDuplicate.objects.update(dismissed_at=timezone.now())
    assert "No open possible duplicates." in panel(page(admin_client, history["ari"]), "duplicates")


def test_timeline_shows_submissions_newest_first_with_written_and_skipped(admin_client, history):
    html = panel(page(admin_client, history["ari"]), "timeline")

    ids = re.findall(r'id="submission-([0-9a-f-]+)"', html)
    expected = list(Submission.objects.filter(contact_id=history["ari"]).order_by("-created_at")
                    .values_list("id", flat=True))
    assert [uuid.UUID(i) for i in ids] == expected and len(ids) == 4
    entry = re.search(rf'id="submission-{history["again"].submission_id}".*?</article>', html, re.S)
    assert entry
    again = entry.group(0)
    first_visitor = history["visitors"][0]
    assert "<dd>api</dd>" in again and "<dd>CONTACT</dd>" in again and "<dd>email</dd>" in again
    assert f'href="/admin/contacts/visitorsession/{first_visitor}/change/"' in again
    # Written: the empty company. Skipped: the first name (already Ari) and the known email.
    assert re.search(r'change-written">\s*<td>written</td>\s*<td><code>company</code></td>\s*<td>Acme</td>', again)
    assert re.search(r'change-skipped">\s*<td>skipped</td>\s*<td><code>name.first</code></td>\s*<td>Arnold</td>\s*'
                     r"<td>The field already has a value <span[^>]*>\(field_not_empty\)</span>", again)
    assert re.search(r"<td><code>emails</code></td>\s*<td>ari@example.com</td>\s*"
                     r"<td>Already on the contact <span[^>]*>\(already_on_contact\)</span>", again)
    assert f'href="/admin/contacts/submission/?contact__id__exact={history["ari"]}"' in html


def test_timeline_is_bounded_and_links_to_the_filtered_submission_list(admin_client, history):
    ari = history["ari"]
    _more_submissions(ari, TIMELINE_LIMIT + 5)

    html = panel(page(admin_client, ari), "timeline")
    listing = admin_client.get(f"/admin/contacts/submission/?contact__id__exact={ari}")

    assert html.count('class="timeline-entry"') == TIMELINE_LIMIT
    assert f"Showing the latest {TIMELINE_LIMIT} submissions." in html
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == TIMELINE_LIMIT + 5 + 4


def _more_submissions(contact_id: Any, n: int) -> None:
    now = timezone.now()
    Submission.objects.bulk_create(
        Submission(created_at=now - timezone.timedelta(minutes=i + 1), channel=Channel.IMPORT,
                   step_order=StepOrder.FRONTEND, payload={}, contact_id=contact_id,
                   identity_type=IdentityType.CONTACT, matched_by="email",
                   written=[{"field": "company", "value": f"Co {i}"}],
                   skipped=[{"field": "emails", "value": "x@example.com", "reason": "already_on_contact"}])
        for i in range(n)
    )


def test_the_panels_are_read_in_five_queries(history, django_assert_num_queries):
    with django_assert_num_queries(5):
        panels = contact_page_panels(history["ari"])

    assert len(panels.visitor_links) == 3 and len(panels.timeline) == 4
    assert len(panels.merged_sources) == 1 and len(panels.duplicates) == 1
    assert panels.member is None


def test_the_change_page_query_count_does_not_grow_with_the_history(admin_client, history):
    ari = history["ari"]
    url = f"/admin/contacts/contact/{ari}/change/"
    admin_client.get(url)  # warm the per-process caches (content types, permissions)
    with CaptureQueriesContext(connection) as small:
        assert admin_client.get(url).status_code == 200

    _more_submissions(ari, 80)
    for _ in range(3):
        submit({"emails": [{"email": "ari@example.com"}]})
    for n in range(3):
        other = submit({"emails": [{"email": f"dup{n}@example.com"}]})
        submit({"emails": [{"email": "ari@example.com"}, {"email": f"dup{n}@example.com"}]})
        assert other.new_contact
    for n in range(3):
        source = Contact.objects.create(first_name=f"Old{n}", created_at=timezone.now(), updated_at=timezone.now())
        ContactMerge.objects.create(target_id=ari, source=source, merged_at=timezone.now())
    with CaptureQueriesContext(connection) as large:
        assert admin_client.get(url).status_code == 200

    assert len(large.captured_queries) == len(small.captured_queries)


@pytest.fixture
def viewer(django_user_model) -> Client:  # type: ignore[no-untyped-def]
    """Staff with only the view permissions."""
    user = django_user_model.objects.create_user("viewer", "viewer@example.com", "x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    client = Client()
    client.force_login(user)
    return client


def test_view_only_staff_see_the_panels_but_cannot_save(viewer, history):
    ari = history["ari"]
    html = page(viewer, ari)

    response = viewer.post(f"/admin/contacts/contact/{ari}/change/", {"first_name": "Changed"})

    assert ">Timeline</h2>" in html and ">Linked visitors</h2>" in html
    assert 'name="_save"' not in html
    assert response.status_code == 403
    assert Contact.objects.get(pk=ari).first_name == "Ari"


def test_the_merge_button_block_is_next_to_the_object_tools():
    from django.template.loader import get_template

    template = get_template("admin/contacts/contact/change_form.html")
    source = template.template.source

    assert "{% block merge_button %}{% endblock %}" in source
    assert source.index("{% block merge_button %}") > source.index("{% block object-tools-items %}")
