"""The site's contact form at /contact/, through the test client."""

import pytest
from django.test import Client

from contacts.enums import Channel, IdentityType, SourceType
from contacts.models import Contact, Submission
from tests.helpers import FORM_URL, THANKS_URL, contact_state, counts, field_block_text, parse_html, post_json

pytestmark = pytest.mark.django_db

FIELDS = {
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "phone_country": "Phone country",
    "phone": "Phone",
    "company": "Company",
    "message": "Message",
}

VALID = {
    "first_name": "Ari",
    "last_name": "Thereyet",
    "email": "ari.thereyet@example.com",
    "phone_country": "GB",
    "phone": "020 7946 0958",
    "company": "Thereyet Ltd",
    "message": "Please call me back.",
}

EMPTY = {name: "" for name in FIELDS}


def test_get_renders_the_labelled_form_with_a_csrf_token(client):
    response = client.get(FORM_URL)

    assert response.status_code == 200
    page = parse_html(response)
    [form] = [f for f in page.forms if f["attrs"].get("action") == FORM_URL]
    assert form["attrs"]["method"].lower() == "post"
    names = {name for name, _ in form["controls"]}
    assert set(FIELDS) <= names
    assert "csrfmiddlewaretoken" in names
    token = dict(form["controls"])["csrfmiddlewaretoken"]
    assert len(token) >= 32
    for name, label in FIELDS.items():
        assert page.labels.get(f"id_{name}") == label, f"{name} has no label"
        blocks = [b for b in page.blocks if name in b["names"]]
        assert len(blocks) == 1 and f"id_{name}" in blocks[0]["ids"]


def test_phone_country_offers_regions_and_defaults_to_us(client):
    response = client.get(FORM_URL)

    controls = dict(parse_html(response).forms[-1]["controls"])
    assert controls["phone_country"] == "US"
    assert 'value="GB"' in response.content.decode()


def test_valid_post_redirects_to_thanks_and_stores_contact_and_message(client):
    response = client.post(FORM_URL, VALID)

    assert response.status_code == 302
    assert response["Location"] == THANKS_URL
    thanks = client.get(THANKS_URL)
    assert thanks.status_code == 200 and "Thank you" in thanks.content.decode()

    submission = Submission.objects.get()
    assert submission.channel == Channel.FORM
    assert submission.message == "Please call me back."
    assert submission.identity_type == IdentityType.CONTACT and submission.new_contact is True
    contact = submission.contact
    assert contact.source_type == SourceType.WIX_FORMS
    state = contact_state(contact.id)
    assert (state["first_name"], state["last_name"], state["company"]) == ("Ari", "Thereyet", "Thereyet Ltd")
    assert state["emails"] == [("ari.thereyet@example.com", "ari.thereyet@example.com", "UNTAGGED", True)]
    assert state["phones"] == [("020 7946 0958", "GB", "+442079460958", "+442079460958", "UNTAGGED", True)]


def test_message_is_not_written_to_the_contact_but_kept_per_submission(client):
    client.post(FORM_URL, VALID)
    client.post(FORM_URL, {**VALID, "message": "Second message."})

    assert Contact.objects.count() == 1
    assert sorted(Submission.objects.values_list("message", flat=True)) == ["Please call me back.", "Second message."]


def test_only_a_name_is_enough(client):
    response = client.post(FORM_URL, {**EMPTY, "first_name": "Ari", "phone_country": "US"})

    assert response.status_code == 302
    assert Contact.objects.get().first_name == "Ari"


