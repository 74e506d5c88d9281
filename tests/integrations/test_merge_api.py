"""POST /api/contacts/<id>/merge/: the admin's merge service and rules, for integrations
(wix-contacts.md §6.6, decisions.md §13)."""

import uuid
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from contacts.enums import Channel, StepOrder
from contacts.merge import contact_merge
from contacts.models import (
    Contact,
    ContactMerge,
    Email,
    Label,
    PossibleDuplicate,
    Submission,
    VisitorLink,
    VisitorSession,
)
from contacts.payload import contact_payload_from_info
from contacts.reconcile import contact_append_or_create
from contacts.visitor import VisitorIdentity
from integrations.models import Scope
from members.services import member_signup
from tests.helpers import contact_state, counts

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def merge_client(api_client_with) -> APIClient:  # type: ignore[no-untyped-def]
    return api_client_with(Scope.MERGE, name="Shop backend")


def make(info: dict[str, Any], visitor: VisitorIdentity | None = None) -> Contact:
    result = contact_append_or_create(
        contact_payload_from_info(info), actor=None, visitor=visitor, channel=Channel.API,
        step_order=StepOrder.BACKEND, now=timezone.now(),
    )
    return Contact.objects.get(pk=result.contact_id)


def post_merge(client: APIClient, target: Contact | uuid.UUID, *sources: Contact | uuid.UUID, **body: Any) -> Any:
    target_id = target.pk if isinstance(target, Contact) else target
    ids = [str(s.pk if isinstance(s, Contact) else s) for s in sources]
    return client.post(f"/api/contacts/{target_id}/merge/", {"sourceContactIds": ids, **body}, format="json")


@pytest.fixture
def world() -> tuple[Contact, Contact, Contact]:
    """A target and two sources with overlapping and new data, a visitor, a duplicate pair."""
    Label.objects.create(key="custom.vip", display_name="VIP")
    Label.objects.create(key="custom.newsletter", display_name="Newsletter")
    target = make({"name": {"first": "Ari"}, "emails": [{"email": "ari@example.com"}], "labelKeys": ["custom.vip"]})
    first = make({"name": {"first": "Arianne", "last": "Thereyet"}, "jobTitle": "CTO",
                  "emails": [{"email": "a1@example.com", "primary": True}], "phones": [{"phone": "+16502530001"}],
                  "addresses": [{"address": {"city": "Springfield"}}], "labelKeys": ["custom.newsletter"]},
                 visitor=VisitorIdentity(id=uuid.uuid4(), issued_at=timezone.now()))
    second = make({"company": "Acme", "jobTitle": "CEO", "emails": [{"email": "a2@example.com"}],
                   "labelKeys": ["custom.vip"], "addresses": [{"address": {"city": "Springfield"}}]})
    # One submission matching both sources leaves a possible-duplicate pair between them.
    make({"emails": [{"email": "a1@example.com"}, {"email": "a2@example.com"}]})
    return target, first, second


def db_state(target: Contact, sources: list[Contact]) -> dict[str, Any]:
    ids = [target.pk, *[s.pk for s in sources]]
    return {
        "target": contact_state(target.pk),
        "merged_into": {str(s.pk): Contact.objects.get(pk=s.pk).merged_into_id for s in sources},
        "emails": sorted(Email.objects.filter(contact_id__in=ids).values_list("contact_id", "key", "primary")),
        "visitors": sorted(VisitorSession.objects.filter(contact_id__in=ids).values_list("contact_id", flat=True)),
        "links": sorted(VisitorLink.objects.filter(contact_id__in=ids).values_list("contact_id", flat=True)),
        "submissions": sorted(Submission.objects.filter(contact_id__in=ids).values_list("contact_id", flat=True)),
        "duplicates": list(PossibleDuplicate.objects.values_list("contact_a_id", "contact_b_id")),
        "merges": sorted(ContactMerge.objects.values_list("source_id", "target_id")),
        "counts": counts(),
    }


class Rollback(Exception):
    pass


