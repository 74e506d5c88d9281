"""The growth dashboard: new contacts per day by channel and matched vs created over the last
30 days, from one aggregate query, drawn as inline SVG with the numbers in a table."""

import datetime
import re
import uuid
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from contacts.admin.dashboard import bar_chart, growth_stats
from contacts.enums import Channel
from contacts.payload import contact_payload_from_info
from contacts.reconcile import contact_append_or_create
from contacts.visitor import VisitorIdentity

pytestmark = pytest.mark.django_db

URL = "/admin/contacts/submission/dashboard/"


def submit(info: dict[str, Any], channel: Channel, when: datetime.datetime) -> None:
    contact_append_or_create(contact_payload_from_info(info), actor=None,
                             visitor=VisitorIdentity(id=uuid.uuid4(), issued_at=when), channel=channel, now=when)


@pytest.fixture
def seeded() -> dict[str, datetime.date]:
    """Two days ago: 2 new contacts by form, 1 by API, 1 form submission matching one of them.
    Today: 1 new by import, 2 matched. 40 days ago: 1 new by form (outside the window)."""
    now = timezone.now()
    two_days_ago = now - datetime.timedelta(days=2)
    submit({"emails": [{"email": "a@example.com"}]}, Channel.FORM, two_days_ago)
    submit({"emails": [{"email": "b@example.com"}]}, Channel.FORM, two_days_ago)
    submit({"phones": [{"phone": "+16502530000"}]}, Channel.API, two_days_ago)
    submit({"emails": [{"email": "a@example.com"}]}, Channel.FORM, two_days_ago)
    submit({"phones": [{"phone": "+442079460958"}]}, Channel.IMPORT, now)
    submit({"emails": [{"email": "b@example.com"}]}, Channel.API, now)
    submit({"phones": [{"phone": "+16502530000"}]}, Channel.FORM, now)
    submit({"emails": [{"email": "old@example.com"}]}, Channel.FORM, now - datetime.timedelta(days=40))
    return {"today": timezone.localdate(now), "two_days_ago": timezone.localdate(two_days_ago)}


def test_growth_stats_count_new_contacts_per_day_and_channel_in_one_query(seeded, django_assert_num_queries):
    with django_assert_num_queries(1):
        growth = growth_stats(today=seeded["today"])

    days = {d.day: d for d in growth.days}
    assert len(growth.days) == 30 and growth.days[-1].day == seeded["today"]
    assert days[seeded["two_days_ago"]].created == {"form": 2, "api": 1}
    assert days[seeded["two_days_ago"]].matched == 1
    assert days[seeded["today"]].created == {"import": 1}
    assert days[seeded["today"]].matched == 2
    assert (growth.created, growth.matched, growth.matched_percent) == (4, 3, 43)
    assert dict(growth.created_by_channel) == {"form": 2, "api": 1, "import": 1, "admin": 0, "signup": 0}


def test_bars_stack_per_day_and_scale_to_the_axis(seeded):
    chart = bar_chart(growth_stats(today=seeded["today"]), plot_height=200)

    day = seeded["two_days_ago"].isoformat()
    form, api = (next(b for b in chart.bars if b.title.startswith(f"{day} {c}:")) for c in ("form", "api"))
    assert [b.title for b in chart.bars] == [f"{day} form: 2", f"{day} api: 1",
                                             f"{seeded['today'].isoformat()} import: 1"]
    assert form.height == pytest.approx(2 * api.height, abs=0.05)
    assert api.y + api.height == pytest.approx(form.y, abs=0.05)  # stacked on top of the form segment
    assert form.y + form.height == pytest.approx(chart.bottom, abs=0.05)
    assert [t.text for t in chart.y_ticks] == ["0", "1", "2", "3"]
    assert [label.text for _, label in chart.legend] == ["form", "api", "import", "admin", "signup"]


def test_dashboard_page_draws_svg_and_a_table_with_the_numbers(admin_client, seeded):
    response = admin_client.get(URL)
    html = response.content.decode()

    assert response.status_code == 200
    main = html.split('id="content-main"')[1].split('id="footer"')[0]
    assert main.count('<svg class="growth-chart"') == 2
    assert "<script" not in main and "https://" not in main  # nothing run or fetched from elsewhere
    day, today = seeded["two_days_ago"].isoformat(), seeded["today"].isoformat()
    assert f"<title>{day} form: 2</title>" in html and f"<title>{day} api: 1</title>" in html
    assert f"<title>{today} import: 1</title>" in html
    assert "<title>matched: 3</title>" in html and "<title>created: 4</title>" in html
    assert "Matched: <strong>3</strong> · Created: <strong>4</strong> · 43%" in html
    assert _table_row(html, day) == {"form": "2", "api": "1", "import": "0", "admin": "0", "signup": "0",
                                     "created": "3", "matched": "1"}
    assert _table_row(html, "total") == {"form": "2", "api": "1", "import": "1", "admin": "0", "signup": "0",
                                         "created": "4", "matched": "3"}


def _table_row(html: str, day: str) -> dict[str, str]:
    match = re.search(rf'<tr data-day="{day}">(.*?)</tr>', html, re.S)
    assert match
    return dict(re.findall(r'data-(?:channel|column)="(\w+)">(\d+)</td>', match.group(1)))


def test_an_empty_ledger_draws_an_empty_chart(admin_client):
    html = admin_client.get(URL).content.decode()

    assert "<svg" in html and "no submissions" in html
    assert 'class="bar"' not in html


def test_admin_index_links_the_dashboard(admin_client):
    html = admin_client.get("/admin/").content.decode()

    assert f'<a href="{URL}">Growth</a>' in html


def _staff(django_user_model: Any, *codenames: str) -> Client:
    user = django_user_model.objects.create_user("viewer", "viewer@example.com", "x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


def test_view_only_staff_can_open_the_dashboard(django_user_model, seeded):
    client = _staff(django_user_model, "view_submission")

    assert client.get(URL).status_code == 200
    assert "Growth" in client.get("/admin/").content.decode()


def test_staff_who_cannot_view_submissions_cannot_open_it(django_user_model):
    client = _staff(django_user_model, "view_contact")

    assert client.get(URL).status_code == 403
    assert URL not in client.get("/admin/").content.decode()


def test_anonymous_is_sent_to_the_login(client):
    response = client.get(URL)

    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
