"""Back-office labeling and the labels / extended-fields APIs (wix-contacts.md §6.7, §7, §8)."""

import uuid
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from contacts.enums import Channel, DataType, FieldType, LabelType
from contacts.labeling import contact_label
from contacts.merge import contact_merge
from contacts.models import Contact, ContactLabel, ExtendedField, Label
from contacts.payload import contact_payload_from_info
from contacts.reconcile import contact_append_or_create
from integrations.models import Scope
from tests.helpers import counts

pytestmark = pytest.mark.django_db


def make_contact(email: str, **info: Any) -> Contact:
    result = contact_append_or_create(
        contact_payload_from_info({"emails": [{"email": email}], **info}),
        actor=None, visitor=None, channel=Channel.API, now=timezone.now(),
    )
    return Contact.objects.get(pk=result.contact_id)


def labels_of(contact: Contact) -> list[str]:
    return sorted(ContactLabel.objects.filter(contact=contact).values_list("label__key", flat=True))


@pytest.fixture
def labels() -> None:
    Label.objects.create(key="custom.vip", display_name="VIP")
    Label.objects.create(key="custom.newsletter", display_name="Newsletter")
    Label.objects.create(key="contacts.customers", display_name="Customers", label_type=LabelType.SYSTEM)


@pytest.fixture
def label_client(api_client_with) -> APIClient:  # type: ignore[no-untyped-def]
    return api_client_with(Scope.READ, Scope.LABEL)


def url(contact: Contact | uuid.UUID, suffix: str = "") -> str:
    contact_id = contact.pk if isinstance(contact, Contact) else contact
    return f"/api/contacts/{contact_id}/labels/{suffix}"


# Labeling a contact


def test_label_adds_existing_keys_and_answers_the_contact(labels, label_client) -> None:
    contact = make_contact("a@example.com")
    response = label_client.post(url(contact), {"labelKeys": ["custom.vip", "contacts.customers"]}, format="json")
    assert response.status_code == 200
    body = response.json()["contact"]
    assert body["id"] == str(contact.pk)
    assert body["info"]["labelKeys"] == {"items": ["contacts.customers", "custom.vip"]}
    assert body["revision"] == contact.revision + 1
    assert labels_of(contact) == ["contacts.customers", "custom.vip"]


def test_labeling_again_changes_nothing_and_keeps_the_revision(labels, label_client) -> None:
    contact = make_contact("a@example.com", labelKeys=["custom.vip"])
    response = label_client.post(url(contact), {"labelKeys": ["custom.vip"]}, format="json")
    assert response.status_code == 200
    assert response.json()["contact"]["revision"] == contact.revision
    assert labels_of(contact) == ["custom.vip"]


def test_unknown_label_keys_are_a_400_naming_them_and_nothing_is_written(labels, label_client) -> None:
    contact = make_contact("a@example.com")
    response = label_client.post(url(contact), {"labelKeys": ["custom.vip", "custom.nope", "custom.gone"]},
                                 format="json")
    assert response.status_code == 400
    assert response.json() == {"labelKeys": ["Unknown label key: custom.nope.", "Unknown label key: custom.gone."]}
    assert labels_of(contact) == []
    assert Contact.objects.get(pk=contact.pk).revision == contact.revision


@pytest.mark.parametrize("body", [{}, {"labelKeys": []}, {"labelKeys": "custom.vip"}, {"labelKeys": [1]},
                                  {"labelKeys": ["custom.vip"], "extra": 1}, [], "x"])
def test_a_malformed_body_is_a_400(labels, label_client, body) -> None:
    contact = make_contact("a@example.com")
    assert label_client.post(url(contact), body, format="json").status_code == 400


def test_unlabel_with_delete_and_its_post_alias(labels, label_client) -> None:
    contact = make_contact("a@example.com", labelKeys=["custom.vip", "custom.newsletter"])
    response = label_client.delete(url(contact), {"labelKeys": ["custom.vip"]}, format="json")
    assert response.status_code == 200
    assert response.json()["contact"]["info"]["labelKeys"] == {"items": ["custom.newsletter"]}
    assert response.json()["contact"]["revision"] == contact.revision + 1
    response = label_client.post(url(contact, "remove/"), {"labelKeys": ["custom.newsletter", "custom.vip"]},
                                 format="json")
    assert response.status_code == 200
    assert labels_of(contact) == []
    assert response.json()["contact"]["revision"] == contact.revision + 2


def test_unlabel_refuses_unknown_keys_too(labels, label_client) -> None:
    contact = make_contact("a@example.com", labelKeys=["custom.vip"])
    response = label_client.delete(url(contact), {"labelKeys": ["custom.vip", "custom.nope"]}, format="json")
    assert response.status_code == 400 and "custom.nope" in str(response.json())
    assert labels_of(contact) == ["custom.vip"]


