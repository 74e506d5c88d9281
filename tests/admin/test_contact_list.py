"""The admin contact list: normalised search, filters, columns, and a constant, count-free
number of queries per page (the list must stay fast at a million contacts; see
benchmarks/admin_scale.py for the timings)."""

import datetime
import uuid
from typing import Any

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from contacts.admin.paginator import EstimatedCountPaginator
from contacts.admin.search import name_prefix_q
from contacts.models import Contact, ContactLabel, Email, Label, Phone, PossibleDuplicate, VisitorSession
from contacts.normalize import normalize_email, normalize_phone
from members.models import Member
from tests.helpers import FAST_PASSWORD_HASHERS

pytestmark = pytest.mark.django_db

URL = "/admin/contacts/contact/"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


@pytest.fixture
def staff(django_user_model: Any) -> Client:
    user = django_user_model.objects.create_superuser("staff", "staff@example.com", "a-Long-unusual-pass-42")
    client = Client()
    client.force_login(user)
    return client


def make_contact(
    now: datetime.datetime,
    first: str = "",
    last: str = "",
    *,
    company: str = "",
    emails: tuple[str, ...] = (),
    phones: tuple[str, ...] = (),
    labels: tuple[Label, ...] = (),
    visitors: int = 0,
    source_type: str = "OTHER",
    created_at: datetime.datetime | None = None,
    merged_into: Contact | None = None,
) -> Contact:
    created = created_at or now
    contact = Contact.objects.create(
        first_name=first, last_name=last, company=company, source_type=source_type, created_at=created,
        updated_at=created, last_activity_type="FORM_SUBMITTED", last_activity_at=created, merged_into=merged_into,
    )
    for i, raw in enumerate(emails):
        Email.objects.create(contact=contact, email=raw, key=normalize_email(raw).key, primary=i == 0, created_at=now)
    for i, raw in enumerate(phones):
        normalized = normalize_phone(raw)
        Phone.objects.create(contact=contact, phone=raw, e164=normalized.e164, key=normalized.key, primary=i == 0,
                             created_at=now)
    for label in labels:
        ContactLabel.objects.create(contact=contact, label=label, created_at=now)
    for _ in range(visitors):
        VisitorSession.objects.create(id=uuid.uuid4(), contact=contact, first_seen=now, last_seen=now)
    return contact


def change_url(contact: Contact) -> str:
    return f"{URL}{contact.pk}/change/"


def listed(client: Client, params: dict[str, Any] | None = None) -> str:
    response = client.get(URL, params or {})
    assert response.status_code == 200, response
    return response.content.decode()


def assert_lists(html: str, shown: list[Contact], hidden: list[Contact]) -> None:
    for contact in shown:
        assert change_url(contact) in html, f"{contact} should be listed"
    for contact in hidden:
        assert change_url(contact) not in html, f"{contact} should not be listed"


@pytest.fixture
def people(now: datetime.datetime, django_user_model: Any) -> dict[str, Any]:
    vip = Label.objects.create(key="custom.vip", display_name="VIP")
    lead = Label.objects.create(key="custom.lead", display_name="Lead")
    ari = make_contact(now, "Ari", "Thereyet", emails=("Ari@Example.com", "ari.work@example.com"),
                       phones=("+16502530000",), labels=(vip, lead), visitors=3,
                       created_at=now - datetime.timedelta(days=400))
    bo = make_contact(now, "Bo", "Diddley", company="Acme Rockets", emails=("bo@example.com",),
                      phones=("+442079460958",), source_type="IMPORT")
    mia = make_contact(now, "Mia", "Wallace", emails=("mia@example.com",))
    merged = make_contact(now, "Ari", "Merged", emails=("ari.old@example.com",), merged_into=ari)
    user = django_user_model.objects.create_user("mia", "mia@example.com", "a-Long-unusual-pass-42")
    Member.objects.create(user=user, contact=mia, signup_date=now)
    low, high = sorted([ari, bo], key=lambda c: c.pk)
    PossibleDuplicate.objects.create(contact_a=low, contact_b=high, reason="email", created_at=now)
    m_low, m_high = sorted([mia, merged], key=lambda c: c.pk)
    PossibleDuplicate.objects.create(contact_a=m_low, contact_b=m_high, reason="phone", created_at=now,
                                     dismissed_at=now)
    return {"ari": ari, "bo": bo, "mia": mia, "merged": merged, "vip": vip, "lead": lead}


# Search ---------------------------------------------------------------------------------

@pytest.mark.parametrize("term", ["ARI@Example.com", " ari@example.COM ", "ARI.WORK@EXAMPLE.COM"])
def test_search_finds_an_email_typed_in_another_case(staff, people, term):
    html = listed(staff, {"q": term})

    assert_lists(html, [people["ari"]], [people["bo"], people["mia"]])


@pytest.mark.parametrize("term", ["+1 650 253 0000", "(650) 253-0000", "650.253.0000", "+16502530000"])
def test_search_finds_a_phone_typed_in_another_format(staff, people, term):
    html = listed(staff, {"q": term})

    assert_lists(html, [people["ari"]], [people["bo"], people["mia"]])