def test_merge_via_the_api_leaves_the_same_database_as_the_service(world, merge_client) -> None:
    target, first, second = world
    with pytest.raises(Rollback), transaction.atomic():
        contact_merge(target_id=target.pk, source_ids=[first.pk, second.pk], acting_user=None, now=timezone.now())
        expected = db_state(target, [first, second])
        raise Rollback
    assert Contact.objects.get(pk=first.pk).merged_into_id is None  # the rehearsal left nothing

    response = post_merge(merge_client, target, first, second)

    assert response.status_code == 200
    assert db_state(target, [first, second]) == expected
    body = response.json()
    assert body["mergedContactIds"] == [str(first.pk), str(second.pk)]
    contact = body["contact"]
    assert contact["id"] == str(target.pk) and contact["revision"] == target.revision + 1
    assert contact["info"]["name"] == {"first": "Ari", "last": "Thereyet"}
    assert contact["info"]["jobTitle"] == "CTO" and contact["info"]["company"] == "Acme"
    assert [e["email"] for e in contact["info"]["emails"]["items"]] == [
        "ari@example.com", "a1@example.com", "a2@example.com"]
    assert contact["info"]["labelKeys"] == {"items": ["custom.newsletter", "custom.vip"]}
    assert contact["lastActivity"]["activityType"] == "CONTACT_MERGED"


def test_a_token_merge_records_the_token_not_a_user(world, merge_client) -> None:
    target, first, _ = world
    assert post_merge(merge_client, target, first).status_code == 200
    record = ContactMerge.objects.get(source=first)
    assert record.merged_by_id is None
    assert record.summary["by_token"] == {"id": merge_client.token.pk, "name": "Shop backend"}


def test_a_staff_session_merge_records_the_user(world) -> None:
    target, first, _ = world
    staff = User.objects.create_user("merger", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="merge_contact"))
    client = APIClient()
    client.force_login(staff)
    assert post_merge(client, target, first).status_code == 200
    record = ContactMerge.objects.get(source=first)
    assert record.merged_by_id == staff.pk and "by_token" not in record.summary


def test_preview_writes_nothing_and_says_what_the_merge_would_do(world, merge_client) -> None:
    target, first, second = world
    before = db_state(target, [first, second])
    response = post_merge(merge_client, target, first, second, preview=True)
    assert response.status_code == 200
    assert db_state(target, [first, second]) == before
    preview = response.json()["preview"]
    assert preview["targetContactId"] == str(target.pk)
    assert preview["sourceContactIds"] == [str(first.pk), str(second.pk)]
    assert preview["filled"] == {"name.last": "Thereyet", "jobTitle": "CTO", "company": "Acme"}
    assert preview["emails"] == ["a1@example.com", "a2@example.com"]
    assert preview["phones"] == ["+16502530001"]
    assert (preview["addresses"], preview["labels"], preview["visitors"]) == (1, 1, 1)
    assert preview["submissions"] == Submission.objects.filter(contact__in=[first, second]).count()
    assert "contact" not in response.json()


def test_a_stale_target_revision_is_a_409_and_the_current_one_merges(world, merge_client) -> None:
    target, first, _ = world
    before = db_state(target, [first])
    for preview in (False, True):
        response = post_merge(merge_client, target, first, targetContactRevision=target.revision + 5,
                              preview=preview)
        assert response.status_code == 409 and response.json()["code"] == "revision_mismatch"
    assert db_state(target, [first]) == before
    response = post_merge(merge_client, target, first, targetContactRevision=target.revision)
    assert response.status_code == 200 and Contact.objects.get(pk=first.pk).merged_into_id == target.pk


