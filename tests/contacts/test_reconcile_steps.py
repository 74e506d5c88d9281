"""The reconcile service against the database: the five steps and their order (seed page,
decisions.md §1), identity types (§3, §5), append rules (§7-§10), references (§11), the
ledger (§12), visitor links (§2) and member signup (§3)."""

import datetime
import uuid
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.utils import timezone

from contacts.enums import Channel, IdentityType, StepOrder
from contacts.models import (
    Address,
    Contact,
    ContactLabel,
    Email,
    ExtendedField,
    Label,
    Phone,
    PossibleDuplicate,
    Submission,
    VisitorLink,
    VisitorSession,
)
from contacts.payload import contact_payload_from_info
from contacts.reconcile import NothingToReconcile, ReconcileResult, contact_append_or_create
from contacts.visitor import VisitorIdentity
from members.models import Member
from members.services import member_signup

pytestmark = pytest.mark.django_db

BOTH_ORDERS = pytest.mark.parametrize("order", [StepOrder.FRONTEND, StepOrder.BACKEND])
ARI = {"name": {"first": "Ari", "last": "Thereyet"}}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- helpers ------------------------------------------------------------------------------


def new_visitor() -> VisitorIdentity:
    return VisitorIdentity(id=uuid.uuid4(), issued_at=timezone.now())


def submit(
    info: dict[str, Any],
    *,
    visitor: VisitorIdentity | None = None,
    actor: Any = None,
    order: StepOrder = StepOrder.FRONTEND,
    channel: Channel = Channel.API,
    now: datetime.datetime | None = None,
    message: str = "",
) -> ReconcileResult:
    return contact_append_or_create(
        contact_payload_from_info(info),
        actor=actor,
        visitor=visitor,
        channel=channel,
        step_order=order,
        now=now or timezone.now(),
        message=message,
    )


def emails(*addresses: str) -> list[dict[str, Any]]:
    return [{"email": a} for a in addresses]


def phones(*numbers: str) -> list[dict[str, Any]]:
    return [{"phone": n} for n in numbers]


def existing_contact(info: dict[str, Any], *, visitor: VisitorIdentity | None = None) -> Contact:
    """A contact an earlier submission created."""
    result = submit(info, visitor=visitor, channel=Channel.ADMIN)
    assert result.new_contact
    return Contact.objects.get(pk=result.contact_id)


def linked_visitor(info: dict[str, Any]) -> tuple[VisitorIdentity, Contact]:
    """A visitor whose earlier submission created (and so is linked to) a contact."""
    visitor = new_visitor()
    return visitor, existing_contact(info, visitor=visitor)


def signup(email: str, first: str = "Mia", last: str = "Member", visitor: VisitorIdentity | None = None) -> Member:
    return member_signup(
        email=email, password="correct horse battery staple", first_name=first, last_name=last,
        visitor=visitor, now=timezone.now(),
    )


def ledger(result: ReconcileResult) -> Submission:
    return Submission.objects.get(pk=result.submission_id)


def reasons(submission: Submission) -> dict[tuple[str, Any], str]:
    return {(s["field"], s["value"]): s.get("reason", "") for s in submission.skipped}


def written_fields(submission: Submission) -> list[tuple[str, Any]]:
    return [(w["field"], w["value"]) for w in submission.written]


def email_rows(contact_id: uuid.UUID) -> list[tuple[str, bool]]:
    return list(Email.objects.filter(contact_id=contact_id).order_by("id").values_list("email", "primary"))


def phone_rows(contact_id: uuid.UUID) -> list[tuple[str, bool]]:
    return list(Phone.objects.filter(contact_id=contact_id).order_by("id").values_list("phone", "primary"))


def label_keys(contact_id: uuid.UUID) -> set[str]:
    return set(ContactLabel.objects.filter(contact_id=contact_id).values_list("label__key", flat=True))


def current_link(visitor: VisitorIdentity) -> uuid.UUID | None:
    return VisitorSession.objects.filter(pk=visitor.id).values_list("contact_id", flat=True).first()


def contact_state(contact_id: uuid.UUID) -> dict[str, Any]:
    """Everything on a contact a reconcile could change."""
    contact = Contact.objects.get(pk=contact_id)
    return {
        "fields": model_to_dict(contact, exclude=["labels"]) | {
            "revision": contact.revision, "updated_at": contact.updated_at,
            "last_activity_type": contact.last_activity_type, "last_activity_at": contact.last_activity_at},
        "emails": list(Email.objects.filter(contact=contact).values_list("key", "primary")),
        "phones": list(Phone.objects.filter(contact=contact).values_list("key", "primary")),
        "addresses": list(Address.objects.filter(contact=contact).values_list("key", flat=True)),
        "labels": label_keys(contact_id),
        "visitor_links": list(VisitorLink.objects.filter(contact=contact).values_list("visitor_id", "unlinked_at")),
    }