def test_search_reads_a_phone_without_plus_in_the_default_region(staff, people, settings):
    settings.CRM_DEFAULT_PHONE_REGION = "GB"

    assert_lists(listed(staff, {"q": "020 7946 0958"}), [people["bo"]], [people["ari"]])
    assert_lists(listed(staff, {"q": "(650) 253-0000"}), [], [people["ari"]])


@pytest.mark.parametrize(("term", "who"), [
    ("ar", "ari"), ("THERE", "ari"), ("diddl", "bo"), ("acme", "bo"), ("Acme Rock", "bo"), ("ari there", "ari"),
])
def test_search_finds_a_name_or_company_prefix_in_any_case(staff, people, term, who):
    html = listed(staff, {"q": term})

    others = [c for name, c in people.items() if name in {"ari", "bo", "mia"} and name != who]
    assert_lists(html, [people[who]], others)


@pytest.mark.parametrize("term", ["reyet", "example.com", "253", "ari bo", "100%", "_"])
def test_search_is_not_a_substring_search(staff, people, term):
    html = listed(staff, {"q": term})

    assert_lists(html, [], [people["ari"], people["bo"], people["mia"]])


def test_search_by_contact_id(staff, people):
    assert_lists(listed(staff, {"q": str(people["bo"].pk)}), [people["bo"]], [people["ari"]])


def test_search_lists_each_contact_once(staff, people):
    html = listed(staff, {"q": "ari@example.com"})

    assert html.count(f'href="{change_url(people["ari"])}') == 1


# Filters --------------------------------------------------------------------------------

def test_merged_contacts_are_hidden_by_default(staff, people):
    html = listed(staff)

    assert_lists(html, [people["ari"], people["bo"], people["mia"]], [people["merged"]])


def test_merged_filter_shows_merged_contacts_on_demand(staff, people):
    assert_lists(listed(staff, {"merged": "yes"}), [people["merged"]], [people["ari"], people["bo"]])
    assert_lists(listed(staff, {"merged": "all"}), [people["merged"], people["ari"], people["bo"]], [])


def test_search_also_hides_merged_contacts_by_default(staff, people):
    assert_lists(listed(staff, {"q": "ari.old@example.com"}), [], [people["merged"]])
    assert_lists(listed(staff, {"q": "ari.old@example.com", "merged": "all"}), [people["merged"]], [])


def test_label_filter(staff, people):
    html = listed(staff, {"label": people["vip"].pk})

    assert_lists(html, [people["ari"]], [people["bo"], people["mia"]])
    assert html.count(f'href="{change_url(people["ari"])}') == 1  # two labels, listed once


def test_label_filter_refuses_a_bad_value(staff, people):
    response = staff.get(URL, {"label": "not-a-number"})

    assert response.status_code == 302
    assert "e=1" in response["Location"]


def test_source_filter(staff, people):
    assert_lists(listed(staff, {"source_type__exact": "IMPORT"}), [people["bo"]], [people["ari"], people["mia"]])


def test_member_filter(staff, people):
    assert_lists(listed(staff, {"member": "yes"}), [people["mia"]], [people["ari"], people["bo"]])
    assert_lists(listed(staff, {"member": "no"}), [people["ari"], people["bo"]], [people["mia"]])


def test_possible_duplicates_filter_counts_open_pairs_on_either_side(staff, people):
    # ari ~ bo is open; mia ~ merged was dismissed.
    assert_lists(listed(staff, {"duplicates": "yes"}), [people["ari"], people["bo"]], [people["mia"]])
    assert_lists(listed(staff, {"duplicates": "no"}), [people["mia"]], [people["ari"], people["bo"]])


def test_created_date_filter(staff, people, now):
    since = (now - datetime.timedelta(days=7)).replace(hour=0, minute=0, second=0, microsecond=0)

    html = listed(staff, {"created_at__gte": since.isoformat(), "created_at__lt": (now + datetime.timedelta(days=1)).isoformat()})

    assert_lists(html, [people["bo"], people["mia"]], [people["ari"]])


def test_filters_are_offered(staff, people):
    html = listed(staff)

    for title in ("By merged", "By label", "By source type", "By member", "By possible duplicates",
                  "By created at"):
        assert title in html
    assert "VIP" in html and "Lead" in html


# Columns --------------------------------------------------------------------------------

def _row(html: str, contact: Contact) -> str:
    start = html.index(f'href="{change_url(contact)}"')
    return html[html.rindex("<tr", 0, start):html.index("</tr>", start)]


def test_columns_are_rendered(staff, people):
    html = listed(staff)

    for header in ("name", "primary email", "primary phone", "labels", "member", "visitors", "last activity"):
        assert f">{header.capitalize()}<" in html or f">{header}<" in html.lower(), header
    ari = _row(html, people["ari"])
    assert f'name="_selected_action" value="{people["ari"].pk}" class="action-select"' in ari
    assert ">Ari Thereyet</a>" in ari
    assert "Ari@Example.com" in ari and "ari.work@example.com" not in ari  # the primary only
    assert "+16502530000" in ari
    assert "Lead, VIP" in ari
    assert 'class="field-visitor_count">3<' in ari
    assert "icon-no.svg" in ari
    assert "<small>Form Submitted</small>" in ari
    mia = _row(html, people["mia"])
    assert "icon-yes.svg" in mia
    assert 'class="field-visitor_count">0<' in mia


