"""GET /health/ for load balancers: is this process able to reach its database?

It runs `SELECT 1` and nothing else: no session, no user, no visitor cookie, no throttle, no
cache, and it is exempt from the HTTPS redirect (crmsite/production.py), so a balancer may
probe the process over plain HTTP. The Host it sends must be in ALLOWED_HOSTS.
"""

import psycopg
from django.db import Error as DjangoDatabaseError
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from contacts.api.errors import DATABASE_RETRY_AFTER_SECONDS
from contacts.visitor import visitor_cookie_exempt


@visitor_cookie_exempt
@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except (DjangoDatabaseError, psycopg.Error):
        response = JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    else:
        response = JsonResponse({"status": "ok", "database": "ok"})
    if request.method == "HEAD":
        response.content = b""  # WSGI servers must not send a body to HEAD
    return response
