"""Member signup: a Django user, a `Member` row and the member's contact, in one transaction."""

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from contacts.enums import Channel, StepOrder
from contacts.locks import lock_match_keys
from contacts.models import Email
from contacts.normalize import normalize_email
from contacts.payload import contact_payload_from_info
from contacts.reconcile import contact_append_or_create
from contacts.visitor import VisitorIdentity
from members.models import Member

ACCOUNT_EXISTS = "An account with this email already exists. Log in instead."


def member_signup(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    visitor: VisitorIdentity | None,
    now: datetime.datetime,
) -> Member:
    """Create the user and the member, and reconcile the member's contact: a contact that
    already has this email (and no member) is claimed, otherwise one is created (backend step
    order, so a shared browser's visitor contact is never claimed). The login email becomes
    the contact's primary email (decisions.md §3)."""
    normalized = normalize_email(email)
    user_model = get_user_model()
    with transaction.atomic():
        keys = [("email", normalized.key)] + ([("visitor", str(visitor.id))] if visitor else [])
        lock_match_keys(keys)
        owner = Email.objects.filter(key=normalized.key).values_list("contact__member__id", flat=True).first()
        if owner is not None or user_model.objects.filter(username=normalized.key).exists():
            raise ValidationError({"email": [ACCOUNT_EXISTS]}, code="account_exists")
        user = user_model.objects.create_user(
            username=normalized.key,
            email=normalized.email,
            password=password,
            first_name=first_name,
            last_name=last_name,
        )
        name = {k: v for k, v in (("first", first_name), ("last", last_name)) if v}
        info = {"name": name, "emails": [{"email": normalized.email, "tag": "MAIN", "primary": True}]}
        result = contact_append_or_create(
            contact_payload_from_info(info),
            actor=None,
            visitor=visitor,
            channel=Channel.SIGNUP,
            step_order=StepOrder.BACKEND,
            now=now,
        )
        # The login email is the member's primary email, even on a claimed contact.
        Email.objects.filter(contact_id=result.contact_id, primary=True).exclude(key=normalized.key).update(
            primary=False
        )
        Email.objects.filter(contact_id=result.contact_id, key=normalized.key).update(primary=True)
        return Member.objects.create(user=user, contact_id=result.contact_id, signup_date=now)