COUNTED = (Contact, Email, Phone, Address, ContactLabel, VisitorSession, VisitorLink, Submission, PossibleDuplicate)


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


@pytest.fixture
def vip() -> Label:
    return Label.objects.create(key="custom.vip", display_name="VIP")


@pytest.fixture
def budget() -> ExtendedField:
    return ExtendedField.objects.create(key="custom.budget", display_name="Budget", data_type="NUMBER")


# --- step 4: create ---------------------------------------------------------------------


@BOTH_ORDERS
def test_the_seed_example_creates_a_contact_with_everything_given(order: StepOrder) -> None:
    visitor = new_visitor()
    result = submit(
        {
            **ARI,
            "emails": emails("ari.thereyet@example.com", "ari.thereyet.appended.email@example.com"),
            "phones": [{"tag": "MOBILE", "countryCode": "US", "phone": "601-081-124", "primary": True}],
        },
        visitor=visitor,
        order=order,
    )
    assert result.new_contact and result.identity_type == IdentityType.CONTACT and result.matched_by == "created"
    contact = Contact.objects.get(pk=result.contact_id)
    assert (contact.first_name, contact.last_name, contact.revision) == ("Ari", "Thereyet", 1)
    assert email_rows(contact.id) == [
        ("ari.thereyet@example.com", True), ("ari.thereyet.appended.email@example.com", False)]
    phone = Phone.objects.get(contact=contact)
    assert (phone.phone, phone.country_code, phone.key, phone.tag, phone.primary) == (
        "601-081-124", "US", "+1601081124", "MOBILE", True)
    assert not phone.e164  # plausible but not valid: flagged for staff
    assert current_link(visitor) == contact.id


@BOTH_ORDERS
def test_a_name_alone_creates_a_contact(order: StepOrder) -> None:
    result = submit(ARI, visitor=new_visitor(), order=order)
    assert result.new_contact
    assert Contact.objects.get(pk=result.contact_id).first_name == "Ari"


def test_a_created_contact_is_stamped_with_the_call_time() -> None:
    now = timezone.now() - datetime.timedelta(days=3)
    contact = Contact.objects.get(pk=submit(ARI, now=now).contact_id)
    assert contact.created_at == now and contact.updated_at == now


# --- step 5 and empty payloads ------------------------------------------------------------


@BOTH_ORDERS
def test_nothing_to_find_or_create_from_is_rejected_and_writes_nothing(order: StepOrder) -> None:
    before = row_counts()
    with pytest.raises(NothingToReconcile):
        submit({"company": "Acme", "jobTitle": "Buyer"}, visitor=new_visitor(), order=order)
    with pytest.raises(NothingToReconcile):
        submit({"company": "Acme"}, visitor=None, order=order)
    assert row_counts() == before  # not even the visitor row


@BOTH_ORDERS
def test_an_empty_payload_from_an_unknown_visitor_is_rejected(order: StepOrder) -> None:
    before = row_counts()
    for info in ({}, {"name": {"first": "  "}, "emails": [], "labelKeys": []}):
        with pytest.raises(NothingToReconcile):
            submit(info, visitor=new_visitor(), order=order)
        with pytest.raises(NothingToReconcile):
            submit(info, visitor=None, order=order)
    assert row_counts() == before


@BOTH_ORDERS
def test_an_empty_payload_from_a_linked_visitor_lands_on_its_contact_and_writes_nothing(order: StepOrder) -> None:
    """A returning visitor's message-only form submission is kept on their contact (step 3)."""
    visitor, contact = linked_visitor(ARI)
    before = contact_state(contact.id)
    result = submit({}, visitor=visitor, order=order, channel=Channel.FORM, message="Call me back")
    assert (result.contact_id, result.matched_by, result.new_contact) == (contact.id, "visitor", False)
    after = contact_state(contact.id)
    for state in (before, after):  # the activity date moves; nothing else may
        del state["fields"]["last_activity_at"], state["fields"]["last_activity_type"]
    assert after == before
    submission = Submission.objects.get(pk=result.submission_id)
    assert (submission.message, submission.written, submission.skipped) == ("Call me back", [], [])


# --- step 3: the visitor's linked contact, and the two step orders ---------------------------


