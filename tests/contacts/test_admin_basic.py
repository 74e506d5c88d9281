"""The basic staff admin: every page opens, and emails typed there obey the match keys."""

from typing import Any

import pytest
from django.test import Client

from contacts.models import Contact, Email, ExtendedField, Label, PossibleDuplicate, Submission, VisitorSession
from members.services import member_signup
from tests.helpers import FAST_PASSWORD_HASHERS, client_visitor_id, form_data, parse_html, post_json

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


@pytest.fixture
def staff(django_user_model) -> Client:
    user = django_user_model.objects.create_superuser("staff", "staff@example.com", "a-Long-unusual-pass-42")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def data(now) -> dict[str, Any]:
    """One of everything the admin lists."""
    label = Label.objects.create(key="custom.vip", display_name="VIP")
    field = ExtendedField.objects.create(key="custom.budget", display_name="Budget", data_type="NUMBER")
    visitor = Client()
    ari = post_json(visitor, {
        "name": {"first": "Ari", "last": "Thereyet"},
        "emails": [{"email": "ari@example.com"}],
        "phones": [{"phone": "+16502530000"}, {"phone": "601-081-124", "countryCode": "US"}],
        "addresses": [{"tag": "HOME", "address": {"addressLine1": "1 Main St", "city": "Springfield",
                                                   "country": "US", "postalCode": "12345"}}],
        "labelKeys": ["custom.vip"],
        "extendedFields": {"custom.budget": 100},
    }).json()["contactId"]
    bo = post_json(Client(), {"emails": [{"email": "bo@example.com"}]}).json()["contactId"]
    post_json(Client(), {"emails": [{"email": "ari@example.com"}, {"email": "bo@example.com"}]})
    member = member_signup(email="mia@example.com", password="a-Long-unusual-pass-42", first_name="Mia",
                           last_name="", visitor=None, now=now)
    return {
        "contact": Contact.objects.get(pk=ari),
        "other": Contact.objects.get(pk=bo),
        "label": label,
        "field": field,
        "visitor": VisitorSession.objects.get(pk=client_visitor_id(visitor)),
        "member": member,
        "submission": Submission.objects.filter(contact_id=ari).first(),
        "duplicate": PossibleDuplicate.objects.get(),
    }


PAGES = [
    ("contacts", "contact", "contact"),
    ("contacts", "label", "label"),
    ("contacts", "extendedfield", "field"),
    ("contacts", "visitorsession", "visitor"),
    ("members", "member", "member"),
    ("contacts", "submission", "submission"),
    ("contacts", "possibleduplicate", "duplicate"),
]


@pytest.mark.parametrize(("app", "model", "key"), PAGES, ids=[p[1] for p in PAGES])
def test_changelist_and_change_page_open(staff, data, app, model, key):
    obj = data[key]

    listing = staff.get(f"/admin/{app}/{model}/")
    change = staff.get(f"/admin/{app}/{model}/{obj.pk}/change/")

    assert listing.status_code == 200
    assert change.status_code == 200
    assert str(obj.pk) in listing.content.decode() or str(obj) in listing.content.decode()


def test_contact_change_page_shows_its_emails_phones_and_addresses(staff, data):
    contact = data["contact"]

    html = staff.get(f"/admin/contacts/contact/{contact.pk}/change/").content.decode()

    assert 'value="ari@example.com"' in html
    assert 'value="+16502530000"' in html
    assert 'value="601-081-124"' in html
    assert 'value="1 Main St"' in html
    for prefix in ("emails", "phones", "addresses"):
        assert f'name="{prefix}-TOTAL_FORMS"' in html


def test_contact_search_finds_by_email_key(staff, data):
    response = staff.get("/admin/contacts/contact/", {"q": "ARI@example.com"})

    assert response.status_code == 200
    assert f"/admin/contacts/contact/{data['contact'].pk}/change/" in response.content.decode()
    assert f"/admin/contacts/contact/{data['other'].pk}/change/" not in response.content.decode()


