import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contacts.backoffice.representation import contact_representation, with_details
from contacts.enums import Channel
from contacts.models import Contact, Label
from contacts.payload import contact_payload_from_info
from contacts.reconcile import contact_append_or_create

pytestmark = pytest.mark.django_db


def make(i: int) -> None:
    contact_append_or_create(
        contact_payload_from_info({
            "name": {"first": f"P{i}"}, "emails": [{"email": f"p{i}@example.com"}],
            "phones": [{"phone": f"+1650253{i:04d}"}], "labelKeys": ["custom.vip"],
            "addresses": [{"tag": "HOME", "address": {"city": "Springfield"}}],
        }),
        actor=None, visitor=None, channel=Channel.API, now=timezone.now(),
    )


def test_the_contact_object_shape() -> None:
    Label.objects.create(key="custom.vip", display_name="VIP")
    make(1)
    body = contact_representation(with_details(Contact.objects.all()).get())
    assert body["primaryInfo"] == {"email": "p1@example.com", "phone": "+16502530001"}
    assert body["info"]["labelKeys"] == {"items": ["custom.vip"]}
    assert body["info"]["phones"]["items"][0]["e164Phone"] == "+16502530001"
    assert body["info"]["addresses"]["items"][0]["address"]["city"] == "Springfield"
    assert body["revision"] == 1 and body["source"] == {"sourceType": "WIX_CODE"} and body["memberInfo"] is None


def test_a_page_of_contacts_costs_the_same_queries_whatever_its_size() -> None:
    Label.objects.create(key="custom.vip", display_name="VIP")
    for i in range(12):
        make(i)
    counts = []
    for size in (2, 12):
        with CaptureQueriesContext(connection) as queries:
            [contact_representation(c) for c in with_details(Contact.objects.all()[:size])]
        counts.append(len(queries))
    assert counts[0] == counts[1]