def test_frontend_name_only_from_a_linked_visitor_appends_to_the_visitors_contact() -> None:
    visitor, contact = linked_visitor({"name": {"first": "Ari"}})
    result = submit({"name": {"first": "Ari", "last": "Thereyet"}}, visitor=visitor, order=StepOrder.FRONTEND)
    assert (result.contact_id, result.new_contact, result.matched_by) == (contact.id, False, "visitor")
    contact.refresh_from_db()
    assert contact.last_name == "Thereyet"
    assert Contact.objects.count() == 1


def test_backend_name_only_from_a_linked_visitor_creates_a_new_contact_and_moves_the_link() -> None:
    visitor, old = linked_visitor({"name": {"first": "Ari"}})
    result = submit({"name": {"first": "Bob"}}, visitor=visitor, order=StepOrder.BACKEND)
    assert result.new_contact and result.matched_by == "created" and result.contact_id != old.id
    old.refresh_from_db()
    assert old.first_name == "Ari" and old.revision == 1
    assert current_link(visitor) == result.contact_id


def test_frontend_unmatched_email_from_a_linked_visitor_is_appended_to_the_visitors_contact() -> None:
    visitor, contact = linked_visitor({**ARI, "emails": emails("ari@example.com")})
    result = submit({"emails": emails("ari.work@example.com")}, visitor=visitor, order=StepOrder.FRONTEND)
    assert (result.contact_id, result.matched_by, result.new_contact) == (contact.id, "visitor", False)
    assert email_rows(contact.id) == [("ari@example.com", True), ("ari.work@example.com", False)]


def test_backend_unmatched_email_from_a_linked_visitor_creates_a_contact() -> None:
    visitor, contact = linked_visitor({**ARI, "emails": emails("ari@example.com")})
    result = submit({"emails": emails("bob@example.com")}, visitor=visitor, order=StepOrder.BACKEND)
    assert result.new_contact and result.contact_id != contact.id
    assert email_rows(result.contact_id) == [("bob@example.com", True)]
    assert email_rows(contact.id) == [("ari@example.com", True)]


@BOTH_ORDERS
def test_without_an_email_phone_or_name_a_linked_visitor_is_used_in_both_orders(order: StepOrder) -> None:
    visitor, contact = linked_visitor(ARI)
    result = submit({"company": "Acme"}, visitor=visitor, order=order)
    assert (result.contact_id, result.matched_by, result.new_contact) == (contact.id, "visitor", False)
    contact.refresh_from_db()
    assert contact.company == "Acme"


@BOTH_ORDERS
def test_a_fresh_visitor_without_a_match_creates(order: StepOrder) -> None:
    existing_contact({**ARI, "emails": emails("ari@example.com")})
    result = submit({"emails": emails("bob@example.com")}, visitor=new_visitor(), order=order)
    assert result.new_contact and Contact.objects.count() == 2


# --- step 2: match by email / phone ---------------------------------------------------------


@BOTH_ORDERS
def test_a_matching_email_beats_the_visitors_linked_contact(order: StepOrder) -> None:
    visitor, visitors_contact = linked_visitor({"name": {"first": "Bob"}})
    ari = existing_contact({**ARI, "emails": emails("ari@example.com")})
    result = submit({"name": {"first": "Someone"}, "emails": emails("Ari@Example.com")}, visitor=visitor, order=order)
    assert (result.contact_id, result.matched_by, result.new_contact) == (ari.id, "email", False)
    assert result.identity_type == IdentityType.CONTACT
    assert current_link(visitor) == ari.id
    assert Contact.objects.get(pk=visitors_contact.id).revision == 1


@BOTH_ORDERS
def test_a_matching_phone_in_another_format_finds_the_contact(order: StepOrder) -> None:
    ari = existing_contact({**ARI, "phones": phones("+16502530000")})
    result = submit({"phones": [{"phone": "(650) 253 0000", "countryCode": "US"}]}, order=order)
    assert (result.contact_id, result.matched_by) == (ari.id, "phone")
    assert Phone.objects.count() == 1


# --- step 1: a logged-in member ---------------------------------------------------------------


@BOTH_ORDERS
def test_a_logged_in_member_always_reconciles_with_their_own_contact(order: StepOrder) -> None:
    member = signup("mia@example.com")
    other = existing_contact({"emails": emails("other@example.com")})
    visitor, visitors_contact = linked_visitor({"name": {"first": "Shared browser"}})
    result = submit(
        {"emails": emails("other@example.com"), "phones": phones("+442079460958"), "name": {"first": "Xavier"}},
        actor=member.user, visitor=visitor, order=order,
    )
    assert (result.contact_id, result.identity_type, result.matched_by) == (
        member.contact_id, IdentityType.MEMBER, "member")
    assert phone_rows(member.contact_id) == [("+442079460958", True)]
    assert email_rows(other.id) == [("other@example.com", True)]  # never moved or copied
    skipped = reasons(ledger(result))
    assert skipped[("emails", "other@example.com")] == "belongs_to_other_contact"
    assert skipped[("name.first", "Xavier")] == "field_not_empty"
    assert current_link(visitor) == member.contact_id
    assert Contact.objects.get(pk=visitors_contact.id).revision == 1


