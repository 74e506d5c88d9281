"""The append rules as a pure function (decisions.md §7-§10): what a reconcile writes on a
contact and what it skips, and why. No database: a contact is described by a snapshot."""

import datetime
import uuid
from typing import Any

from contacts import limits
from contacts.normalize import address_key, normalize_email, normalize_phone
from contacts.payload import contact_payload_from_info
from contacts.reconcile.plan import (
    ALREADY_ON_CONTACT,
    BELONGS_TO_OTHER_CONTACT,
    CONTACT_LIMIT,
    DUPLICATE_IN_REQUEST,
    FIELD_NOT_EMPTY,
    NOT_AUTHENTICATED_MEMBER,
    PRIMARY_KEPT,
    AppendPlan,
    ContactSnapshot,
    plan_append,
    plan_nothing,
)

THIS = uuid.uuid4()
OTHER = uuid.uuid4()


def email_key(address: str) -> str:
    return normalize_email(address).key


def phone_key(phone: str, country: str | None = None) -> str:
    return normalize_phone(phone, country).key


def street(line1: str, city: str = "Springfield", country: str = "US") -> dict[str, Any]:
    return {"address": {"addressLine1": line1, "city": city, "country": country}}


def street_key(line1: str, city: str = "Springfield", country: str = "US") -> str:
    return address_key((line1, "", "", "", city, "", country, ""))


def plan(
    info: dict[str, Any],
    snapshot: ContactSnapshot | None = None,
    *,
    extended: dict[str, Any] | None = None,
    owners: dict[str, uuid.UUID] | None = None,
) -> AppendPlan:
    return plan_append(
        snapshot or ContactSnapshot(),
        contact_payload_from_info(info),
        extended_values=extended or {},
        owners=owners or {},
        contact_id=THIS,
    )


def written(result: AppendPlan) -> list[tuple[str, Any]]:
    return [(c.field, c.value) for c in result.written]


def skipped(result: AppendPlan) -> list[tuple[str, Any, str]]:
    return [(c.field, c.value, c.reason) for c in result.skipped]


def appended_emails(result: AppendPlan) -> list[tuple[str, bool]]:
    return [(e.email, primary) for e, primary in result.emails]


def appended_phones(result: AppendPlan) -> list[tuple[str, bool]]:
    return [(p.phone, primary) for p, primary in result.phones]


# --- scalars: fill only what is empty ----------------------------------------------------


def test_a_new_contact_gets_every_given_scalar() -> None:
    result = plan(
        {
            "name": {"first": "Ari", "last": "Thereyet"},
            "company": "Acme",
            "jobTitle": "Buyer",
            "birthdate": datetime.date(1990, 5, 17),
            "locale": "en-us",
            "picture": "https://example.com/ari.png",
        }
    )
    assert result.scalars == {
        "first_name": "Ari",
        "last_name": "Thereyet",
        "company": "Acme",
        "job_title": "Buyer",
        "birthdate": datetime.date(1990, 5, 17),
        "locale": "en-us",
        "picture": "https://example.com/ari.png",
    }
    assert ("birthdate", "1990-05-17") in written(result)  # the ledger holds JSON
    assert result.skipped == ()
    assert result.changes_contact


def test_empty_scalar_is_filled_and_a_different_value_is_never_overwritten() -> None:
    snapshot = ContactSnapshot(scalars={"first_name": "Ari", "last_name": "", "company": None})
    result = plan({"name": {"first": "Bob", "last": "Thereyet"}, "company": "Acme"}, snapshot)
    assert result.scalars == {"last_name": "Thereyet", "company": "Acme"}
    assert written(result) == [("name.last", "Thereyet"), ("company", "Acme")]
    assert skipped(result) == [("name.first", "Bob", FIELD_NOT_EMPTY)]


def test_the_same_value_again_is_already_on_contact_not_a_conflict() -> None:
    snapshot = ContactSnapshot(scalars={"first_name": "Ari", "birthdate": datetime.date(1990, 5, 17)})
    result = plan({"name": {"first": "Ari"}, "birthdate": datetime.date(1990, 5, 17)}, snapshot)
    assert result.scalars == {}
    assert skipped(result) == [
        ("name.first", "Ari", ALREADY_ON_CONTACT),
        ("birthdate", "1990-05-17", ALREADY_ON_CONTACT),
    ]
    assert not result.changes_contact


