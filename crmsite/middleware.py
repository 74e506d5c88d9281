"""A database outage answers 503 "try again", never a 500 (README "Production serving").

DRF views map the errors themselves (contacts/api/errors.py). This middleware covers every
other view (the site form, members, admin) and anything a view touches lazily (the session
behind `request.user`); `server_error` (urls.py `handler500`) covers the rest, errors raised
inside another middleware. /api/ paths get the API's JSON body, everything else a short HTML
page rendered without the request, so that rendering it cannot touch the database again.
"""

import sys
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.views import defaults

from contacts.api.errors import (
    DATABASE_RETRY_AFTER_SECONDS,
    DATABASE_UNAVAILABLE_BODY,
    DATABASE_UNAVAILABLE_ERRORS,
    log_database_unavailable,
)

API_PREFIX = "/api/"


def is_database_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, DATABASE_UNAVAILABLE_ERRORS)


def database_unavailable_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    log_database_unavailable(exc, request.method, request.path)
    response: HttpResponse
    if request.path_info.startswith(API_PREFIX):
        response = JsonResponse(DATABASE_UNAVAILABLE_BODY, status=503)
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_unavailable(exception):
            return database_unavailable_response(request, exception)
        return None


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """`handler404`: a URL no route matches (e.g. `/api/contacts/not-a-uuid/labels/`) is a JSON
    404 under /api/, like every other API error; elsewhere Django's page."""
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """`handler500`: Django calls it inside the `except` of an uncaught exception (DEBUG off)."""
    exc = sys.exc_info()[1]
    if exc is not None and is_database_unavailable(exc):
        return database_unavailable_response(request, exc)
    return defaults.server_error(request)