def test_a_members_login_email_stays_primary() -> None:
    member = signup("mia@example.com")
    result = submit({"emails": [{"email": "mia.work@example.com", "primary": True}]}, actor=member.user)
    assert email_rows(member.contact_id) == [("mia@example.com", True), ("mia.work@example.com", False)]
    assert reasons(ledger(result))[("emails.primary", "mia.work@example.com")] == "existing_primary_kept"


def test_a_logged_in_staff_user_without_a_member_row_is_treated_as_anonymous() -> None:
    staff = get_user_model().objects.create_user(username="staff", password="x" * 12)
    ari = existing_contact({"emails": emails("ari@example.com")})
    result = submit({"emails": emails("ari@example.com")}, actor=staff)
    assert (result.contact_id, result.identity_type, result.matched_by) == (ari.id, IdentityType.CONTACT, "email")
    assert ledger(result).user_id == staff.pk


# --- NOT_AUTHENTICATED_MEMBER -----------------------------------------------------------------


def everything_for(email: str) -> dict[str, Any]:
    return {
        "name": {"first": "Impostor", "last": "Person"},
        "company": "Acme",
        "emails": emails(email, "new.address@example.com"),
        "phones": phones("+4915112345678"),
        "addresses": [{"address": {"addressLine1": "1 Main St", "city": "Springfield", "country": "US"}}],
        "labelKeys": ["custom.vip"],
        "extendedFields": {"custom.budget": 500},
    }


@BOTH_ORDERS
def test_a_members_email_from_an_anonymous_visitor_changes_nothing_but_is_recorded(
    order: StepOrder, vip: Label, budget: ExtendedField
) -> None:
    member = signup("mia@example.com", first="", last="")  # empty scalars that could be filled
    before = contact_state(member.contact_id)
    visitor = new_visitor()
    info = everything_for("MIA@example.com")
    result = submit(info, visitor=visitor, order=order, now=timezone.now() + datetime.timedelta(hours=1))

    assert (result.contact_id, result.identity_type, result.matched_by, result.new_contact) == (
        member.contact_id, IdentityType.NOT_AUTHENTICATED_MEMBER, "email", False)
    assert contact_state(member.contact_id) == before
    assert Email.objects.filter(key="new.address@example.com").count() == 0
    assert current_link(visitor) is None
    assert not VisitorLink.objects.filter(visitor_id=visitor.id).exists()

    submission = ledger(result)
    assert submission.payload == info
    assert submission.identity_type == IdentityType.NOT_AUTHENTICATED_MEMBER
    assert submission.written == []
    assert set(reasons(submission).values()) == {"not_authenticated_member"}
    assert set(reasons(submission)) == {
        ("name.first", "Impostor"), ("name.last", "Person"), ("company", "Acme"),
        ("emails", "MIA@example.com"), ("emails", "new.address@example.com"), ("phones", "+4915112345678"),
        ("addresses", "1 Main St, Springfield, US"), ("labelKeys", "custom.vip"),
        ("extendedFields.custom.budget", 500),
    }
    assert submission.visitor_id == visitor.id


def test_a_not_authenticated_member_match_leaves_the_visitors_existing_link_alone() -> None:
    member = signup("mia@example.com")
    visitor, contact = linked_visitor(ARI)
    links_before = list(VisitorLink.objects.values_list("id", "contact_id", "unlinked_at"))
    result = submit({"emails": emails("mia@example.com")}, visitor=visitor)
    assert result.identity_type == IdentityType.NOT_AUTHENTICATED_MEMBER
    assert current_link(visitor) == contact.id
    assert list(VisitorLink.objects.values_list("id", "contact_id", "unlinked_at")) == links_before


def test_frontend_a_visitor_linked_to_a_logged_out_member_changes_nothing() -> None:
    visitor = new_visitor()
    member = signup("mia@example.com", visitor=visitor)
    assert current_link(visitor) == member.contact_id
    before = contact_state(member.contact_id)
    result = submit({"name": {"first": "Mia"}, "company": "Acme"}, visitor=visitor, order=StepOrder.FRONTEND)
    assert (result.contact_id, result.identity_type, result.matched_by) == (
        member.contact_id, IdentityType.NOT_AUTHENTICATED_MEMBER, "visitor")
    assert contact_state(member.contact_id) == before
    assert ledger(result).written == []


