"""The staff admin in a real browser: log in, find a contact by any spelling of its email,
read its Timeline and Linked visitors panels, and merge two contacts.

The data comes through the real service, as a site form would send it. The names used
here are the admin's contract (panel headings "Timeline" and "Linked visitors", the action
`merge_contacts`, the page "Merge contacts", the radio `target`, the button "Merge", the
message "Merged …")."""

import re
import uuid
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from contacts.enums import Channel
from contacts.models import Contact
from contacts.payload import contact_payload_from_info
from contacts.reconcile import contact_append_or_create
from contacts.visitor import VisitorIdentity

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-Long-unusual-pass-42"
CHANGELIST = "/admin/contacts/contact/"
ARI = {
    "name": {"first": "Ari", "last": "Thereyet"},
    "emails": [{"email": "ari@example.com"}],
    "phones": [{"phone": "+16502530000"}],
}
ARI_T = {"name": {"first": "Ari", "last": "T."}, "emails": [{"email": "ari.t@example.org"}]}


def submit(info: dict[str, Any], visitor: VisitorIdentity) -> Contact:
    result = contact_append_or_create(
        contact_payload_from_info(info), actor=None, visitor=visitor, channel=Channel.FORM, now=timezone.now(),
    )
    return Contact.objects.get(pk=result.contact_id)


def new_visitor() -> VisitorIdentity:
    return VisitorIdentity(id=uuid.uuid4(), issued_at=timezone.now())


@pytest.fixture
def data(django_user_model: Any) -> dict[str, Any]:
    django_user_model.objects.create_superuser("staff", "staff@example.com", PASSWORD)
    visitor = new_visitor()
    ari = submit(ARI, visitor)
    assert submit(ARI, visitor) == ari  # the same visitor twice: one contact, two submissions
    ari_t = submit(ARI_T, new_visitor())
    assert ari_t != ari
    return {"ari": ari, "ari_t": ari_t, "visitor": visitor}


def log_in(page: Page) -> None:
    page.goto("/admin/login/")
    page.locator("#id_username").fill("staff")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def panel(page: Page, heading: str) -> Locator:
    """The admin block (fieldset, section or `.module`) headed `heading`."""
    title = page.get_by_role("heading", name=re.compile(rf"^\s*{re.escape(heading)}\b"))
    expect(title).to_have_count(1)
    return title.locator(
        "xpath=ancestor::*[self::fieldset or self::section or self::details"
        " or contains(concat(' ', normalize-space(@class), ' '), ' module ')][1]"
    )


def test_staff_finds_a_contact_and_reads_its_panels(page: Page, data: dict[str, Any]) -> None:
    ari = data["ari"]
    log_in(page)
    page.goto(CHANGELIST)
    page.locator("#searchbar").fill("ARI@Example.com")
    page.locator("#searchbar").press("Enter")

    results = page.locator("#result_list")
    expect(results).to_contain_text("Ari Thereyet")
    expect(results).not_to_contain_text("Ari T.")
    results.get_by_role("link", name="Ari Thereyet").click()
    expect(page).to_have_url(re.compile(rf"/admin/contacts/contact/{ari.pk}/change/"))

    timeline = panel(page, "Timeline")
    expect(timeline).to_contain_text(re.compile(r"\bform\b", re.I))
    expect(timeline).to_contain_text("ari@example.com")
    expect(panel(page, "Linked visitors")).to_contain_text(str(data["visitor"].id))


def test_staff_merges_two_contacts(page: Page, data: dict[str, Any]) -> None:
    ari, ari_t = data["ari"], data["ari_t"]
    log_in(page)
    page.goto(CHANGELIST)
    page.locator(f'input.action-select[value="{ari.pk}"]').check()
    page.locator(f'input.action-select[value="{ari_t.pk}"]').check()
    page.locator("select[name=action]").select_option("merge_contacts")
    page.get_by_role("button", name="Go", exact=True).first.click()

    expect(page).to_have_title(re.compile(r"^Merge contacts\b"))
    expect(page.locator("#content")).to_contain_text("Ari Thereyet")
    expect(page.locator("#content")).to_contain_text("Ari T.")
    page.locator(f'input[type=radio][name=target][value="{ari.pk}"]').check()
    page.get_by_role("button", name="Merge", exact=True).click()

    expect(page).to_have_url(re.compile(rf"/admin/contacts/contact/{ari.pk}/change/$"))
    expect(page.locator(".messagelist")).to_contain_text("Merged 1 contact into")

    ari_t.refresh_from_db()
    assert ari_t.merged_into_id == ari.pk
    assert set(ari.emails.values_list("key", flat=True)) == {"ari@example.com", "ari.t@example.org"}