def test_an_unknown_contact_is_a_404(labels, label_client) -> None:
    response = label_client.post(url(uuid.uuid4()), {"labelKeys": ["custom.vip"]}, format="json")
    assert response.status_code == 404 and response.json()["code"] == "contact_not_found"


def test_a_merged_contact_id_is_a_404_naming_its_target(labels, label_client) -> None:
    target, source = make_contact("t@example.com"), make_contact("s@example.com")
    contact_merge(target_id=target.pk, source_ids=[source.pk], acting_user=None, now=timezone.now())
    for response in (
        label_client.post(url(source), {"labelKeys": ["custom.vip"]}, format="json"),
        label_client.delete(url(source), {"labelKeys": ["custom.vip"]}, format="json"),
    ):
        assert response.status_code == 404
        assert response.json() == {"detail": f"Contact {source.pk} was merged into {target.pk}.",
                                   "code": "contact_merged", "mergedInto": str(target.pk)}
    assert labels_of(target) == [] and labels_of(source) == []


def test_the_service_locks_and_bumps_the_revision(labels, now) -> None:
    contact = make_contact("a@example.com")
    updated = contact_label(contact_id=contact.pk, label_keys=["custom.vip"], now=now)
    assert updated.revision == contact.revision + 1 and updated.updated_at == now


# Permissions


def test_labeling_needs_the_label_scope(labels, api_client_with) -> None:
    contact = make_contact("a@example.com")
    body = {"labelKeys": ["custom.vip"]}
    for scopes in ([Scope.READ], [Scope.READ, Scope.WRITE], [Scope.MERGE]):
        client = api_client_with(*scopes)
        assert client.post(url(contact), body, format="json").status_code == 403
        assert client.delete(url(contact), body, format="json").status_code == 403
        assert client.post(url(contact, "remove/"), body, format="json").status_code == 403
    assert labels_of(contact) == []


def test_anonymous_and_revoked_tokens_get_a_json_401(labels, label_client) -> None:
    contact = make_contact("a@example.com")
    response = APIClient().post(url(contact), {"labelKeys": ["custom.vip"]}, format="json")
    assert response.status_code == 401 and "detail" in response.json()
    label_client.token.revoked_at = timezone.now()
    label_client.token.save(update_fields=["revoked_at"])
    for response in (label_client.post(url(contact), {"labelKeys": ["custom.vip"]}, format="json"),
                     label_client.get("/api/labels/"), label_client.post("/api/labels/", {"displayName": "X"},
                                                                         format="json")):
        assert response.status_code == 401
        assert response.json() == {"detail": "Invalid or revoked token."}
    assert labels_of(contact) == [] and not Label.objects.filter(display_name="X").exists()


def test_a_staff_session_with_the_permission_works_too(labels, admin_client) -> None:
    contact = make_contact("a@example.com")
    response = admin_client.post(url(contact), {"labelKeys": ["custom.vip"]}, content_type="application/json")
    assert response.status_code == 200 and labels_of(contact) == ["custom.vip"]


def test_the_back_office_api_never_issues_the_visitor_cookie(labels, label_client) -> None:
    response = label_client.get("/api/labels/")
    assert response.status_code == 200 and "crm_visitor" not in response.cookies


# The labels API


def test_list_labels_sorted_filtered_and_paged(labels, read_client) -> None:
    Label.objects.create(key="custom.news-2", display_name="News")
    response = read_client.get("/api/labels/")
    assert response.status_code == 200
    body = response.json()
    assert [label["displayName"] for label in body["labels"]] == ["Customers", "News", "Newsletter", "VIP"]
    assert body["pagingMetadata"] == {"count": 4, "offset": 0, "total": 4}
    vip = body["labels"][3]
    assert vip["key"] == "custom.vip" and vip["namespace"] == "custom" and vip["labelType"] == "USER_DEFINED"
    assert set(vip) == {"namespace", "key", "displayName", "labelType", "createdDate", "updatedDate"}
    assert body["labels"][0]["namespace"] == "contacts" and body["labels"][0]["labelType"] == "SYSTEM"

    filtered = read_client.get("/api/labels/", {"displayName": "News"}).json()
    assert [label["key"] for label in filtered["labels"]] == ["custom.news-2", "custom.newsletter"]
    assert read_client.get("/api/labels/", {"displayName": "news"}).json()["labels"] == []  # case-sensitive

    page = read_client.get("/api/labels/", {"limit": 2, "offset": 1}).json()
    assert [label["displayName"] for label in page["labels"]] == ["News", "Newsletter"]
    assert page["pagingMetadata"] == {"count": 2, "offset": 1, "total": 4}


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 2001}, {"limit": "x"}, {"offset": -1},
                                   {"displayName": "a\x00b"}])
