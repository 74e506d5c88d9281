"""Labels and extended fields: generated keys (unique on collisions, never changed by a
rename), and deletion that takes them off every contact after a counted confirmation."""

import re
import uuid
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone
from django.utils.text import slugify

from contacts.enums import Channel, DataType, FieldType, LabelType
from contacts.labels import (
    extended_field_create,
    extended_field_delete,
    extended_field_key_for,
    label_create,
    label_key_for,
)
from contacts.models import Contact, ContactLabel, ExtendedField, Label
from contacts.payload import contact_payload_from_info
from contacts.reconcile import contact_append_or_create
from contacts.visitor import VisitorIdentity

pytestmark = pytest.mark.django_db

LABELS = "/admin/contacts/label/"
FIELDS = "/admin/contacts/extendedfield/"


def submit(info: dict[str, Any]) -> uuid.UUID:
    return contact_append_or_create(
        contact_payload_from_info(info), actor=None, visitor=VisitorIdentity(id=uuid.uuid4(), issued_at=timezone.now()),
        channel=Channel.FORM, now=timezone.now(),
    ).contact_id


# --- key generation -------------------------------------------------------------------------


@pytest.mark.parametrize(("make", "key_for"), [
    (lambda name: label_create(display_name=name), label_key_for),
    (lambda name: extended_field_create(display_name=name), extended_field_key_for),
], ids=["label", "extended_field"])
def test_keys_are_custom_slugs_numbered_on_collisions(make, key_for):
    assert key_for("My Label") == "custom.my-label"
    keys = [make(name).key for name in ("VIP", "VIP", "V.I.P", "vip")]

    assert keys == ["custom.vip", "custom.vip-2", "custom.vip-3", "custom.vip-4"]
    assert key_for("VIP") == "custom.vip-5"
    assert make("Another Label").key == "custom.another-label"
    assert make("Ça va, Zoë!").key == "custom.ca-va-zoe"


@pytest.mark.parametrize(("make", "model"), [
    (lambda name: label_create(display_name=name), Label),
    (lambda name: extended_field_create(display_name=name), ExtendedField),
], ids=["label", "extended_field"])
def test_names_without_latin_letters_get_a_random_unique_key(make, model):
    keys = [make(name).key for name in ("顧客", "顧客", "!!!")]

    assert len(set(keys)) == 3
    for key in keys:
        assert re.fullmatch(r"custom\.[a-z]{12}", key)
    assert model.objects.count() == 3


@pytest.mark.parametrize("make", [
    lambda name: label_create(display_name=name),
    lambda name: extended_field_create(display_name=name),
], ids=["label", "extended_field"])
def test_long_names_give_keys_of_at_most_80_characters_even_numbered(make):
    name = "Customers who asked about the enterprise plan in the spring campaign of the year"  # 80 characters
    keys = [make(name).key for _ in range(3)]

    assert all(len(key) <= 80 for key in keys)
    assert keys[0] == "custom." + slugify(name)[:73] and len(keys[0]) == 80
    assert keys[1].endswith("-2") and keys[2].endswith("-3")
    assert not keys[1].endswith("--2")
    assert len(set(keys)) == 3


def test_a_generated_key_is_usable_by_submissions():
    label = label_create(display_name="Newsletter")
    field = extended_field_create(display_name="Budget", data_type=DataType.NUMBER)

    contact_id = submit({"emails": [{"email": "ari@example.com"}], "labelKeys": [label.key],
                         "extendedFields": {field.key: 10}})

    contact = Contact.objects.get(pk=contact_id)
    assert list(contact.labels.values_list("key", flat=True)) == ["custom.newsletter"]
    assert contact.extended_fields == {"custom.budget": 10.0}


# --- admin: create and rename ---------------------------------------------------------------


def test_the_add_form_has_no_key_and_the_key_is_generated_on_save(admin_client):
    Label.objects.create(key="custom.vip", display_name="VIP")

    add = admin_client.get(f"{LABELS}add/").content.decode()
    response = admin_client.post(f"{LABELS}add/", {"display_name": "VIP", "key": "custom.mine"})

    assert 'name="key"' not in add and 'name="display_name"' in add
    assert response.status_code == 302, response.content.decode()
    created = Label.objects.get(display_name="VIP", key__startswith="custom.vip-")
    assert (created.key, created.label_type) == ("custom.vip-2", LabelType.USER_DEFINED)


def test_rename_keeps_the_key_which_is_read_only(admin_client):
    label = label_create(display_name="VIP")
    url = f"{LABELS}{label.pk}/change/"

    page = admin_client.get(url).content.decode()
    response = admin_client.post(url, {"display_name": "Very important", "key": "custom.other"})

    assert 'name="key"' not in page and "custom.vip" in page
    assert response.status_code == 302, response.content.decode()
    label.refresh_from_db()
    assert (label.key, label.display_name) == ("custom.vip", "Very important")


def test_extended_field_add_chooses_the_data_type_once_and_rename_keeps_key_and_type(admin_client):
    add = admin_client.get(f"{FIELDS}add/").content.decode()
    admin_client.post(f"{FIELDS}add/", {"display_name": "Next call", "data_type": "DATE"})
    field = ExtendedField.objects.get()
    url = f"{FIELDS}{field.pk}/change/"

    page = admin_client.get(url).content.decode()
    response = admin_client.post(url, {"display_name": "Call back on", "data_type": "TEXT", "key": "x"})

    assert 'name="key"' not in add and 'name="data_type"' in add
    assert 'name="data_type"' not in page
    assert response.status_code == 302, response.content.decode()
    field.refresh_from_db()
    assert (field.key, field.display_name, field.data_type, field.field_type) == (
        "custom.next-call", "Call back on", DataType.DATE, FieldType.USER_DEFINED)