def test_second_post_with_the_same_email_appends_to_the_same_contact(client):
    client.post(FORM_URL, {**EMPTY, "email": "ari@example.com"})

    response = Client().post(FORM_URL, {**EMPTY, "email": "ARI@example.com", "company": "Acme",
                                        "phone_country": "US", "phone": "+16502530000"})

    assert response.status_code == 302
    contact = Contact.objects.get()
    assert contact.company == "Acme"
    assert contact.phones.get().e164 == "+16502530000"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        pytest.param({"email": "ari.example.com"}, "email", "Enter a valid email address.", id="no-at-sign"),
        pytest.param({"email": "Ari <a@example.com>"}, "email", "display name", id="display-name"),
        pytest.param({"phone": "abc", "phone_country": "US"}, "phone",
                     "Enter a valid phone number: digits, spaces and + - . ( ) only.", id="letters"),
        pytest.param({"phone": "123", "phone_country": "US"}, "phone",
                     "Enter a valid phone number: 7 to 15 digits.", id="too-short"),
        pytest.param({"phone": "6502530000", "phone_country": ""}, "phone_country",
                     "Give the phone&#x27;s country code", id="no-country"),
        pytest.param({"phone": "6502530000", "phone_country": "XX"}, "phone_country",
                     "Select a valid choice.", id="unknown-country"),
    ],
)
def test_invalid_field_rerenders_with_400_and_the_error_next_to_the_field(client, data, field, message):
    post_json(Client(), {"emails": [{"email": "someone@example.com"}]})  # unrelated existing data
    before = counts()
    posted = {**VALID, **data}

    response = client.post(FORM_URL, posted)

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    block = field_block_text(response, field)
    assert message.replace("&#x27;", "'") in block
    for other in set(FIELDS) - {field}:
        assert message.replace("&#x27;", "'") not in field_block_text(response, other)
    assert 'role="alert"' in html  # a summary the screen reader announces
    assert counts() == before
    # What the visitor typed is kept, so they only fix the one field.
    controls = dict(parse_html(response).forms[-1]["controls"])
    assert controls["first_name"] == "Ari"
    assert controls["message"] == "Please call me back."


def test_invalid_field_is_marked_invalid_for_assistive_technology(client):
    response = client.post(FORM_URL, {**VALID, "email": "nope"})

    html = response.content.decode()
    tag = html[html.index('id="id_email"') - 200: html.index('id="id_email"') + 200]
    assert 'aria-invalid="true"' in tag


def test_everything_empty_shows_a_non_field_error_and_writes_nothing(client):
    before = counts()

    response = client.post(FORM_URL, EMPTY)

    assert response.status_code == 400
    page = parse_html(response)
    html = response.content.decode()
    assert "Please tell us your name, your email or your phone number." in html
    assert 'id="form-errors"' in html
    for name in FIELDS:  # it is a form-level error, not attached to any one field
        assert "Please tell us" not in field_block_text(response, name)
    assert page.forms  # the form is shown again
    assert counts() == before


def test_only_a_message_from_a_new_visitor_is_not_enough(client):
    before = counts()

    response = client.post(FORM_URL, {**EMPTY, "message": "Hello?", "phone_country": "US"})

    assert response.status_code == 400
    assert "Please tell us your name, your email or your phone number." in response.content.decode()
    assert counts() == before


def test_only_a_message_from_a_returning_visitor_is_stored_on_their_contact(client):
    client.post(FORM_URL, {**VALID})
    contact = Contact.objects.get()

    response = client.post(FORM_URL, {**EMPTY, "message": "Any news?", "phone_country": "US"})

    assert response.status_code == 302
    assert Contact.objects.count() == 1
    latest = Submission.objects.order_by("-created_at").first()
    assert (latest.contact_id, latest.message, latest.matched_by) == (contact.id, "Any news?", "visitor")


def test_too_long_value_is_a_field_error(client):
    response = client.post(FORM_URL, {**VALID, "first_name": "A" * 101})

    assert response.status_code == 400
    assert "at most 100 characters" in field_block_text(response, "first_name")
    assert counts()["Contact"] == 0


def test_post_without_csrf_token_is_refused():
    client = Client(enforce_csrf_checks=True)
    client.get(FORM_URL)

    response = client.post(FORM_URL, VALID)

    assert response.status_code == 403
    assert counts()["Submission"] == 0 and counts()["Contact"] == 0


def test_post_with_the_csrf_token_from_the_page_is_accepted():
    client = Client(enforce_csrf_checks=True)
    page = client.get(FORM_URL)
    token = dict(parse_html(page).forms[-1]["controls"])["csrfmiddlewaretoken"]

    response = client.post(FORM_URL, {**VALID, "csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert Submission.objects.get().channel == Channel.FORM