def test_a_member_logged_in_again_appends_to_their_contact() -> None:
    member = signup("mia@example.com")
    result = submit({"company": "Acme"}, actor=member.user)
    assert result.identity_type == IdentityType.MEMBER
    assert Contact.objects.get(pk=member.contact_id).company == "Acme"


# --- fill empty vs append, re-submission ----------------------------------------------------------


def test_empty_scalars_are_filled_and_set_ones_never_overwritten() -> None:
    ari = existing_contact({"name": {"first": "Ari"}, "company": "Acme", "emails": emails("ari@example.com")})
    result = submit({
        "name": {"first": "Bob", "last": "Thereyet"}, "company": "Acme", "jobTitle": "Buyer",
        "birthdate": datetime.date(1990, 5, 17), "emails": emails("ari@example.com"),
    })
    ari.refresh_from_db()
    assert (ari.first_name, ari.last_name, ari.company, ari.job_title, ari.birthdate) == (
        "Ari", "Thereyet", "Acme", "Buyer", datetime.date(1990, 5, 17))
    submission = ledger(result)
    assert written_fields(submission) == [("name.last", "Thereyet"), ("jobTitle", "Buyer"), ("birthdate", "1990-05-17")]
    assert reasons(submission) == {
        ("name.first", "Bob"): "field_not_empty",
        ("company", "Acme"): "already_on_contact",
        ("emails", "ari@example.com"): "already_on_contact",
    }


def test_arrays_are_appended_without_touching_what_is_there() -> None:
    ari = existing_contact({
        "emails": emails("ari@example.com"), "phones": phones("+16502530000"),
        "addresses": [{"address": {"addressLine1": "1 Main St", "city": "Springfield"}}],
    })
    submit({
        "emails": emails("ari@example.com", "ari.work@example.com"),
        "phones": phones("+442079460958"),
        "addresses": [{"tag": "WORK", "address": {"addressLine1": "1 MAIN  st", "city": "springfield"}},
                      {"tag": "WORK", "address": {"addressLine1": "2 High St", "city": "London"}}],
    })
    assert email_rows(ari.id) == [("ari@example.com", True), ("ari.work@example.com", False)]
    assert phone_rows(ari.id) == [("+16502530000", True), ("+442079460958", False)]
    assert list(Address.objects.filter(contact=ari).order_by("id").values_list("address_line1", "tag")) == [
        ("1 Main St", "UNTAGGED"), ("2 High St", "WORK")]


def test_resubmitting_in_other_spellings_adds_no_rows_and_no_revision() -> None:
    first = submit({**ARI, "emails": emails("Ari@Example.com"), "phones": phones("+16502530000")})
    counts = row_counts()
    revision = Contact.objects.get(pk=first.contact_id).revision
    again = submit({
        "name": {"first": "ari"},
        "emails": emails("  ARI@example.COM "),
        "phones": [{"phone": "(650) 253 0000", "countryCode": "US"}],
    })
    assert (again.contact_id, again.new_contact, again.matched_by) == (first.contact_id, False, "email")
    assert row_counts() == {**counts, "Submission": counts["Submission"] + 1}
    assert Contact.objects.get(pk=first.contact_id).revision == revision
    assert email_rows(first.contact_id) == [("Ari@Example.com", True)]  # stored as first given
    assert ledger(again).written == []


# --- several matching contacts ------------------------------------------------------------


@pytest.fixture
def two_people() -> dict[str, Contact]:
    """Contact "a" has a@example.com and +16502530000; contact "b" has b@example.com and +442079460958."""
    return {
        "a": existing_contact({"emails": emails("a@example.com"), "phones": phones("+16502530000")}),
        "b": existing_contact({"emails": emails("b@example.com"), "phones": phones("+442079460958")}),
    }


def duplicate_pairs() -> set[tuple[uuid.UUID, uuid.UUID]]:
    return set(PossibleDuplicate.objects.values_list("contact_a_id", "contact_b_id"))


def pair(x: Contact, y: Contact) -> tuple[uuid.UUID, uuid.UUID]:
    return (min(x.id, y.id), max(x.id, y.id))