def test_blank_scalars_in_the_request_are_ignored() -> None:
    snapshot = ContactSnapshot(scalars={"first_name": "Ari", "company": "Acme"})
    result = plan({"name": {"first": "  ", "last": ""}, "company": "", "emails": []}, snapshot)
    assert result.written == () and result.skipped == ()


def test_extended_fields_are_filled_per_key_only_when_empty() -> None:
    snapshot = ContactSnapshot(extended={"custom.budget": 1000.0, "custom.size": 3.0})
    result = plan(
        {},
        snapshot,
        extended={"custom.budget": 2000.0, "custom.size": 3.0, "custom.color": "blue"},
    )
    assert result.extended == {"custom.color": "blue"}
    assert written(result) == [("extendedFields.custom.color", "blue")]
    assert skipped(result) == [
        ("extendedFields.custom.budget", 2000.0, FIELD_NOT_EMPTY),
        ("extendedFields.custom.size", 3.0, ALREADY_ON_CONTACT),
    ]


# --- arrays: append what is new ----------------------------------------------------------


def test_new_emails_phones_and_addresses_are_appended_after_existing_ones() -> None:
    snapshot = ContactSnapshot(
        email_keys=frozenset({email_key("ari@example.com")}),
        phone_keys=frozenset({phone_key("+16502530000")}),
        address_keys=frozenset({street_key("1 Main St")}),
        has_primary_email=True,
        has_primary_phone=True,
    )
    result = plan(
        {
            "emails": [{"email": "ari@example.com"}, {"email": "ari.work@example.com"}],
            "phones": [{"phone": "+16502530000"}, {"phone": "+442079460958"}],
            "addresses": [street("1 Main St"), street("2 High St", "London", "GB")],
        },
        snapshot,
    )
    assert appended_emails(result) == [("ari.work@example.com", False)]
    assert appended_phones(result) == [("+442079460958", False)]
    assert [a.address_line1 for a in result.addresses] == ["2 High St"]
    assert written(result) == [
        ("emails", "ari.work@example.com"),
        ("phones", "+442079460958"),
        ("addresses", "2 High St, London, GB"),
    ]
    assert skipped(result) == [
        ("emails", "ari@example.com", ALREADY_ON_CONTACT),
        ("phones", "+16502530000", ALREADY_ON_CONTACT),
        ("addresses", "1 Main St, Springfield, US", ALREADY_ON_CONTACT),
    ]


def test_an_email_or_phone_on_the_contact_in_another_spelling_is_already_on_contact() -> None:
    snapshot = ContactSnapshot(
        email_keys=frozenset({email_key("ari@example.com")}),
        phone_keys=frozenset({phone_key("+16502530000")}),
        address_keys=frozenset({street_key("1 Main St")}),
    )
    result = plan(
        {
            "emails": [{"email": "ARI@Example.Com"}],
            "phones": [{"phone": "(650) 253 0000", "countryCode": "US"}],
            "addresses": [street(" 1  MAIN st", "springfield", "us")],
        },
        snapshot,
    )
    assert result.emails == () and result.phones == () and result.addresses == ()
    assert {reason for _, _, reason in skipped(result)} == {ALREADY_ON_CONTACT}
    assert not result.changes_contact


def test_duplicates_inside_one_request_are_appended_once() -> None:
    result = plan(
        {
            "emails": [{"email": "ari@example.com"}, {"email": "ARI@example.com"}],
            "phones": [{"phone": "+16502530000"}, {"phone": "650-253-0000", "countryCode": "US"}],
            "addresses": [street("1 Main St"), street("1 main st")],
        }
    )
    assert appended_emails(result) == [("ari@example.com", True)]
    assert appended_phones(result) == [("+16502530000", True)]
    assert len(result.addresses) == 1
    assert skipped(result) == [
        ("emails", "ARI@example.com", DUPLICATE_IN_REQUEST),
        ("phones", "650-253-0000", DUPLICATE_IN_REQUEST),
        ("addresses", "1 main st, Springfield, US", DUPLICATE_IN_REQUEST),
    ]


