"""Merging from the admin: the action, the confirmation page, refusals, permissions, the
old-id redirect and the possible-duplicates list."""

import uuid
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contacts.enums import Channel, StepOrder
from contacts.models import Contact, Email, PossibleDuplicate
from contacts.payload import contact_payload_from_info
from contacts.reconcile import contact_append_or_create
from members.services import member_signup

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/contacts/contact/"
MERGE = "/admin/contacts/contact/merge/"
DUPLICATES = "/admin/contacts/possibleduplicate/"


def make(info: dict[str, Any]) -> Contact:
    result = contact_append_or_create(
        contact_payload_from_info(info), actor=None, visitor=None, channel=Channel.API,
        step_order=StepOrder.BACKEND, now=timezone.now(),
    )
    return Contact.objects.get(pk=result.contact_id)


@pytest.fixture
def pair() -> tuple[Contact, Contact]:
    return (make({"name": {"first": "Ari", "last": "Thereyet"}, "emails": [{"email": "ari@example.com"}]}),
            make({"name": {"first": "Ari"}, "company": "Acme", "emails": [{"email": "ari.t@example.org"}]}))


@pytest.fixture
def viewer(django_user_model) -> Client:  # type: ignore[no-untyped-def]
    user = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    client = Client()
    client.force_login(user)
    return client


def test_the_action_opens_the_confirmation_page_with_a_preview(admin_client, pair) -> None:
    a, b = pair
    response = admin_client.post(CHANGELIST, {"action": "merge_contacts", "_selected_action": [a.pk, b.pk]})
    assert response.status_code == 302 and response["Location"].startswith(MERGE)

    page = admin_client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "Merge contacts" in html
    assert f'value="{a.pk}" checked' in html  # the oldest contact is the default target
    assert "filled with “Acme”" in html and "ari.t@example.org" in html


