"""Small helpers shared by the entry-point tests (API, form, members, admin)."""

import uuid
from html.parser import HTMLParser
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import Client

from contacts.models import (
    Address,
    Contact,
    ContactLabel,
    Email,
    Phone,
    PossibleDuplicate,
    Submission,
    VisitorLink,
    VisitorSession,
)
from contacts.visitor import SALT as VISITOR_SALT

API_URL = "/api/contacts/append-or-create/"
FORM_URL = "/contact/"
THANKS_URL = "/contact/thanks/"

# The seed page's two examples, unchanged.
SEED_NAME_ONLY: dict[str, Any] = {"name": {"first": "Ari", "last": "Thereyet"}}
SEED_FULL: dict[str, Any] = {
    "name": {"first": "Ari", "last": "Thereyet"},
    "emails": [{"email": "ari.thereyet@example.com"}, {"email": "ari.thereyet.appended.email@example.com"}],
    "phones": [{"tag": "MOBILE", "countryCode": "US", "phone": "601-081-124", "primary": True}],
}


def post_json(client: Client, body: Any, **extra: Any) -> HttpResponse:
    """POST `body` to the append-or-create endpoint. A `str` body is sent as is (raw JSON)."""
    return client.post(API_URL, body, content_type="application/json", **extra)


def counts() -> dict[str, int]:
    """Row counts of everything a reconcile call may write."""
    models = (Contact, Email, Phone, Address, ContactLabel, Submission, VisitorSession, VisitorLink,
              PossibleDuplicate)
    return {model.__name__: model.objects.count() for model in models}


CONTACT_FIELDS = ("first_name", "last_name", "company", "job_title", "birthdate", "locale", "picture",
                  "extended_fields")


def contact_state(contact_id: uuid.UUID | str, *, with_revision: bool = True) -> dict[str, Any]:
    """What a contact holds, without ids and timestamps: fields, emails, phones, addresses, labels."""
    contact = Contact.objects.get(pk=contact_id)
    state: dict[str, Any] = {name: getattr(contact, name) for name in CONTACT_FIELDS}
    if with_revision:
        state["revision"] = contact.revision
    state["emails"] = list(Email.objects.filter(contact=contact).order_by("key").values_list(
        "email", "key", "tag", "primary"))
    state["phones"] = list(Phone.objects.filter(contact=contact).order_by("key").values_list(
        "phone", "country_code", "e164", "key", "tag", "primary"))
    state["addresses"] = sorted(Address.objects.filter(contact=contact).values_list("key", flat=True))
    state["labels"] = sorted(ContactLabel.objects.filter(contact=contact).values_list("label__key", flat=True))
    return state


def visitor_cookie(response: HttpResponse) -> Any:
    """The `crm_visitor` morsel a response set, or None."""
    return response.cookies.get(settings.VISITOR_COOKIE_NAME)


def visitor_id(signed_value: str) -> uuid.UUID:
    """The visitor id inside a signed `crm_visitor` cookie value (raises BadSignature if it is
    not signed with our key and salt)."""
    request = HttpRequest()
    request.COOKIES[settings.VISITOR_COOKIE_NAME] = signed_value
    raw_id, _issued = request.get_signed_cookie(settings.VISITOR_COOKIE_NAME, salt=VISITOR_SALT).split("|", 1)
    return uuid.UUID(raw_id)


def signed_cookie_value(value: str, *, salt: str = VISITOR_SALT) -> str:
    """`value` signed as Django signs a `crm_visitor` cookie (with `salt`)."""
    response = HttpResponse()
    response.set_signed_cookie(settings.VISITOR_COOKIE_NAME, value, salt=salt)
    return response.cookies[settings.VISITOR_COOKIE_NAME].value


def client_visitor_id(client: Client) -> uuid.UUID:
    return visitor_id(client.cookies[settings.VISITOR_COOKIE_NAME].value)


class _FormParser(HTMLParser):
    """Collects a page's forms (their controls and values) and its `div.field` blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self.labels: dict[str, str] = {}  # for= → label text
        self.blocks: list[dict[str, Any]] = []  # div.field: names of controls and text inside
        self._div_stack: list[dict[str, Any] | None] = []
        self._label_for: str | None = None
        self._label_text: list[str] = []
        self._select: tuple[str, list[tuple[str, bool]]] | None = None
        self._textarea: tuple[str, list[str]] | None = None

    @property
    def _form(self) -> dict[str, Any] | None:
        return self.forms[-1] if self.forms else None

    def _open_blocks(self) -> list[dict[str, Any]]:
        return [b for b in self._div_stack if b is not None]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.forms.append({"attrs": a, "controls": []})
        elif tag == "div":
            block = {"names": [], "ids": [], "text": []} if "field" in a.get("class", "").split() else None
            if block is not None:
                self.blocks.append(block)
            self._div_stack.append(block)
        elif tag == "label" and "for" in a:
            self._label_for, self._label_text = a["for"], []
        elif tag in {"input", "select", "textarea"}:
            for block in self._open_blocks():
                block["names"].append(a.get("name", ""))
                block["ids"].append(a.get("id", ""))
            name = a.get("name")
            if tag == "input" and name and self._form is not None:
                kind = a.get("type", "text")
                if kind in {"checkbox", "radio"}:
                    if "checked" in a:
                        self._form["controls"].append((name, a.get("value", "on")))
                elif kind not in {"submit", "button", "image", "file"}:
                    self._form["controls"].append((name, a.get("value", "")))
            elif tag == "select" and name:
                self._select = (name, [])
            elif tag == "textarea" and name:
                self._textarea = (name, [])
        elif tag == "option" and self._select is not None:
            self._select[1].append((a.get("value", ""), "selected" in a))

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._div_stack:
            self._div_stack.pop()
        elif tag == "label" and self._label_for is not None:
            self.labels[self._label_for] = " ".join("".join(self._label_text).split())
            self._label_for = None
        elif tag == "select" and self._select is not None:
            name, options = self._select
            chosen = [v for v, selected in options if selected] or [v for v, _ in options[:1]]
            if self._form is not None:
                self._form["controls"].extend((name, v) for v in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            if self._form is not None:
                self._form["controls"].append((name, "".join(text).removeprefix("\n")))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._label_for is not None:
            self._label_text.append(data)
        if self._textarea is not None:
            self._textarea[1].append(data)
        for block in self._open_blocks():
            block["text"].append(data)


def parse_html(response: HttpResponse) -> _FormParser:
    parser = _FormParser()
    parser.feed(response.content.decode())
    return parser


def field_block_text(response: HttpResponse, name: str) -> str:
    """The text inside the `div.field` block that holds the control named `name`."""
    blocks = [b for b in parse_html(response).blocks if name in b["names"]]
    assert len(blocks) == 1, f"expected one field block for {name!r}, found {len(blocks)}"
    return " ".join("".join(blocks[0]["text"]).split())


def form_data(response: HttpResponse, *, form_index: int = -1) -> dict[str, Any]:
    """A form's current values as a POST mapping (multi-valued names become lists), as a
    browser would submit it unchanged."""
    data: dict[str, Any] = {}
    for name, value in parse_html(response).forms[form_index]["controls"]:
        if name in data:
            data[name] = (data[name] if isinstance(data[name], list) else [data[name]]) + [value]
        else:
            data[name] = value
    return data


FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
