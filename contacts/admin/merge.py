"""Merging contacts from the admin: an action on the list, a button on the contact page, and
a confirmation page with a preview. The rules live in `contacts.merge`, not here."""

import uuid
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from contacts.merge import MAX_SOURCES, MergeRefused, contact_merge, contact_merge_preview, contact_resolve
from contacts.models import Contact, Email, Phone, PossibleDuplicate
from contacts.normalize import normalize_email
from members.models import Member


def merge_url(contact_ids: list[Any]) -> str:
    return f"{reverse('admin:contacts_contact_merge')}?{urlencode([('ids', str(i)) for i in contact_ids])}"


class ContactMergeMixin(admin.ModelAdmin):
    actions = ["merge_contacts"]

    def has_merge_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("contacts.merge_contact") and self.has_change_permission(request)

    @admin.action(description="Merge selected contacts", permissions=["merge"])
    def merge_contacts(self, request: HttpRequest, queryset: QuerySet[Contact]) -> HttpResponse:
        return redirect(merge_url(list(queryset.values_list("pk", flat=True)[: MAX_SOURCES + 1])))

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.merge_view)
        return [path("merge/", view, name="contacts_contact_merge"), *super().get_urls()]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """An old (merged) contact id opens its target, with a notice."""
        try:
            merged_into = Contact.objects.filter(pk=object_id).values_list("merged_into_id", flat=True).first()
        except ValidationError:
            merged_into = None
        if merged_into is not None:
            messages.info(request, f"Contact {object_id} was merged into this contact.")
            return redirect("admin:contacts_contact_change", merged_into)
        extra_context = {
            **(extra_context or {}),
            "can_merge": self.has_merge_permission(request),
            "merge_candidates": _open_duplicates_of(object_id),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def merge_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_merge_permission(request):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else request.GET
        ids = _uuids(data.getlist("ids"))
        added = _find_contact(data.get("add", "").strip())
        if added is not None and added not in ids:
            ids.append(added)
        contacts = sorted(Contact.objects.filter(pk__in=ids), key=lambda c: c.created_at)
        member_contacts = set(Member.objects.filter(contact_id__in=ids).values_list("contact_id", flat=True))
        chosen = [i for i in _uuids([data.get("target", "")]) if i in {c.id for c in contacts}]
        target_id = chosen[0] if chosen else _default_target(contacts, member_contacts)
        sources = [c.id for c in contacts if c.id != target_id]
        error, plan = "", None
        if len(contacts) < 2 or target_id is None:
            error = "Choose at least two contacts to merge (select them in the contact list)."
        else:
            try:
                if request.method == "POST" and "merge" in request.POST:
                    result = contact_merge(target_id=target_id, source_ids=sources, acting_user=request.user,
                                           now=timezone.now())
                    target = Contact.objects.get(pk=result.target_id)
                    count = len(result.source_ids)
                    self.message_user(request, f"Merged {count} contact{'s' if count != 1 else ''} into {target}.",
                                      messages.SUCCESS)
                    return HttpResponseRedirect(reverse("admin:contacts_contact_change", args=[target.pk]))
                plan = contact_merge_preview(target_id=target_id, source_ids=sources)
            except MergeRefused as exc:
                error = str(exc)
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge contacts",
            "opts": self.model._meta,
            "candidates": _candidates(contacts, member_contacts),
            "target_id": target_id,
            "plan": plan,
            "error": error,
        }
        return TemplateResponse(request, "admin/contacts/contact/merge.html", context, status=400 if error and request.method == "POST" else 200)


def _uuids(values: list[str]) -> list[uuid.UUID]:
    parsed = []
    for value in values:
        try:
            parsed.append(uuid.UUID(value))
        except (ValueError, TypeError):
            continue
    return list(dict.fromkeys(parsed))


def _find_contact(term: str) -> uuid.UUID | None:
    """A contact by id or by any of its emails (in any letter case); merged ones resolve."""
    if not term:
        return None
    found = _uuids([term])
    if found:
        contact_id = Contact.objects.filter(pk=found[0]).values_list("pk", flat=True).first()
    else:
        try:
            key = normalize_email(term).key
        except ValidationError:
            return None
        contact_id = Email.objects.filter(key=key).values_list("contact_id", flat=True).first()
    return contact_resolve(contact_id).id if contact_id is not None else None


def _open_duplicates_of(object_id: str) -> list[uuid.UUID]:
    try:
        contact_id = uuid.UUID(object_id)
    except ValueError:
        return []
    pairs = PossibleDuplicate.objects.filter(
        Q(contact_a_id=contact_id) | Q(contact_b_id=contact_id), dismissed_at__isnull=True
    ).values_list("contact_a_id", "contact_b_id")[:MAX_SOURCES]
    return [b if a == contact_id else a for a, b in pairs]


def _default_target(contacts: list[Contact], member_contacts: set[uuid.UUID]) -> uuid.UUID | None:
    """A member's contact must be the target; otherwise the oldest contact."""
    for contact in contacts:
        if contact.id in member_contacts:
            return contact.id
    return contacts[0].id if contacts else None


def _candidates(contacts: list[Contact], member_contacts: set[uuid.UUID]) -> list[dict[str, Any]]:
    ids = [c.id for c in contacts]
    emails: dict[uuid.UUID, list[str]] = {}
    for contact_id, email in Email.objects.filter(contact_id__in=ids).values_list("contact_id", "email"):
        emails.setdefault(contact_id, []).append(email)
    phones: dict[uuid.UUID, list[str]] = {}
    for contact_id, phone in Phone.objects.filter(contact_id__in=ids).values_list("contact_id", "phone"):
        phones.setdefault(contact_id, []).append(phone)
    return [
        {"contact": c, "emails": emails.get(c.id, []), "phones": phones.get(c.id, []),
         "is_member": c.id in member_contacts}
        for c in contacts
    ]