def test_an_email_or_phone_owned_by_another_contact_is_skipped_never_moved() -> None:
    owners = {email_key("bob@example.com"): OTHER, phone_key("+442079460958"): OTHER}
    result = plan(
        {
            "emails": [{"email": "bob@example.com"}, {"email": "ari@example.com"}],
            "phones": [{"phone": "+442079460958"}],
        },
        owners=owners,
    )
    assert appended_emails(result) == [("ari@example.com", True)]
    assert result.phones == ()
    assert skipped(result) == [
        ("emails", "bob@example.com", BELONGS_TO_OTHER_CONTACT),
        ("phones", "+442079460958", BELONGS_TO_OTHER_CONTACT),
    ]


def test_an_owner_entry_for_this_contact_does_not_block_the_append() -> None:
    result = plan({"emails": [{"email": "ari@example.com"}]}, owners={email_key("ari@example.com"): THIS})
    assert appended_emails(result) == [("ari@example.com", True)]


# --- the 50-item contact limit ----------------------------------------------------------


def full_of(count: int, kind: str) -> ContactSnapshot:
    """A contact holding `count` emails, phones or addresses (keys are opaque to the plan)."""
    keys = frozenset(f"{kind}-{i}" for i in range(count))
    if kind == "email":
        return ContactSnapshot(email_keys=keys, has_primary_email=True)
    if kind == "phone":
        return ContactSnapshot(phone_keys=keys, has_primary_phone=True)
    return ContactSnapshot(address_keys=keys)


def test_a_contact_with_50_phones_gets_no_more_and_the_skip_is_recorded() -> None:
    result = plan({"phones": [{"phone": "+442079460958"}]}, full_of(limits.MAX_ITEMS, "phone"))
    assert result.phones == ()
    assert skipped(result) == [("phones", "+442079460958", CONTACT_LIMIT)]
    assert not result.changes_contact


def test_appends_stop_exactly_at_the_limit() -> None:
    result = plan(
        {"emails": [{"email": "a@example.com"}, {"email": "b@example.com"}, {"email": "c@example.com"}]},
        full_of(limits.MAX_ITEMS - 1, "email"),
    )
    assert appended_emails(result) == [("a@example.com", False)]
    assert skipped(result) == [
        ("emails", "b@example.com", CONTACT_LIMIT),
        ("emails", "c@example.com", CONTACT_LIMIT),
    ]


def test_addresses_have_the_same_contact_limit() -> None:
    result = plan({"addresses": [street("2 High St")]}, full_of(limits.MAX_ITEMS, "address"))
    assert result.addresses == ()
    assert skipped(result) == [("addresses", "2 High St, Springfield, US", CONTACT_LIMIT)]


def test_at_the_limit_an_item_already_present_keeps_its_own_reason() -> None:
    snapshot = ContactSnapshot(
        phone_keys=frozenset({phone_key("+16502530000")} | {f"phone-{i}" for i in range(limits.MAX_ITEMS - 1)}),
        has_primary_phone=True,
    )
    result = plan({"phones": [{"phone": "650-253-0000", "countryCode": "US"}]}, snapshot)
    assert skipped(result) == [("phones", "650-253-0000", ALREADY_ON_CONTACT)]


def test_a_new_contact_takes_at_most_50_items_from_one_request() -> None:
    emails = [{"email": f"ari{i}@example.com"} for i in range(limits.MAX_ITEMS + 1)]
    result = plan({"emails": emails})
    assert len(result.emails) == limits.MAX_ITEMS
    assert skipped(result) == [("emails", f"ari{limits.MAX_ITEMS}@example.com", CONTACT_LIMIT)]


# --- primary (§9) -----------------------------------------------------------------------


def test_without_a_primary_the_first_appended_email_and_phone_become_primary() -> None:
    result = plan(
        {
            "emails": [{"email": "ari@example.com"}, {"email": "ari.work@example.com"}],
            "phones": [{"phone": "+16502530000"}, {"phone": "+442079460958"}],
        }
    )
    assert appended_emails(result) == [("ari@example.com", True), ("ari.work@example.com", False)]
    assert appended_phones(result) == [("+16502530000", True), ("+442079460958", False)]


def test_without_a_primary_the_item_flagged_primary_becomes_primary() -> None:
    result = plan({"emails": [{"email": "ari@example.com"}, {"email": "ari.work@example.com", "primary": True}]})
    assert appended_emails(result) == [("ari@example.com", False), ("ari.work@example.com", True)]