def test_merging_applies_the_rules_and_lands_on_the_target(admin_client, pair) -> None:
    a, b = pair
    response = admin_client.post(MERGE, {"ids": [a.pk, b.pk], "target": a.pk, "merge": "Merge"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("admin:contacts_contact_change", args=[a.pk])
    assert "Merged 1 contact into Ari Thereyet." in response.content.decode()
    b.refresh_from_db()
    a.refresh_from_db()
    assert b.merged_into_id == a.id and a.company == "Acme"
    assert set(Email.objects.filter(contact=a).values_list("key", flat=True)) == {"ari@example.com", "ari.t@example.org"}


def test_staff_can_choose_the_other_contact_as_target(admin_client, pair) -> None:
    a, b = pair
    admin_client.post(MERGE, {"ids": [a.pk, b.pk], "target": b.pk, "merge": "Merge"})
    a.refresh_from_db()
    assert a.merged_into_id == b.id


def test_a_member_as_source_is_refused_with_a_clear_error(admin_client, settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    member = member_signup(email="m@example.com", password="pw-Long-enough-1", first_name="Mia", last_name="",
                           visitor=None, now=timezone.now())
    plain = make({"emails": [{"email": "p@example.com"}]})

    response = admin_client.post(MERGE, {"ids": [member.contact_id, plain.pk], "target": plain.pk, "merge": "Merge"})

    assert response.status_code == 400
    assert "A member&#x27;s contact can only be the target" in response.content.decode()
    assert Contact.objects.filter(merged_into__isnull=False).count() == 0


def test_the_member_is_the_default_target(admin_client, settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    plain = make({"emails": [{"email": "p@example.com"}]})  # older
    member = member_signup(email="m@example.com", password="pw-Long-enough-1", first_name="Mia", last_name="",
                           visitor=None, now=timezone.now())
    page = admin_client.get(MERGE, {"ids": [plain.pk, member.contact_id]})
    assert f'value="{member.contact_id}" checked' in page.content.decode()


def test_view_only_staff_cannot_merge(viewer, pair) -> None:
    a, b = pair
    assert viewer.get(CHANGELIST).status_code == 200
    assert "merge_contacts" not in viewer.get(CHANGELIST).content.decode()
    assert viewer.get(MERGE, {"ids": [a.pk, b.pk]}).status_code == 403
    assert viewer.post(MERGE, {"ids": [a.pk, b.pk], "target": a.pk, "merge": "Merge"}).status_code == 403
    assert not Contact.objects.filter(merged_into__isnull=False).exists()


def test_an_old_contact_id_opens_its_target_with_a_notice(admin_client, pair) -> None:
    a, b = pair
    admin_client.post(MERGE, {"ids": [a.pk, b.pk], "target": a.pk, "merge": "Merge"})

    response = admin_client.get(reverse("admin:contacts_contact_change", args=[b.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("admin:contacts_contact_change", args=[a.pk])
    assert f"Contact {b.pk} was merged into this contact." in response.content.decode()


def test_the_contact_page_offers_a_merge_button_with_its_possible_duplicates(admin_client, pair) -> None:
    a, b = pair
    x, y = sorted([a.pk, b.pk])
    PossibleDuplicate.objects.create(contact_a_id=x, contact_b_id=y, reason="test", created_at=timezone.now())
    html = admin_client.get(reverse("admin:contacts_contact_change", args=[a.pk])).content.decode()
    assert f"{MERGE}?ids={a.pk}&amp;ids={b.pk}" in html


def test_the_merge_page_adds_a_contact_by_email(admin_client, pair) -> None:
    a, b = pair
    html = admin_client.get(MERGE, {"ids": [a.pk], "add": "ARI.T@example.org"}).content.decode()
    assert f'name="ids" value="{b.pk}"' in html


def duplicate_pair() -> tuple[Contact, Contact]:
    """Two contacts a submission matched together (email of one, phone of the other)."""
    a = make({"emails": [{"email": "a@example.com"}]})
    b = make({"phones": [{"phone": "+16502530000"}]})
    contact_append_or_create(
        contact_payload_from_info({"emails": [{"email": "a@example.com"}], "phones": [{"phone": "+16502530000"}]}),
        actor=None, visitor=None, channel=Channel.API, now=timezone.now(),
    )
    return a, b


def test_possible_duplicates_list_offers_merge_and_not_a_duplicate(admin_client) -> None:
    a, b = duplicate_pair()
    pair = PossibleDuplicate.objects.get()
    html = admin_client.get(DUPLICATES).content.decode()
    assert f"{MERGE}?ids={pair.contact_a_id}&amp;ids={pair.contact_b_id}" in html

    admin_client.post(DUPLICATES, {"action": "mark_not_duplicate", "_selected_action": [pair.pk]})

    pair.refresh_from_db()
    assert pair.dismissed_at is not None
    assert admin_client.get(DUPLICATES).context["cl"].result_count == 0  # open pairs only, by default
    assert admin_client.get(DUPLICATES, {"status": "dismissed"}).context["cl"].result_count == 1


def test_a_pair_marked_not_a_duplicate_is_never_suggested_again(admin_client) -> None:
    duplicate_pair()
    pair = PossibleDuplicate.objects.get()
    admin_client.post(DUPLICATES, {"action": "mark_not_duplicate", "_selected_action": [pair.pk]})

    contact_append_or_create(  # the same two contacts matched together again
        contact_payload_from_info({"emails": [{"email": "a@example.com"}], "phones": [{"phone": "+16502530000"}]}),
        actor=None, visitor=None, channel=Channel.API, now=timezone.now(),
    )

    assert PossibleDuplicate.objects.count() == 1
    assert PossibleDuplicate.objects.get().dismissed_at is not None
    assert admin_client.get(DUPLICATES, {"status": "open"}).context["cl"].result_count == 0


def test_a_bad_id_on_the_merge_page_is_ignored_not_a_server_error(admin_client) -> None:
    response = admin_client.get(MERGE, {"ids": ["not-a-uuid", str(uuid.uuid4())]})
    assert response.status_code == 200
    assert "Choose at least two contacts" in response.content.decode()
