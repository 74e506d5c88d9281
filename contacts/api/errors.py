"""Every API error is JSON, translated here once (house style: errors are mapped in one place)."""

import logging
from typing import Any

import psycopg
from django import db
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from contacts.reconcile import NothingToReconcile

# The database is down, restarting, unreachable or dropped the connection, or the connection
# pool found no healthy connection in time (psycopg_pool.PoolTimeout and TooManyRequests are
# psycopg.OperationalError subclasses). Transient: the service ran in one transaction, so
# nothing was half-written, and the next request gets a fresh connection.
DATABASE_UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    db.OperationalError,
    db.InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)
DATABASE_UNAVAILABLE_BODY = {
    "detail": "The database is temporarily unavailable. Please try again shortly.",
    "code": "database_unavailable",
}
DATABASE_RETRY_AFTER_SECONDS = 5

database_logger = logging.getLogger("crmsite.database")


def log_database_unavailable(exc: BaseException, method: str | None, path: str) -> None:
    # The type only: a driver's message can quote SQL parameters (contact data).
    database_logger.warning("database unavailable: %s on %s %s", type(exc).__name__, method, path)


def database_unavailable_response() -> Response:
    return Response(
        dict(DATABASE_UNAVAILABLE_BODY),
        status=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, NothingToReconcile):
        return Response({"detail": exc.message, "code": exc.code}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DATABASE_UNAVAILABLE_ERRORS):
        request = context.get("request")
        log_database_unavailable(exc, getattr(request, "method", None), getattr(request, "path", "?"))
        return database_unavailable_response()
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": "The request body is larger than the server accepts.", "code": "request_too_large"},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, exceptions.Throttled):  # DRF's handler adds Retry-After; the body gets our shape
        response = drf_exception_handler(exc, context)
        if response is not None:
            response.data = {"detail": exc.detail, "code": "throttled"}
        return response
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    return drf_exception_handler(exc, context)
