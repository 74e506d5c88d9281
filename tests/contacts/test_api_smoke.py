import pytest

SEED_FULL = {
    "name": {"first": "Ari", "last": "Thereyet"},
    "emails": [{"email": "ari.thereyet@example.com"}, {"email": "ari.thereyet.appended.email@example.com"}],
    "phones": [{"tag": "MOBILE", "countryCode": "US", "phone": "601-081-124", "primary": True}],
}

pytestmark = pytest.mark.django_db


def test_seed_examples_create_then_append(client):
    created = client.post("/api/contacts/append-or-create/", SEED_FULL, content_type="application/json")
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"contactId", "identityType", "newContact"}
    assert body["identityType"] == "CONTACT" and body["newContact"] is True

    again = client.post(
        "/api/contacts/append-or-create/", {"name": {"first": "Ari", "last": "Thereyet"}},
        content_type="application/json",
    )
    assert again.status_code == 200
    assert again.json() == {"contactId": body["contactId"], "identityType": "CONTACT", "newContact": False}