def test_a_skipped_first_item_does_not_take_primary_from_the_first_appended_one() -> None:
    result = plan(
        {"emails": [{"email": "bob@example.com", "primary": True}, {"email": "ari@example.com"}]},
        owners={email_key("bob@example.com"): OTHER},
    )
    assert appended_emails(result) == [("ari@example.com", True)]


def test_an_existing_primary_is_kept_and_a_requested_primary_is_recorded_as_skipped() -> None:
    snapshot = ContactSnapshot(
        email_keys=frozenset({email_key("ari@example.com")}),
        phone_keys=frozenset({phone_key("+16502530000")}),
        has_primary_email=True,
        has_primary_phone=True,
    )
    result = plan(
        {
            "emails": [{"email": "ari.work@example.com", "primary": True}],
            "phones": [{"phone": "+442079460958", "primary": True}, {"phone": "+4915112345678"}],
        },
        snapshot,
    )
    assert appended_emails(result) == [("ari.work@example.com", False)]
    assert appended_phones(result) == [("+442079460958", False), ("+4915112345678", False)]
    assert ("emails.primary", "ari.work@example.com", PRIMARY_KEPT) in skipped(result)
    assert ("phones.primary", "+442079460958", PRIMARY_KEPT) in skipped(result)


def test_at_most_one_primary_even_when_several_are_flagged() -> None:
    result = plan(
        {"phones": [{"phone": "+16502530000", "primary": True}, {"phone": "+442079460958", "primary": True}]}
    )
    assert appended_phones(result) == [("+16502530000", True), ("+442079460958", False)]


# --- labels -----------------------------------------------------------------------------


def test_new_labels_are_added_and_present_ones_skipped() -> None:
    snapshot = ContactSnapshot(label_keys=frozenset({"custom.vip"}))
    result = plan({"labelKeys": ["custom.vip", "custom.newsletter", "custom.newsletter"]}, snapshot)
    assert result.label_keys == ("custom.newsletter",)
    assert written(result) == [("labelKeys", "custom.newsletter")]
    assert skipped(result) == [("labelKeys", "custom.vip", ALREADY_ON_CONTACT)]


# --- nothing new, and the not-authenticated-member plan ---------------------------------


def test_a_resubmission_of_what_is_there_writes_nothing() -> None:
    snapshot = ContactSnapshot(
        scalars={"first_name": "Ari", "last_name": "Thereyet"},
        email_keys=frozenset({email_key("ari@example.com")}),
        label_keys=frozenset({"custom.vip"}),
        has_primary_email=True,
    )
    result = plan(
        {"name": {"first": "Ari", "last": "Thereyet"}, "emails": [{"email": "Ari@example.com"}],
         "labelKeys": ["custom.vip"]},
        snapshot,
    )
    assert result.written == ()
    assert not result.changes_contact
    assert len(result.skipped) == 4


def test_plan_nothing_skips_every_given_value_for_one_reason() -> None:
    payload = contact_payload_from_info(
        {
            "name": {"first": "Ari"},
            "company": "Acme",
            "emails": [{"email": "ari@example.com"}],
            "phones": [{"phone": "+16502530000"}],
            "addresses": [street("1 Main St")],
            "labelKeys": ["custom.vip"],
            "extendedFields": {"custom.budget": 10},
        }
    )
    result = plan_nothing(payload, NOT_AUTHENTICATED_MEMBER)
    assert result.written == ()
    assert not result.changes_contact
    assert (result.emails, result.phones, result.addresses, result.label_keys) == ((), (), (), ())
    assert result.scalars == {} and result.extended == {}
    assert skipped(result) == [
        ("name.first", "Ari", NOT_AUTHENTICATED_MEMBER),
        ("company", "Acme", NOT_AUTHENTICATED_MEMBER),
        ("extendedFields.custom.budget", 10, NOT_AUTHENTICATED_MEMBER),
        ("emails", "ari@example.com", NOT_AUTHENTICATED_MEMBER),
        ("phones", "+16502530000", NOT_AUTHENTICATED_MEMBER),
        ("addresses", "1 Main St, Springfield, US", NOT_AUTHENTICATED_MEMBER),
        ("labelKeys", "custom.vip", NOT_AUTHENTICATED_MEMBER),
    ]