def test_anonymous_is_sent_to_the_admin_login(client, data):
    response = client.get("/admin/contacts/contact/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def _with_new_email(page: Any, email: str) -> dict[str, Any]:
    post = form_data(page, form_index=_change_form_index(page))
    index = int(post["emails-TOTAL_FORMS"])
    post["emails-TOTAL_FORMS"] = str(index + 1)
    post[f"emails-{index}-email"] = email
    post[f"emails-{index}-tag"] = "WORK"
    post[f"emails-{index}-contact"] = post.get("emails-0-contact", "")
    post["_continue"] = "Save and continue editing"
    return post


def _change_form_index(page: Any) -> int:
    forms = parse_html(page).forms
    [index] = [i for i, f in enumerate(forms) if f["attrs"].get("id", "").endswith("_form")]
    return index


def test_adding_an_email_in_the_inline_stores_its_normalised_key(staff, data):
    contact = data["contact"]
    url = f"/admin/contacts/contact/{contact.pk}/change/"
    page = staff.get(url)
    revision = contact.revision

    response = staff.post(url, _with_new_email(page, "  Ari.Work@EXAMPLE.com "))

    assert response.status_code == 302, response.content.decode()
    added = Email.objects.get(contact=contact, tag="WORK")
    assert added.email == "Ari.Work@EXAMPLE.com"
    assert added.key == "ari.work@example.com"
    assert added.primary is False
    assert added.created_at is not None
    # The rest of the contact is kept as it was.
    contact.refresh_from_db()
    assert contact.revision == revision + 1
    assert (contact.first_name, contact.extended_fields) == ("Ari", {"custom.budget": 100.0})
    assert contact.phones.count() == 2 and contact.addresses.count() == 1


def test_the_added_email_then_matches_submissions(staff, data):
    contact = data["contact"]
    url = f"/admin/contacts/contact/{contact.pk}/change/"
    staff.post(url, _with_new_email(staff.get(url), "Ari.Work@example.com"))

    response = post_json(Client(), {"emails": [{"email": "ari.work@EXAMPLE.COM"}]})

    assert response.json()["contactId"] == str(contact.pk)


@pytest.mark.parametrize("typed", ["bo@example.com", " BO@Example.COM "])
def test_adding_an_email_of_another_contact_shows_an_error(staff, data, typed):
    contact, other = data["contact"], data["other"]
    url = f"/admin/contacts/contact/{contact.pk}/change/"
    page = staff.get(url)
    before = list(Email.objects.order_by("id").values_list("contact_id", "key", "primary"))

    response = staff.post(url, _with_new_email(page, typed))

    assert response.status_code == 200  # the page again, with the error
    html = response.content.decode()
    link = f'<a href="/admin/contacts/contact/{other.pk}/change/">{other}</a>'
    assert f"This email already belongs to {link}." in html  # a link to the owner
    assert "Please correct the error" in html
    assert list(Email.objects.order_by("id").values_list("contact_id", "key", "primary")) == before


def test_adding_an_invalid_email_shows_an_error(staff, data):
    contact = data["contact"]
    url = f"/admin/contacts/contact/{contact.pk}/change/"

    response = staff.post(url, _with_new_email(staff.get(url), "not-an-email"))

    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert contact.emails.count() == 1


def test_adding_a_second_primary_email_shows_an_error(staff, data):
    contact = data["contact"]
    url = f"/admin/contacts/contact/{contact.pk}/change/"
    post = _with_new_email(staff.get(url), "ari.second@example.com")
    index = int(post["emails-TOTAL_FORMS"]) - 1
    post[f"emails-{index}-primary"] = "on"

    response = staff.post(url, post)

    assert response.status_code == 200
    assert "at most one primary" in response.content.decode()
    assert list(contact.emails.values_list("key", "primary")) == [("ari@example.com", True)]


def test_moving_the_primary_email_to_another_email_in_one_save(staff, data):
    contact = data["contact"]
    url = f"/admin/contacts/contact/{contact.pk}/change/"
    Email.objects.create(contact=contact, email="ari.first@example.com", key="ari.first@example.com",
                         created_at=contact.created_at)
    Email.objects.filter(key="ari.first@example.com").update(id=0)  # listed before the current primary
    post = form_data(staff.get(url), form_index=_change_form_index(staff.get(url)))
    assert post["emails-0-email"] == "ari.first@example.com" and post["emails-1-primary"] == "on"
    post["emails-0-primary"] = "on"
    del post["emails-1-primary"]
    post["_continue"] = "Save and continue editing"

    response = staff.post(url, post)

    assert response.status_code == 302, response.content.decode()
    assert sorted(contact.emails.values_list("key", "primary")) == [
        ("ari.first@example.com", True), ("ari@example.com", False)]


def test_the_same_new_email_twice_in_one_save_shows_an_error(staff, data):
    contact = data["contact"]
    url = f"/admin/contacts/contact/{contact.pk}/change/"
    post = _with_new_email(staff.get(url), "ari.two@example.com")
    index = int(post["emails-TOTAL_FORMS"])
    post["emails-TOTAL_FORMS"] = str(index + 1)
    post[f"emails-{index}-email"] = "ARI.TWO@example.com"
    post[f"emails-{index}-tag"] = "HOME"

    response = staff.post(url, post)

    assert response.status_code == 200
    assert "twice" in response.content.decode()
    assert list(contact.emails.values_list("key", flat=True)) == ["ari@example.com"]


def test_the_same_address_twice_shows_an_error(staff, data):
    contact = data["contact"]
    url = f"/admin/contacts/contact/{contact.pk}/change/"
    page = staff.get(url)
    post = form_data(page, form_index=_change_form_index(page))
    index = int(post["addresses-TOTAL_FORMS"])
    post["addresses-TOTAL_FORMS"] = str(index + 1)
    post.update({f"addresses-{index}-{name}": value for name, value in (
        ("tag", "WORK"), ("address_line1", "1 main st"), ("city", "SPRINGFIELD"), ("country", "US"),
        ("postal_code", "12345"))})
    post["_continue"] = "Save and continue editing"

    response = staff.post(url, post)

    assert response.status_code == 200
    assert "twice" in response.content.decode()
    assert contact.addresses.count() == 1


def _with_new_phone(page: Any, phone: str, country: str) -> dict[str, Any]:
    post = form_data(page, form_index=_change_form_index(page))
    index = int(post["phones-TOTAL_FORMS"])
    post["phones-TOTAL_FORMS"] = str(index + 1)
    post[f"phones-{index}-phone"] = phone
    post[f"phones-{index}-country_code"] = country
    post[f"phones-{index}-tag"] = "WORK"
    post["_continue"] = "Save and continue editing"
    return post


def test_adding_a_phone_in_the_inline_stores_its_match_key_and_e164(staff, data):
    contact = data["contact"]
    url = f"/admin/contacts/contact/{contact.pk}/change/"

    response = staff.post(url, _with_new_phone(staff.get(url), "020 7946 0958", "GB"))

    assert response.status_code == 302, response.content.decode()
    added = contact.phones.get(tag="WORK")
    assert (added.phone, added.country_code, added.key, str(added.e164)) == (
        "020 7946 0958", "GB", "+442079460958", "+442079460958")


@pytest.mark.parametrize(
    ("phone", "country", "message"),
    [
        ("(650) 253-0000", "US", "This phone already belongs to <a href="),
        ("abc", "US", "Enter a valid phone number"),
    ],
)
def test_adding_a_phone_of_another_contact_or_an_impossible_phone_shows_an_error(staff, data, phone, country,
                                                                                  message):
    contact = data["contact"]
    contact.phones.filter(key="+16502530000").update(contact=data["other"])
    url = f"/admin/contacts/contact/{contact.pk}/change/"
    before = list(contact.phones.values_list("key", flat=True))

    response = staff.post(url, _with_new_phone(staff.get(url), phone, country))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert list(contact.phones.values_list("key", flat=True)) == before


def test_deleting_the_primary_email_and_adding_a_new_primary_in_one_save(staff, data):
    contact = data["contact"]
    url = f"/admin/contacts/contact/{contact.pk}/change/"
    post = _with_new_email(staff.get(url), "Ari.New@example.com")
    index = int(post["emails-TOTAL_FORMS"]) - 1
    post[f"emails-{index}-primary"] = "on"
    post["emails-0-DELETE"] = "on"

    response = staff.post(url, post)

    assert response.status_code == 302, response.content.decode()
    assert list(contact.emails.values_list("email", "key", "tag", "primary")) == [
        ("Ari.New@example.com", "ari.new@example.com", "WORK", True)]


def test_deleting_an_email_and_re_adding_it_in_another_case_in_one_save(staff, data):
    contact = data["contact"]
    url = f"/admin/contacts/contact/{contact.pk}/change/"
    first = contact.emails.order_by("id").first()
    post = _with_new_email(staff.get(url), first.email.upper())
    post["emails-0-DELETE"] = "on"

    response = staff.post(url, post)

    assert response.status_code == 302, response.content.decode()
    assert contact.emails.filter(key=first.key).values_list("email", flat=True).get() == first.email.upper()


def test_the_contact_page_never_lists_every_contact_and_merging_is_not_a_form_field(staff, data):
    html = staff.get(f"/admin/contacts/contact/{data['contact'].pk}/change/").content.decode()
    assert 'name="merged_into"' not in html
    assert str(data["other"].pk) not in html.split('id="contact_form"')[1].split("Possible duplicates")[0]
