"""The admin export: the contact list's "Export CSV" / "Export JSONL" export what the list
shows (filters and search, all pages) and the actions export the ticked contacts; both need
`contacts.import_contact`, so view-only staff cannot export."""

import csv
import io
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.http import StreamingHttpResponse
from django.test import Client

from tests.helpers import FAST_PASSWORD_HASHERS

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/contacts/contact/"
EXPORT_CSV = "/admin/contacts/contact/export/csv/"
EXPORT_JSONL = "/admin/contacts/contact/export/jsonl/"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


def staff_client(django_user_model: Any, name: str, *codenames: str) -> Client:
    user = django_user_model.objects.create_user(name, password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def viewer(django_user_model: Any) -> Client:
    return staff_client(django_user_model, "viewer", "view_contact")


@pytest.fixture
def exporter(django_user_model: Any) -> Client:
    return staff_client(django_user_model, "exporter", "view_contact", "import_contact")


def exported_names(response: Any) -> list[str]:
    assert isinstance(response, StreamingHttpResponse), response
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return [f"{r['firstName']} {r['lastName']}" for r in csv.DictReader(io.StringIO(text, newline=""))]


def test_the_list_links_to_exports_of_what_it_shows(admin_client, people) -> None:
    html = admin_client.get(CHANGELIST, {"label": people["lead"].pk, "q": "ari", "p": "1"}).content.decode()
    assert f'href="{EXPORT_CSV}?label={people["lead"].pk}&amp;q=ari"' in html
    assert f'href="{EXPORT_JSONL}?label={people["lead"].pk}&amp;q=ari"' in html
    assert f'href="{EXPORT_CSV}"' in admin_client.get(CHANGELIST).content.decode()


def test_the_export_applies_the_list_filters_and_search(exporter, people) -> None:
    # Merged contacts are hidden, as on the list.
    assert exported_names(exporter.get(EXPORT_CSV)) == ["Ari Thereyet", "Bo Diddley", "Mia Wallace"]
    assert exported_names(exporter.get(EXPORT_CSV, {"label": people["lead"].pk})) == ["Ari Thereyet", "Bo Diddley"]
    assert exported_names(exporter.get(EXPORT_CSV, {"label": people["lead"].pk, "q": "BO@example.COM"})) \
        == ["Bo Diddley"]
    assert exported_names(exporter.get(EXPORT_CSV, {"member": "yes"})) == ["Mia Wallace"]
    assert exported_names(exporter.get(EXPORT_CSV, {"merged": "all", "q": "ari"})) == ["Ari Thereyet", "Ari Merged"]
    assert exported_names(exporter.get(EXPORT_CSV, {"source_type__exact": "IMPORT"})) == ["Bo Diddley"]


def test_the_jsonl_export_is_one_contact_per_line(exporter, people) -> None:
    response = exporter.get(EXPORT_JSONL, {"q": "mia"})
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="contacts-')
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 1 and f'"id":"{people["mia"].pk}"' in lines[0]


def test_an_invalid_filter_goes_back_to_the_list_with_its_error_flag(exporter, people) -> None:
    response = exporter.get(EXPORT_CSV, {"label": "not-a-number"})
    assert response.status_code == 302 and response["Location"] == f"{CHANGELIST}?e=1"
    assert exporter.get("/admin/contacts/contact/export/xlsx/").status_code == 404


def test_the_actions_export_the_selected_contacts(exporter, people) -> None:
    selected = [people["ari"].pk, people["mia"].pk]
    response = exporter.post(CHANGELIST, {"action": "export_selected_csv", "_selected_action": selected})
    assert exported_names(response) == ["Ari Thereyet", "Mia Wallace"]

    response = exporter.post(CHANGELIST, {"action": "export_selected_jsonl", "_selected_action": [people["bo"].pk]})
    assert isinstance(response, StreamingHttpResponse)
    assert b"".join(response.streaming_content).decode().count("\n") == 1


def test_the_actions_keep_the_merge_action(admin_client, people) -> None:
    html = admin_client.get(CHANGELIST).content.decode()
    for action in ("merge_contacts", "export_selected_csv", "export_selected_jsonl", "delete_selected"):
        assert f'value="{action}"' in html


def test_view_only_staff_can_browse_but_not_export(viewer, people) -> None:
    html = viewer.get(CHANGELIST).content.decode()
    assert "Ari Thereyet" in html
    assert "/export/" not in html and "export_selected" not in html
    assert viewer.get(EXPORT_CSV).status_code == 403
    assert viewer.get(EXPORT_JSONL).status_code == 403
    response = viewer.post(CHANGELIST, {"action": "export_selected_csv", "_selected_action": [people["ari"].pk]})
    assert not isinstance(response, StreamingHttpResponse)


def test_the_export_permission_alone_without_view_is_not_enough(django_user_model, people) -> None:
    client = staff_client(django_user_model, "importer", "import_contact")
    assert client.get(EXPORT_CSV).status_code == 403


def test_anonymous_is_sent_to_the_login_page(client, people) -> None:
    response = client.get(EXPORT_CSV)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
