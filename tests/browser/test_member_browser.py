"""A member in a real browser: sign up, send the contact form signed in (the member's own
contact), log out with the nav's button, then send the form with the member's email and
another first name: NOT_AUTHENTICATED_MEMBER, and the member's contact is left untouched
(decisions.md §3, §5)."""

import re

import pytest
from playwright.sync_api import Page, expect

from contacts.enums import Channel, IdentityType
from contacts.models import Submission
from members.models import Member
from tests.helpers import contact_state

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-Long-unusual-pass-42"
EMAIL = "mia.member@example.com"


def _send_form(page: Page, **fields: str) -> None:
    page.goto("/contact/")
    for label, value in fields.items():
        if label == "Phone country":
            page.get_by_label(label).select_option(value)
        else:
            page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Send").click()
    expect(page).to_have_url(re.compile(r"/contact/thanks/$"))


def test_member_signs_up_sends_the_form_logs_out_and_cannot_change_their_contact(page: Page) -> None:
    page.goto("/members/signup/")
    page.get_by_label("Email").fill("Mia.Member@Example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("First name").fill("Mia")
    page.get_by_label("Last name").fill("Member")
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/contact/$"))
    nav = page.get_by_role("navigation", name="Site")
    expect(nav).to_contain_text("Signed in as Mia.Member@example.com")  # domain normalised
    member = Member.objects.get()

    # Signed in: the form goes to the member's own contact.
    _send_form(page, **{"Phone country": "GB", "Phone": "020 7946 0958", "Company": "Mia Co",
                        "Message": "Hello as a member"})
    signed_in = Submission.objects.get(channel=Channel.FORM)
    assert signed_in.identity_type == IdentityType.MEMBER
    assert signed_in.contact_id == member.contact_id
    assert signed_in.user_id == member.user_id
    before = contact_state(member.contact_id)
    assert before["company"] == "Mia Co"
    assert [p[3] for p in before["phones"]] == ["+442079460958"]

    # Log out with the nav's button (a POST form).
    page.goto("/contact/")
    nav.get_by_role("button", name="Log out").click()
    expect(nav.get_by_role("link", name="Log in")).to_be_visible()
    expect(nav).not_to_contain_text("Signed in as")

    # Same browser, same visitor cookie, the member's email and another first name.
    _send_form(page, **{"First name": "Mallory", "Email": EMAIL, "Company": "Mallory Ltd",
                        "Message": "Not really Mia"})
    logged_out = Submission.objects.filter(channel=Channel.FORM).exclude(pk=signed_in.pk).get()
    assert logged_out.identity_type == IdentityType.NOT_AUTHENTICATED_MEMBER
    assert logged_out.contact_id == member.contact_id
    assert logged_out.user_id is None
    assert logged_out.written == []
    assert logged_out.message == "Not really Mia"
    assert contact_state(member.contact_id) == before  # fields, emails, phones, revision
    assert (before["first_name"], before["last_name"]) == ("Mia", "Member")