def test_a_bad_list_query_is_a_400(labels, read_client, query) -> None:
    assert read_client.get("/api/labels/", query).status_code == 400


def test_find_or_create_a_label_by_its_exact_display_name(labels, label_client) -> None:
    response = label_client.post("/api/labels/", {"displayName": "Gold Members"}, format="json")
    assert response.status_code == 201
    assert response.json()["newLabel"] is True
    label = response.json()["label"]
    assert label["key"] == "custom.gold-members" and label["displayName"] == "Gold Members"
    assert label["labelType"] == "USER_DEFINED"

    again = label_client.post("/api/labels/", {"displayName": "Gold Members"}, format="json")
    assert again.status_code == 200 and again.json() == {"label": label, "newLabel": False}
    assert Label.objects.filter(display_name="Gold Members").count() == 1

    # Exact: another letter case is another label.
    other = label_client.post("/api/labels/", {"displayName": "gold members"}, format="json")
    assert other.status_code == 201 and other.json()["label"]["key"] == "custom.gold-members-2"


def test_a_new_label_whose_slug_is_taken_gets_a_suffixed_key(labels, label_client) -> None:
    keys = [label_client.post("/api/labels/", {"displayName": name}, format="json").json()["label"]["key"]
            for name in ("Vip!", "V.I.P", "顧客")]
    assert keys[0] == "custom.vip-2"
    assert keys[1] == "custom.vip-3"
    assert keys[2].startswith("custom.") and len(keys[2]) == len("custom.") + 12  # nothing to slugify: random


@pytest.mark.parametrize("body", [{}, {"displayName": ""}, {"displayName": "   "}, {"displayName": 1},
                                  {"displayName": "x" * 181}, {"displayName": "a\x07"},
                                  {"displayName": "x", "key": "custom.x"}])
def test_an_invalid_label_name_is_a_400(labels, label_client, body) -> None:
    before = Label.objects.count()
    assert label_client.post("/api/labels/", body, format="json").status_code == 400
    assert Label.objects.count() == before


def test_get_and_rename_a_label_keep_its_key(labels, label_client) -> None:
    assert label_client.get("/api/labels/custom.vip/").json()["label"]["displayName"] == "VIP"
    response = label_client.patch("/api/labels/custom.vip/", {"displayName": "Very Important"}, format="json")
    assert response.status_code == 200
    assert response.json()["label"]["key"] == "custom.vip"
    assert response.json()["label"]["displayName"] == "Very Important"
    assert Label.objects.get(key="custom.vip").display_name == "Very Important"
    assert label_client.patch("/api/labels/custom.vip/", {"displayName": ""}, format="json").status_code == 400


def test_an_unknown_label_key_is_a_404(labels, label_client) -> None:
    for response in (
        label_client.get("/api/labels/custom.nope/"),
        label_client.patch("/api/labels/custom.nope/", {"displayName": "X"}, format="json"),
        label_client.delete("/api/labels/custom.nope/"),
        label_client.get("/api/labels/custom.%00/"),
        label_client.get("/api/labels/" + "x" * 300 + "/"),
    ):
        assert response.status_code == 404 and response.json()["code"] == "label_not_found"


def test_deleting_a_label_removes_it_from_every_contact(labels, label_client) -> None:
    a = make_contact("a@example.com", labelKeys=["custom.vip", "custom.newsletter"])
    b = make_contact("b@example.com", labelKeys=["custom.vip"])
    c = make_contact("c@example.com", labelKeys=["custom.newsletter"])
    response = label_client.delete("/api/labels/custom.vip/")
    assert response.status_code == 200 and response.json() == {"key": "custom.vip", "contactsAffected": 2}
    assert not Label.objects.filter(key="custom.vip").exists()
    assert labels_of(a) == ["custom.newsletter"] and labels_of(b) == [] and labels_of(c) == ["custom.newsletter"]
    assert Contact.objects.get(pk=a.pk).revision == a.revision + 1
    assert Contact.objects.get(pk=c.pk).revision == c.revision


def test_a_system_label_cannot_be_deleted(labels, label_client) -> None:
    make_contact("a@example.com", labelKeys=["contacts.customers"])
    response = label_client.delete("/api/labels/contacts.customers/")
    assert response.status_code == 403 and response.json()["code"] == "system_label"
    assert ContactLabel.objects.filter(label__key="contacts.customers").count() == 1