@pytest.mark.parametrize(
    ("info", "winner", "matched_by"),
    [
        ({"emails": emails("b@example.com", "a@example.com")}, "b", "email"),
        ({"emails": emails("a@example.com"), "phones": phones("+442079460958")}, "a", "email"),
        ({"emails": emails("nobody@example.com", "b@example.com"), "phones": phones("+16502530000")}, "b", "email"),
        ({"phones": phones("+442079460958", "+16502530000")}, "b", "phone"),
        ({"emails": emails("nobody@example.com"), "phones": phones("+16502530000", "+442079460958")}, "a", "phone"),
    ],
)
def test_the_first_given_email_else_the_first_given_phone_wins(
    two_people: dict[str, Contact], info: dict[str, Any], winner: str, matched_by: str
) -> None:
    loser = "a" if winner == "b" else "b"
    result = submit(info, visitor=new_visitor())
    assert (result.contact_id, result.matched_by, result.identity_type) == (
        two_people[winner].id, matched_by, IdentityType.CONTACT)
    assert duplicate_pairs() == {pair(two_people["a"], two_people["b"])}
    assert PossibleDuplicate.objects.get().submission_id == result.submission_id
    # no merge: the other contact exists and keeps its own email and phone
    assert Contact.objects.count() == 2
    assert email_rows(two_people[loser].id) == [(f"{loser}@example.com", True)]
    assert len(phone_rows(two_people[loser].id)) == 1
    assert "belongs_to_other_contact" in reasons(ledger(result)).values()


def test_the_winner_is_the_same_on_every_call_and_the_pair_is_recorded_once(two_people: dict[str, Contact]) -> None:
    info = {"emails": emails("b@example.com"), "phones": phones("+16502530000")}
    winners = {submit(info).contact_id for _ in range(3)}
    assert winners == {two_people["b"].id}
    assert PossibleDuplicate.objects.count() == 1


def test_two_emails_of_one_contact_record_no_duplicate() -> None:
    ari = existing_contact(
        {"emails": emails("ari@example.com", "ari.work@example.com"), "phones": phones("+16502530000")}
    )
    result = submit({"emails": emails("ari.work@example.com", "ari@example.com"), "phones": phones("+16502530000")})
    assert result.contact_id == ari.id
    assert not PossibleDuplicate.objects.exists()


def test_a_members_email_matched_with_another_contacts_phone_is_still_reported_to_staff() -> None:
    member = signup("mia@example.com")
    other = existing_contact({"phones": phones("+442079460958")})
    result = submit({"emails": emails("mia@example.com"), "phones": phones("+442079460958")})
    assert (result.contact_id, result.identity_type) == (member.contact_id, IdentityType.NOT_AUTHENTICATED_MEMBER)
    assert duplicate_pairs() == {pair(member.contact, other)}


# --- limits ---------------------------------------------------------------------------------


def contact_with_phones(count: int) -> Contact:
    contact = existing_contact({"emails": emails("full@example.com")})
    Phone.objects.bulk_create(
        Phone(contact=contact, phone=f"+1650253{i:04d}", key=f"+1650253{i:04d}", primary=i == 0,
              created_at=timezone.now())
        for i in range(count)
    )
    return contact


def test_a_contact_with_50_phones_skips_the_next_one_and_records_why() -> None:
    contact = contact_with_phones(50)
    revision = Contact.objects.get(pk=contact.id).revision
    result = submit({"emails": emails("full@example.com"), "phones": phones("+442079460958")})
    assert result.contact_id == contact.id
    assert Phone.objects.filter(contact=contact).count() == 50
    assert not Phone.objects.filter(key="+442079460958").exists()
    assert reasons(ledger(result))[("phones", "+442079460958")] == "contact_limit_reached"
    assert Contact.objects.get(pk=contact.id).revision == revision


def test_appends_fill_a_contact_up_to_50_phones() -> None:
    contact = contact_with_phones(49)
    result = submit({"emails": emails("full@example.com"), "phones": phones("+442079460958", "+4915112345678")})
    assert Phone.objects.filter(contact=contact).count() == 50
    assert written_fields(ledger(result)) == [("phones", "+442079460958")]
    assert reasons(ledger(result)) == {
        ("emails", "full@example.com"): "already_on_contact",
        ("phones", "+4915112345678"): "contact_limit_reached",
    }


# --- labels and extended fields (§11) ---------------------------------------------------------


def test_labels_and_extended_fields_are_written_then_appended_or_kept(vip: Label, budget: ExtendedField) -> None:
    news = Label.objects.create(key="custom.newsletter", display_name="Newsletter")
    first = submit({**ARI, "emails": emails("ari@example.com"), "labelKeys": ["custom.vip"],
                    "extendedFields": {"custom.budget": 1000}})
    contact = Contact.objects.get(pk=first.contact_id)
    assert label_keys(contact.id) == {"custom.vip"}
    assert contact.extended_fields == {"custom.budget": 1000.0}

    again = submit({"emails": emails("ari@example.com"), "labelKeys": ["custom.vip", news.key],
                    "extendedFields": {"custom.budget": 99}})
    assert again.contact_id == contact.id
    assert label_keys(contact.id) == {"custom.vip", "custom.newsletter"}
    assert Contact.objects.get(pk=contact.id).extended_fields == {"custom.budget": 1000.0}
    assert written_fields(ledger(again)) == [("labelKeys", "custom.newsletter")]
    assert reasons(ledger(again)) == {
        ("emails", "ari@example.com"): "already_on_contact",
        ("labelKeys", "custom.vip"): "already_on_contact",
        ("extendedFields.custom.budget", 99.0): "field_not_empty",
    }


