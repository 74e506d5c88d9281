"""A paginator for big tables: it never counts the whole table, and a deep page does not
compute the list's columns for the rows it skips.

It counts exactly up to `exact_limit` rows (`SELECT COUNT(*) FROM (… LIMIT n)`, so the
cost is bounded whatever the table's size). Past that it takes PostgreSQL's planner
estimate of the filtered query (`EXPLAIN`; for the unfiltered list that is
`pg_class.reltuples` times the selectivity of "not merged"), and any page number is
accepted: a page past the real end is empty rather than an error. Page 2 onwards is two
queries: the page's ids, then those rows with their columns."""

import json
from functools import cached_property
from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import QuerySet


class EstimatedCountPaginator(Paginator):
    # Counting up to 1,000 matching rows takes a few milliseconds whatever the filter; keep it
    # above the changelist's list_max_show_all (200), which shows every row of a count below it.
    exact_limit = 1_000
    is_estimate = False  # set by `count` when it is the planner's estimate

    object_list: QuerySet[Any]

    @cached_property
    def count(self) -> int:
        rows = self.object_list.order_by().prefetch_related(None).values("pk")
        capped = rows[: self.exact_limit + 1].count()
        if capped <= self.exact_limit:
            return capped
        if connections[rows.db].vendor != "postgresql":
            return rows.count()  # development databases (SQLite) are small: count them exactly
        self.is_estimate = True
        return max(self.exact_limit + 1, self._planner_estimate(rows))

    @staticmethod
    def _planner_estimate(rows: QuerySet[Any]) -> int:
        plan = rows.explain(format="json")
        parsed = json.loads(plan) if isinstance(plan, str) else plan
        return int(parsed[0]["Plan"]["Plan Rows"])

    def validate_number(self, number: Any) -> int:
        if self._estimated():
            # Past the estimated last page is still a page: empty when the estimate was high,
            # the real rows when it was low.
            number = self._as_page_number(number)
            if number < 1:
                raise EmptyPage(self.error_messages["min_page"])
            return number
        return super().validate_number(number)

    def _as_page_number(self, number: Any) -> int:
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            return int(number)
        except (TypeError, ValueError) as exc:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from exc

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if not self.is_estimate and top + self.orphans >= self.count:
            top = self.count
        return Page(self._window(bottom, top), number, self)

    def _window(self, bottom: int, top: int) -> Any:
        if bottom == 0 or not isinstance(self.object_list, QuerySet):
            return self.object_list[bottom:top]
        # PostgreSQL computes a row's select list (the list's per-row subqueries) for every
        # row an OFFSET skips: take the page's ids with a bare query first, then their rows.
        ids = list(self.object_list.prefetch_related(None).values_list("pk", flat=True)[bottom:top])
        return self.object_list.filter(pk__in=ids)

    def _estimated(self) -> bool:
        self.count  # noqa: B018  (counting decides whether the count is an estimate)
        return self.is_estimate
