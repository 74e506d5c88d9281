"""The site's contact form in a real browser: the visitor cookie carries a returning visitor
to their own contact (step 3), and a field error is shown at its field."""

import re

import pytest
from playwright.sync_api import Page, expect

from contacts.models import Contact, Submission

pytestmark = pytest.mark.django_db(transaction=True)


def test_returning_visitor_lands_on_their_contact(page: Page) -> None:
    page.goto("/contact/")
    page.get_by_label("First name").fill("Ari")
    page.get_by_label("Email").fill("ari@example.com")
    page.get_by_label("Phone country").select_option("US")
    page.get_by_label("Phone", exact=True).fill("650 253 0000")
    page.get_by_role("button", name="Send").click()
    expect(page).to_have_url(re.compile(r"/contact/thanks/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you!")
    assert any(c["name"] == "crm_visitor" for c in page.context.cookies())

    # Same browser, same visitor cookie: a name alone is matched to the visitor's contact.
    page.get_by_role("link", name="Send another message").click()
    page.get_by_label("First name").fill("Ari")
    page.get_by_role("button", name="Send").click()
    expect(page).to_have_url(re.compile(r"/contact/thanks/$"))

    contact = Contact.objects.get()
    assert list(contact.emails.values_list("key", flat=True)) == ["ari@example.com"]
    assert list(contact.phones.values_list("e164", flat=True)) == ["+16502530000"]
    assert Submission.objects.filter(contact=contact).count() == 2


def test_invalid_email_is_shown_at_its_field(page: Page) -> None:
    page.goto("/contact/")
    page.get_by_label("First name").fill("Ari")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_role("button", name="Send").click()

    email = page.locator("#id_email")
    field = page.locator(".field").filter(has=email)
    expect(page.locator("#form-errors")).to_be_visible()
    expect(field.locator(".errorlist")).to_contain_text(re.compile("valid email", re.I))
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_value("not-an-email")
    expect(page.locator(".field").filter(has=page.locator("#id_first_name")).locator(".errorlist")).to_have_count(0)
    assert not Contact.objects.exists()