@pytest.mark.parametrize(
    ("extra", "error_key"),
    [
        ({"labelKeys": ["custom.vip", "custom.unknown"]}, "labelKeys"),
        ({"extendedFields": {"custom.budget": "a lot"}}, "extendedFields"),
        ({"extendedFields": {"custom.budget": True}}, "extendedFields"),
        ({"extendedFields": {"custom.unknown": "x"}}, "extendedFields"),
        ({"labelKeys": ["custom.vip"], "extendedFields": {"custom.budget": 1, "custom.unknown": 1}}, "extendedFields"),
    ],
)
@BOTH_ORDERS
def test_unknown_references_or_wrong_types_are_refused_and_write_nothing(
    vip: Label, budget: ExtendedField, extra: dict[str, Any], error_key: str, order: StepOrder
) -> None:
    visitor, contact = linked_visitor({"emails": emails("ari@example.com")})
    before = row_counts(), contact_state(contact.id)
    for info in (
        {"emails": emails("ari@example.com"), "phones": phones("+16502530000"), **extra},  # would append
        {**ARI, "emails": emails("new@example.com"), **extra},  # would create
    ):
        with pytest.raises(ValidationError) as info_error:
            submit(info, visitor=visitor, order=order)
        assert error_key in info_error.value.message_dict
    assert (row_counts(), contact_state(contact.id)) == before


def test_an_invalid_phone_or_email_is_refused_before_anything_is_written() -> None:
    before = row_counts()
    with pytest.raises(ValidationError):
        submit({**ARI, "phones": [{"phone": "call me 6502530000", "countryCode": "US"}]})
    with pytest.raises(ValidationError):
        submit({**ARI, "emails": emails("Ari <ari@example.com>")})
    assert row_counts() == before


# --- visitor links (§2) -------------------------------------------------------------------


def test_linking_a_visitor_to_another_contact_closes_the_old_link() -> None:
    t1 = timezone.now()
    t2, t3 = t1 + datetime.timedelta(minutes=5), t1 + datetime.timedelta(minutes=10)
    bob = existing_contact({"emails": emails("bob@example.com")})
    visitor = new_visitor()
    ari_id = submit({"emails": emails("ari@example.com")}, visitor=visitor, now=t1).contact_id
    submit({"emails": emails("bob@example.com")}, visitor=visitor, now=t2)
    submit({"emails": emails("bob@example.com")}, visitor=visitor, now=t3)  # same contact: no new link

    links = list(VisitorLink.objects.filter(visitor_id=visitor.id).order_by("linked_at")
                 .values_list("contact_id", "linked_at", "unlinked_at"))
    assert links == [(ari_id, t1, t2), (bob.id, t2, None)]
    session = VisitorSession.objects.get(pk=visitor.id)
    assert (session.contact_id, session.last_seen) == (bob.id, t3)


def test_another_visitors_link_is_not_touched() -> None:
    visitor, ari = linked_visitor({"emails": emails("ari@example.com")})
    other_visitor = new_visitor()
    submit({"emails": emails("ari@example.com")}, visitor=other_visitor)
    submit({"emails": emails("bob@example.com")}, visitor=other_visitor)
    assert current_link(visitor) == ari.id
    assert VisitorLink.objects.get(visitor_id=visitor.id).unlinked_at is None


def test_a_call_without_a_visitor_links_nothing() -> None:
    result = submit(ARI)
    assert not VisitorSession.objects.exists() and not VisitorLink.objects.exists()
    assert ledger(result).visitor_id is None


# --- revision and updated_at -----------------------------------------------------------------


def test_revision_goes_up_by_exactly_one_per_call_that_writes() -> None:
    t1 = timezone.now()
    t2, t3 = t1 + datetime.timedelta(minutes=1), t1 + datetime.timedelta(minutes=2)
    contact_id = submit({"emails": emails("ari@example.com")}, now=t1).contact_id
    submit({**ARI, "company": "Acme", "emails": emails("ari@example.com", "ari.work@example.com"),
            "phones": phones("+16502530000", "+442079460958")}, now=t2)
    contact = Contact.objects.get(pk=contact_id)
    assert (contact.revision, contact.updated_at) == (2, t2)

    submit({**ARI, "emails": emails("ARI@example.com")}, now=t3)  # nothing new
    contact.refresh_from_db()
    assert (contact.revision, contact.updated_at) == (2, t2)