def test_label_reads_need_view_and_writes_need_label(labels, api_client_with) -> None:
    read = api_client_with(Scope.READ)
    assert read.get("/api/labels/").status_code == 200
    assert read.get("/api/labels/custom.vip/").status_code == 200
    assert read.post("/api/labels/", {"displayName": "New"}, format="json").status_code == 403
    assert read.patch("/api/labels/custom.vip/", {"displayName": "New"}, format="json").status_code == 403
    assert read.delete("/api/labels/custom.vip/").status_code == 403
    label_only = api_client_with(Scope.LABEL)
    assert label_only.get("/api/labels/").status_code == 403
    assert label_only.post("/api/labels/", {"displayName": "New"}, format="json").status_code == 201
    assert Label.objects.get(key="custom.vip").display_name == "VIP"


# The extended-fields API


def test_find_or_create_an_extended_field_ignores_the_data_type_when_it_exists(label_client) -> None:
    response = label_client.post("/api/extended-fields/", {"displayName": "Budget", "dataType": "NUMBER"},
                                 format="json")
    assert response.status_code == 201
    field = response.json()["field"]
    assert response.json()["newField"] is True
    assert field["key"] == "custom.budget" and field["dataType"] == "NUMBER" and field["fieldType"] == "USER_DEFINED"
    again = label_client.post("/api/extended-fields/", {"displayName": "Budget", "dataType": "TEXT"}, format="json")
    assert again.status_code == 200 and again.json() == {"field": field, "newField": False}
    default = label_client.post("/api/extended-fields/", {"displayName": "Notes"}, format="json")
    assert default.status_code == 201 and default.json()["field"]["dataType"] == "TEXT"
    budget2 = label_client.post("/api/extended-fields/", {"displayName": "budget"}, format="json").json()
    assert budget2["field"]["key"] == "custom.budget-2"
    assert label_client.post("/api/extended-fields/", {"displayName": "X", "dataType": "BLOB"},
                             format="json").status_code == 400


def test_list_rename_and_delete_extended_fields(label_client) -> None:
    ExtendedField.objects.create(key="custom.notes", display_name="Notes")
    ExtendedField.objects.create(key="custom.budget", display_name="Budget", data_type=DataType.NUMBER)
    a = make_contact("a@example.com", extendedFields={"custom.notes": "hello", "custom.budget": 3})
    b = make_contact("b@example.com", extendedFields={"custom.budget": 5})

    listed = label_client.get("/api/extended-fields/").json()
    assert [f["key"] for f in listed["extendedFields"]] == ["custom.budget", "custom.notes"]
    assert listed["pagingMetadata"] == {"count": 2, "offset": 0, "total": 2}
    assert [f["key"] for f in label_client.get("/api/extended-fields/", {"displayName": "No"}).json()[
        "extendedFields"]] == ["custom.notes"]

    renamed = label_client.patch("/api/extended-fields/custom.notes/", {"displayName": "Remarks"}, format="json")
    assert renamed.status_code == 200
    assert renamed.json()["field"]["key"] == "custom.notes" and renamed.json()["field"]["displayName"] == "Remarks"

    response = label_client.delete("/api/extended-fields/custom.budget/")
    assert response.status_code == 200 and response.json() == {"key": "custom.budget", "contactsAffected": 2}
    assert Contact.objects.get(pk=a.pk).extended_fields == {"custom.notes": "hello"}
    assert Contact.objects.get(pk=b.pk).extended_fields == {}
    assert label_client.get("/api/extended-fields/custom.budget/").status_code == 404


def test_system_extended_fields_cannot_be_renamed_or_deleted(label_client) -> None:
    ExtendedField.objects.create(key="invoices.vatId", display_name="VAT ID", field_type=FieldType.SYSTEM)
    rename = label_client.patch("/api/extended-fields/invoices.vatId/", {"displayName": "VAT"}, format="json")
    assert rename.status_code == 403 and rename.json()["code"] == "system_field"
    delete = label_client.delete("/api/extended-fields/invoices.vatId/")
    assert delete.status_code == 403 and delete.json()["code"] == "system_field"
    assert ExtendedField.objects.get(key="invoices.vatId").display_name == "VAT ID"


def test_extended_field_writes_need_the_label_scope(api_client_with) -> None:
    ExtendedField.objects.create(key="custom.notes", display_name="Notes")
    read = api_client_with(Scope.READ)
    before = counts()
    assert read.get("/api/extended-fields/custom.notes/").status_code == 200
    assert read.post("/api/extended-fields/", {"displayName": "X"}, format="json").status_code == 403
    assert read.patch("/api/extended-fields/custom.notes/", {"displayName": "X"}, format="json").status_code == 403
    assert read.delete("/api/extended-fields/custom.notes/").status_code == 403
    assert APIClient().get("/api/extended-fields/").status_code == 401
    assert counts() == before and ExtendedField.objects.count() == 1
