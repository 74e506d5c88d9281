"""Keyset (cursor) pagination on `(timestamp, id)`, for the back-office lists.

A page is `WHERE (ts, id) < (cursor ts, cursor id) ORDER BY ts DESC, id DESC LIMIT n + 1`
(or the mirror image), so a page costs the same at page 1 and page 10 000 and a walk through
all pages never skips nor repeats a row, even when many rows share one timestamp: the id
breaks every tie. The condition is written `ts <= v AND (ts < v OR id < i)`, so PostgreSQL
answers it from the `(ts, id)` b-tree (`ts <= v` is the index condition).

A cursor is opaque to clients: base64url of `[ordering, direction, ts, id]`. It names its
ordering, so a cursor cannot be replayed against another order.
"""

import base64
import binascii
import datetime
import json
import uuid
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import Model, Q, QuerySet
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

Row = TypeVar("Row", bound=Model)

NEXT = "n"
PREVIOUS = "p"


@dataclass(frozen=True)
class KeysetOrder:
    name: str  # the API's name, e.g. "-createdDate"
    field: str  # the model's timestamp field, e.g. "created_at"
    descending: bool


@dataclass(frozen=True)
class Cursor:
    ordering: str
    direction: str  # NEXT: rows after the position; PREVIOUS: rows before it
    value: datetime.datetime
    id: uuid.UUID

    def encode(self) -> str:
        raw = json.dumps([self.ordering, self.direction, self.value.isoformat(), str(self.id)])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str) -> Cursor:
    """The cursor a previous page handed out; ValueError for anything else."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        ordering, direction, value, row_id = json.loads(raw)
        moment = datetime.datetime.fromisoformat(value)
        cursor = Cursor(str(ordering), str(direction), moment, uuid.UUID(str(row_id)))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("invalid cursor") from exc
    if cursor.direction not in (NEXT, PREVIOUS) or moment.tzinfo is None:
        raise ValueError("invalid cursor")
    return cursor


def beyond(field: str, value: Any, pk: Any, *, descending: bool) -> Q:
    """The rows after `(value, pk)` in the order `(field, pk)` (descending: before it). The
    inclusive bound on `field` is what lets PostgreSQL start the index scan at the position;
    the OR alone would be a filter on every row before it."""
    strict, inclusive = ("lt", "lte") if descending else ("gt", "gte")
    return Q(**{f"{field}__{inclusive}": value}) & (Q(**{f"{field}__{strict}": value}) | Q(**{f"pk__{strict}": pk}))


@dataclass(frozen=True)
class Page(Generic[Row]):
    rows: list[Row]
    next_cursor: Cursor | None
    previous_cursor: Cursor | None


def keyset_page(queryset: QuerySet[Row], *, order: KeysetOrder, limit: int, cursor: Cursor | None) -> Page[Row]:
    """One page of `queryset` in `order`, after (or before) `cursor`. One query."""
    backwards = cursor is not None and cursor.direction == PREVIOUS
    descending = order.descending != backwards  # the direction this query scans in
    field = order.field
    if cursor is not None:
        queryset = queryset.filter(beyond(field, cursor.value, cursor.id, descending=descending))
    ordering = [f"-{field}", "-pk"] if descending else [field, "pk"]
    rows = list(queryset.order_by(*ordering)[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    if not rows:
        return Page(rows, None, None)

    def at(row: Row, direction: str) -> Cursor:
        return Cursor(order.name, direction, getattr(row, field), row.pk)

    if backwards:
        return Page(rows, at(rows[-1], NEXT), at(rows[0], PREVIOUS) if more else None)
    return Page(rows, at(rows[-1], NEXT) if more else None, at(rows[0], PREVIOUS) if cursor is not None else None)


def page_links(request: Request, page: Page[Any]) -> dict[str, str | None]:
    """`next` and `previous` as absolute URLs: the request's own with `cursor` replaced."""
    url = request.build_absolute_uri()

    def link(cursor: Cursor | None) -> str | None:
        return replace_query_param(url, "cursor", cursor.encode()) if cursor is not None else None

    return {"next": link(page.next_cursor), "previous": link(page.previous_cursor)}
