"""The visitor identity cookie (decisions.md §2).

A random visitor id and the time it was issued, signed with SECRET_KEY. It is issued on the
first response to any page or API call, honoured by the form and the API alike, and a
tampered or unreadable value is ignored and replaced. It is not Django's session key, which
rotates at login.
"""

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

SALT = "crm.visitor"

ViewT = TypeVar("ViewT", bound=Callable[..., Any])


def visitor_cookie_exempt(view: ViewT) -> ViewT:
    """Mark a view that must never issue the cookie (e.g. the load balancers' /health/)."""
    view.visitor_cookie_exempt = True  # type: ignore[attr-defined]
    return view


@dataclass(frozen=True)
class VisitorIdentity:
    id: uuid.UUID
    issued_at: datetime.datetime
    is_new: bool = False


def read_visitor(request: HttpRequest) -> VisitorIdentity | None:
    value = request.get_signed_cookie(settings.VISITOR_COOKIE_NAME, default=None, salt=SALT)
    if not value:
        return None
    try:
        raw_id, raw_issued = value.split("|", 1)
        issued = datetime.datetime.fromtimestamp(int(raw_issued), tz=datetime.UTC)
        return VisitorIdentity(id=uuid.UUID(raw_id), issued_at=issued)
    except (ValueError, OverflowError):
        return None


def new_visitor(now: datetime.datetime) -> VisitorIdentity:
    return VisitorIdentity(id=uuid.uuid4(), issued_at=now.replace(microsecond=0), is_new=True)


def visitor_for(request: HttpRequest) -> VisitorIdentity:
    """The request's visitor, as the middleware set it."""
    return request.visitor  # type: ignore[attr-defined]


class VisitorCookieMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        visitor = read_visitor(request) or new_visitor(timezone.now())
        request.visitor = visitor  # type: ignore[attr-defined]
        response = self.get_response(request)
        if visitor.is_new and not getattr(request, "_visitor_cookie_exempt", False):
            response.set_signed_cookie(
                settings.VISITOR_COOKIE_NAME,
                f"{visitor.id}|{int(visitor.issued_at.timestamp())}",
                salt=SALT,
                max_age=settings.VISITOR_COOKIE_MAX_AGE,
                httponly=True,
                samesite="Lax",
                secure=settings.VISITOR_COOKIE_SECURE,
            )
        return response

    def process_view(self, request: HttpRequest, view_func: Callable[..., Any], *args: Any) -> None:
        if getattr(view_func, "visitor_cookie_exempt", False):
            request._visitor_cookie_exempt = True  # type: ignore[attr-defined]
