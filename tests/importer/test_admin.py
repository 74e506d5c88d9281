"""The admin upload page: linked from the contact list, runs the importer, shows the summary
and the bad rows; only staff with `contacts.import_contact` (and add permission) may use it."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from contacts.admin import importing
from contacts.models import Contact, Submission
from tests.helpers import FAST_PASSWORD_HASHERS
from tests.importer.common import csv_bytes, jsonl

pytestmark = pytest.mark.django_db

URL = "/admin/contacts/contact/import/"
LIST_URL = "/admin/contacts/contact/"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


@pytest.fixture
def admin_client_() -> Client:
    user = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


def _staff(*codenames: str) -> Client:
    user = get_user_model().objects.create_user("staff", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="contacts", codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


def test_the_list_links_to_the_upload_page_and_the_upload_imports(admin_client_: Client) -> None:
    assert f'href="{URL}"' in admin_client_.get(LIST_URL).content.decode()
    page = admin_client_.get(URL)
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.content.decode()

    upload = SimpleUploadedFile("people.csv", csv_bytes(["firstName", "email"], [
        ["Ann", "ann@example.com"], ["Bob", "nope"], ["", "ANN@example.com"]]), content_type="text/csv")
    response = admin_client_.post(URL, {"file": upload, "format": "csv"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "3 rows: 1 created, 0 appended, 1 unchanged, 1 rejected." in html
    assert "<td>3</td><td>email (emails.0.email): Enter a valid email address." in html
    assert Contact.objects.count() == 1 and Submission.objects.filter(channel="import").count() == 2


def test_jsonl_upload_and_a_file_level_error(admin_client_: Client) -> None:
    ok = admin_client_.post(URL, {"file": SimpleUploadedFile("p.jsonl", jsonl([{"name": {"first": "A"}}])),
                                  "format": "jsonl"})
    assert "1 rows: 1 created" in ok.content.decode()
    bad = admin_client_.post(URL, {"file": SimpleUploadedFile("p.csv", b"nom,email\nA,a@example.com\n"),
                                   "format": "csv"})
    assert bad.status_code == 400 and "Unknown column" in bad.content.decode()


def test_an_upload_over_the_limit_is_refused(admin_client_: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing, "MAX_UPLOAD_BYTES", 10)
    response = admin_client_.post(URL, {"file": SimpleUploadedFile("p.jsonl", jsonl([{"name": {"first": "A"}}])),
                                        "format": "jsonl"})
    assert response.status_code == 400 and "limit" in response.content.decode()
    assert Contact.objects.count() == 0


def test_staff_without_the_import_permission_get_403_and_no_link() -> None:
    client = _staff("view_contact", "add_contact", "change_contact")
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"file": SimpleUploadedFile("p.jsonl", b'{"name":{"first":"A"}}\n'),
                             "format": "jsonl"}).status_code == 403
    assert URL not in client.get(LIST_URL).content.decode()
    assert Contact.objects.count() == 0


def test_staff_with_the_import_permission_may_import() -> None:
    client = _staff("view_contact", "add_contact", "import_contact")
    assert client.get(URL).status_code == 200