# --- admin: delete --------------------------------------------------------------------------


@pytest.fixture
def tagged() -> dict[str, Any]:
    """Two contacts with the VIP label and a budget; a third with neither."""
    vip = label_create(display_name="VIP")
    other = label_create(display_name="Newsletter")
    budget = extended_field_create(display_name="Budget", data_type=DataType.NUMBER)
    notes = extended_field_create(display_name="Notes")
    ari = submit({"emails": [{"email": "ari@example.com"}], "labelKeys": [vip.key, other.key],
                  "extendedFields": {budget.key: 100, notes.key: "call"}})
    bo = submit({"emails": [{"email": "bo@example.com"}], "labelKeys": [vip.key], "extendedFields": {budget.key: 5}})
    cy = submit({"emails": [{"email": "cy@example.com"}], "extendedFields": {notes.key: "hi"}})
    return {"vip": vip, "other": other, "budget": budget, "notes": notes, "ari": ari, "bo": bo, "cy": cy}


def test_label_delete_confirmation_counts_the_contacts(admin_client, tagged):
    html = admin_client.get(f"{LABELS}{tagged['vip'].pk}/delete/").content.decode()
    one = admin_client.get(f"{LABELS}{tagged['other'].pk}/delete/").content.decode()

    assert "This removes the label from 2 contacts." in html
    assert "This removes the label from 1 contact." in one
    assert "custom.vip" in html


def test_deleting_a_label_removes_it_from_its_contacts(admin_client, tagged):
    revisions = dict(Contact.objects.values_list("pk", "revision"))

    response = admin_client.post(f"{LABELS}{tagged['vip'].pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Label.objects.filter(key="custom.vip").exists()
    assert list(ContactLabel.objects.values_list("contact_id", "label__key")) == [(tagged["ari"], "custom.newsletter")]
    after = dict(Contact.objects.values_list("pk", "revision"))
    assert after == {**revisions, tagged["ari"]: revisions[tagged["ari"]] + 1, tagged["bo"]: revisions[tagged["bo"]] + 1}


def test_extended_field_delete_confirmation_counts_the_contacts(admin_client, tagged):
    html = admin_client.get(f"{FIELDS}{tagged['budget'].pk}/delete/").content.decode()

    assert "This removes the field and its value from 2 contacts." in html


def test_deleting_an_extended_field_removes_the_key_from_every_contact(admin_client, tagged):
    response = admin_client.post(f"{FIELDS}{tagged['budget'].pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not ExtendedField.objects.filter(key="custom.budget").exists()
    assert dict(Contact.objects.values_list("pk", "extended_fields")) == {
        tagged["ari"]: {"custom.notes": "call"}, tagged["bo"]: {}, tagged["cy"]: {"custom.notes": "hi"}}


def test_extended_field_delete_is_one_update(tagged, django_assert_num_queries):
    # UPDATE contacts, then the field's DELETE (with its SAVEPOINT pair: the test runs in a transaction).
    with django_assert_num_queries(4):
        removed = extended_field_delete(field=tagged["notes"], now=timezone.now())

    assert removed == 2
    assert not Contact.objects.filter(extended_fields__has_key="custom.notes").exists()


def test_bulk_delete_is_not_offered(admin_client, tagged):
    for url in (LABELS, FIELDS):
        assert "delete_selected" not in admin_client.get(url).content.decode()


def test_system_labels_and_fields_cannot_be_deleted(admin_client):
    label = Label.objects.create(key="contacts.customers", display_name="Customers", label_type=LabelType.SYSTEM)
    field = ExtendedField.objects.create(key="members.membershipStatus", display_name="Membership",
                                         field_type=FieldType.SYSTEM)

    assert admin_client.post(f"{LABELS}{label.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.post(f"{FIELDS}{field.pk}/delete/", {"post": "yes"}).status_code == 403
    assert 'name="display_name"' not in admin_client.get(f"{FIELDS}{field.pk}/change/").content.decode()


@pytest.fixture
def viewer(django_user_model) -> Client:  # type: ignore[no-untyped-def]
    user = django_user_model.objects.create_user("viewer", "viewer@example.com", "x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    client = Client()
    client.force_login(user)
    return client


def test_view_only_staff_can_read_but_not_change_or_delete(viewer, tagged):
    vip, budget = tagged["vip"], tagged["budget"]

    assert viewer.get(LABELS).status_code == 200
    assert viewer.get(f"{LABELS}{vip.pk}/change/").status_code == 200
    assert viewer.post(f"{LABELS}{vip.pk}/change/", {"display_name": "Renamed"}).status_code == 403
    assert viewer.post(f"{LABELS}{vip.pk}/delete/", {"post": "yes"}).status_code == 403
    assert viewer.get(f"{LABELS}add/").status_code == 403
    assert viewer.post(f"{FIELDS}{budget.pk}/delete/", {"post": "yes"}).status_code == 403
    vip.refresh_from_db()
    assert vip.display_name == "VIP"
    assert ContactLabel.objects.filter(label=vip).count() == 2