def test_a_contact_without_a_name_is_listed_by_company(staff, now):
    acme = make_contact(now, company="Acme Rockets")

    assert ">Acme Rockets</a>" in _row(listed(staff), acme)


def test_the_list_can_be_sorted_by_creation_and_last_activity(staff, people):
    for o in ("8", "-8", "7", "-7"):
        assert staff.get(URL, {"o": o}).status_code == 200


# Queries and counting -------------------------------------------------------------------

@pytest.fixture
def many(now: datetime.datetime) -> None:
    labels = [Label.objects.create(key=f"custom.l{i}", display_name=f"L{i}") for i in range(3)]
    for i in range(120):
        make_contact(now, f"First{i}", f"Last{i}", emails=(f"p{i}@example.com",), phones=(f"+1650253{i:04d}",),
                     labels=tuple(labels[: i % 4]), visitors=i % 3,
                     created_at=now - datetime.timedelta(minutes=i))


def _list_queries(client: Client, monkeypatch: Any, per_page: int, params: dict[str, str]) -> list[str]:
    monkeypatch.setattr(admin.site._registry[Contact], "list_per_page", per_page)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, params)
    assert response.status_code == 200
    assert response.content.decode().count('class="action-select"') == per_page
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("params", [
    {}, {"p": "2"}, {"q": "first"}, {"label": "all"}, {"member": "no", "duplicates": "no", "merged": "all"},
], ids=["list", "page-2", "search", "label", "filters"])
def test_queries_per_page_do_not_depend_on_the_page_size(staff, many, monkeypatch, params):
    if params.get("label") == "all":
        label = Label.objects.get(key="custom.l0")
        ContactLabel.objects.filter(label=label).delete()
        for contact in Contact.objects.all():
            ContactLabel.objects.create(contact=contact, label=label, created_at=contact.created_at)
        params = {"label": str(label.pk)}
    large_size = 50 if params.get("p") == "2" else 100  # 120 contacts: page 2 of 50 is full

    small = _list_queries(staff, monkeypatch, 10, params)
    large = _list_queries(staff, monkeypatch, large_size, params)

    assert len(small) == len(large), "\n".join(large)


def test_no_page_counts_more_than_the_exact_limit(staff, many, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "exact_limit", 25)
    monkeypatch.setattr(admin.site._registry[Contact], "list_per_page", 10)

    with CaptureQueriesContext(connection) as captured:
        first = listed(staff)
        second = listed(staff, {"p": "2"})

    counts = [q["sql"] for q in captured.captured_queries if "COUNT(*)" in q["sql"].upper()]
    assert counts, "the paginator counts (up to its limit)"
    assert all("LIMIT 26" in sql for sql in counts), counts
    newest = Contact.objects.order_by("-created_at")
    assert_lists(first, list(newest[:10]), list(newest[10:20]))
    assert_lists(second, list(newest[10:20]), list(newest[:10]))


def test_a_page_past_an_estimated_end_is_empty_not_an_error(staff, many, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "exact_limit", 25)
    monkeypatch.setattr(admin.site._registry[Contact], "list_per_page", 10)

    response = staff.get(URL, {"p": "100000"})

    assert response.status_code == 200
    assert 'class="action-select"' not in response.content.decode()


def test_a_small_result_is_counted_exactly(staff, people):
    assert "3 contacts" in listed(staff)


# Indexes (the plans the benchmark relies on) ----------------------------------------------

def _plan(queryset: Any, *, without: tuple[str, ...] = ("seqscan",)) -> str:
    with connection.cursor() as cursor:
        for plan_type in without:  # a tiny table would be scanned (and sorted) anyway
            cursor.execute(f"SET LOCAL enable_{plan_type} = off")
    return str(queryset.explain())


@pytest.mark.parametrize(("field", "index"), [
    ("first_name", "contact_first_name_prefix_idx"),
    ("last_name", "contact_last_name_prefix_idx"),
    ("company", "contact_company_prefix_idx"),
])
def test_name_prefix_search_can_use_its_index(people, field, index):
    plan = _plan(Contact.objects.filter(**{f"{field}__istartswith": "ar"}))

    assert index in plan


def test_the_whole_name_search_is_index_backed(people):
    plan = _plan(Contact.objects.filter(name_prefix_q("ari")))

    assert "Seq Scan" not in plan
    for index in ("contact_first_name_prefix_idx", "contact_last_name_prefix_idx", "contact_company_prefix_idx"):
        assert index in plan


def test_the_default_order_walks_the_created_index(people):
    queryset = Contact.objects.filter(merged_into__isnull=True).order_by("-created_at", "-pk")[:100]

    assert "contact_created_idx" in _plan(queryset, without=("seqscan", "sort"))
