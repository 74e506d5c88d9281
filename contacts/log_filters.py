"""Keep contact data out of the logs and error reports.

Django logs every failed request on `django.request`: 4xx lines carry only the status and the
path, but a 500 carries the exception, and database errors quote the row they refused
(`DETAIL: Key (key)=(ari@example.com) already exists.`, `Failing row contains (…)`), which is
contact data. `RedactExceptionMessages` keeps the traceback and every exception's type but
drops the messages, and removes the live exception so no handler can format it again (the
admin email would also list each frame's local variables: the submitted payload).

`SafeExceptionReporterFilter` hides every POST value in error reports (the admin email on
`django.request` attaches the request): the form's fields are a person's name, email and phone.
"""

import logging
import traceback
from typing import Any

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter

REDACTED = "[message withheld: it may quote contact data]"


def redacted_traceback(exc: BaseException) -> str:
    """`traceback.format_exception` with each exception's message replaced by REDACTED."""
    lines: list[str] = []
    _format(traceback.TracebackException.from_exception(exc), lines, seen=set())
    return "".join(lines).rstrip("\n")


def _format(te: traceback.TracebackException, lines: list[str], seen: set[int]) -> None:
    seen.add(id(te))
    if te.__cause__ is not None and id(te.__cause__) not in seen:
        _format(te.__cause__, lines, seen)
        lines.append("\nThe above exception was the direct cause of the following exception:\n\n")
    elif te.__context__ is not None and not te.__suppress_context__ and id(te.__context__) not in seen:
        _format(te.__context__, lines, seen)
        lines.append("\nDuring handling of the above exception, another exception occurred:\n\n")
    if te.stack:
        lines.append("Traceback (most recent call last):\n")
        lines.extend(te.stack.format())
    exc_type = te.exc_type
    name = f"{exc_type.__module__}.{exc_type.__qualname__}" if exc_type is not None else "Exception"
    lines.append(f"{name}: {REDACTED}\n")


class RedactExceptionMessages(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redacted_traceback(record.exc_info[1])
            record.exc_info = None
        return True


class ContactDataReporterFilter(SafeExceptionReporterFilter):
    """Error reports (DEBUG off) show which POST fields were sent, never their values."""

    def get_post_parameters(self, request: HttpRequest | None) -> Any:
        if request is None or not self.is_active(request):
            return super().get_post_parameters(request)
        return {name: self.cleansed_substitute for name in request.POST}