def test_a_label_alone_counts_as_a_write(vip: Label) -> None:
    contact_id = submit({"emails": emails("ari@example.com")}).contact_id
    submit({"emails": emails("ari@example.com"), "labelKeys": ["custom.vip"]})
    assert Contact.objects.get(pk=contact_id).revision == 2


# --- the ledger (§12) ------------------------------------------------------------------------


def test_every_call_stores_one_submission_with_what_happened() -> None:
    visitor = new_visitor()
    now = timezone.now()
    info = {**ARI, "emails": emails("ari@example.com")}
    created = submit(info, visitor=visitor, channel=Channel.FORM, now=now, message="Hello there")
    row = ledger(created)
    assert (row.channel, row.step_order, row.identity_type, row.matched_by, row.new_contact) == (
        "form", "frontend", "CONTACT", "created", True)
    assert (row.contact_id, row.visitor_id, row.user_id, row.created_at, row.message) == (
        created.contact_id, visitor.id, None, now, "Hello there")
    assert row.payload == info
    assert written_fields(row) == [("name.first", "Ari"), ("name.last", "Thereyet"), ("emails", "ari@example.com")]
    assert row.skipped == []

    appended = submit({"emails": emails("ari@example.com"), "phones": phones("+16502530000")},
                      channel=Channel.IMPORT, order=StepOrder.BACKEND)
    row = ledger(appended)
    assert (row.channel, row.step_order, row.matched_by, row.new_contact, row.contact_id) == (
        "import", "backend", "email", False, created.contact_id)
    assert row.written == [{"field": "phones", "value": "+16502530000"}]
    assert row.skipped == [{"field": "emails", "value": "ari@example.com", "reason": "already_on_contact"}]
    assert Submission.objects.filter(contact_id=created.contact_id).count() == 2


def test_a_dated_payload_is_stored_as_json() -> None:
    result = submit({**ARI, "birthdate": datetime.date(1990, 5, 17)})
    assert ledger(result).payload["birthdate"] == "1990-05-17"


def test_a_members_submission_records_the_user() -> None:
    member = signup("mia@example.com")
    row = ledger(submit({"company": "Acme"}, actor=member.user, channel=Channel.FORM))
    assert (row.user_id, row.identity_type, row.matched_by) == (member.user_id, "MEMBER", "member")


# --- member signup (§3) -------------------------------------------------------------------------


def test_signup_creates_a_member_with_a_new_contact() -> None:
    member = signup("Mia@Example.com", first="Mia", last="Member")
    contact = member.contact
    assert (contact.first_name, contact.last_name) == ("Mia", "Member")
    assert email_rows(contact.id) == [("Mia@Example.com", True)]
    assert member.user.username == "mia@example.com"
    row = Submission.objects.get(contact=contact)
    assert (row.channel, row.step_order, row.new_contact) == ("signup", "backend", True)


def test_signup_claims_an_existing_non_member_contact_and_makes_the_login_email_primary() -> None:
    old = existing_contact({"name": {"first": "Mia"}, "emails": emails("mia.old@example.com", "mia@example.com")})
    assert email_rows(old.id) == [("mia.old@example.com", True), ("mia@example.com", False)]
    member = signup("MIA@example.com", first="Maria", last="Member")
    assert member.contact_id == old.id
    assert Contact.objects.count() == 1
    assert email_rows(old.id) == [("mia.old@example.com", False), ("mia@example.com", True)]
    old.refresh_from_db()
    assert (old.first_name, old.last_name) == ("Mia", "Member")  # filled, not overwritten


def test_signup_from_a_shared_browser_does_not_claim_the_visitors_contact() -> None:
    visitor, someone = linked_visitor({**ARI, "emails": emails("ari@example.com")})
    member = signup("mia@example.com", visitor=visitor)
    assert member.contact_id != someone.id
    assert email_rows(someone.id) == [("ari@example.com", True)]
    assert current_link(visitor) == member.contact_id


def test_signup_with_an_email_of_a_members_contact_is_refused_and_writes_nothing() -> None:
    signup("mia@example.com")
    before = row_counts(), get_user_model().objects.count(), Member.objects.count()
    with pytest.raises(ValidationError) as error:
        signup("  MIA@example.com", first="Other")
    assert "email" in error.value.message_dict
    assert (row_counts(), get_user_model().objects.count(), Member.objects.count()) == before