def test_a_member_can_only_be_the_target(merge_client) -> None:
    member = member_signup(email="m@example.com", password="pw-123456789", first_name="Mem", last_name="Ber",
                           visitor=None, now=timezone.now())
    other = member_signup(email="o@example.com", password="pw-123456789", first_name="Oth", last_name="Er",
                          visitor=None, now=timezone.now())
    plain = make({"emails": [{"email": "p@example.com"}]})
    before = counts()
    for response in (post_merge(merge_client, plain, member.contact_id),
                     post_merge(merge_client, member.contact_id, other.contact_id)):
        assert response.status_code == 400
        assert response.json()["code"] == "member_source" and "member" in response.json()["detail"]
    assert counts() == before and not ContactMerge.objects.exists()
    assert post_merge(merge_client, member.contact_id, plain).status_code == 200


def test_an_already_merged_source_is_a_409(world, merge_client) -> None:
    target, first, second = world
    contact_merge(target_id=target.pk, source_ids=[first.pk], acting_user=None, now=timezone.now())
    response = post_merge(merge_client, second, first)
    assert response.status_code == 409 and response.json()["code"] == "already_merged"


def test_the_merged_target_and_an_unknown_target_are_404(world, merge_client) -> None:
    target, first, second = world
    contact_merge(target_id=target.pk, source_ids=[first.pk], acting_user=None, now=timezone.now())
    response = post_merge(merge_client, first, second)
    assert response.status_code == 404
    assert response.json()["code"] == "contact_merged" and response.json()["mergedInto"] == str(target.pk)
    response = post_merge(merge_client, uuid.uuid4(), second)
    assert response.status_code == 404 and response.json()["code"] == "contact_not_found"


def test_more_than_50_emails_on_the_result_is_refused(merge_client, now) -> None:
    target, source = make({"emails": [{"email": "t@example.com"}]}), make({"emails": [{"email": "s@example.com"}]})
    Email.objects.bulk_create(Email(contact=target, email=f"t{i}@x.com", key=f"t{i}@x.com", created_at=now)
                              for i in range(30))
    Email.objects.bulk_create(Email(contact=source, email=f"s{i}@x.com", key=f"s{i}@x.com", created_at=now)
                              for i in range(20))
    response = post_merge(merge_client, target, source)
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_items" and "52 emails" in response.json()["detail"]
    assert Contact.objects.get(pk=source.pk).merged_into_id is None


def test_rule_refusals_in_the_body(world, merge_client) -> None:
    target, first, _ = world
    response = post_merge(merge_client, target, target)
    assert response.status_code == 400 and response.json()["code"] == "target_is_source"
    response = post_merge(merge_client, target, uuid.uuid4())
    assert response.status_code == 400 and response.json()["code"] == "contact_not_found"


@pytest.mark.parametrize("body", [
    {},
    {"sourceContactIds": []},
    {"sourceContactIds": [str(uuid.uuid4()) for _ in range(6)]},
    {"sourceContactIds": ["not-a-uuid"]},
    {"sourceContactIds": [12345]},
    {"sourceContactIds": [str(uuid.uuid4())], "targetContactRevision": "1"},
    {"sourceContactIds": [str(uuid.uuid4())], "targetContactRevision": 0},
    {"sourceContactIds": [str(uuid.uuid4())], "preview": "true"},
    {"sourceContactIds": [str(uuid.uuid4())], "force": True},
])
def test_a_malformed_body_is_a_400_field_error(world, merge_client, body) -> None:
    target = world[0]
    response = merge_client.post(f"/api/contacts/{target.pk}/merge/", body, format="json")
    assert response.status_code == 400 and "code" not in response.json()


def test_merging_needs_the_merge_scope(world, api_client_with) -> None:
    target, first, _ = world
    for scopes in ([Scope.READ], [Scope.READ, Scope.WRITE, Scope.LABEL, Scope.IMPORT]):
        assert post_merge(api_client_with(*scopes), target, first).status_code == 403
    assert post_merge(APIClient(), target, first).status_code == 401
    revoked = api_client_with(Scope.MERGE)
    revoked.token.revoked_at = timezone.now()
    revoked.token.save(update_fields=["revoked_at"])
    assert post_merge(revoked, target, first).status_code == 401
    assert not ContactMerge.objects.exists()
