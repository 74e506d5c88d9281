"""The growth dashboard: new contacts per day by channel, and how many submissions matched an
existing contact rather than creating one, over the last 30 days.

One aggregate query; the charts are drawn here as inline SVG (no JavaScript, nothing fetched
from elsewhere), with the same numbers in a table for screen readers and copying.
"""

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone

from contacts.enums import Channel
from contacts.models import Submission

DAYS = 30
# One colour per channel, distinguishable for the common colour-vision deficiencies (Okabe-Ito).
CHANNEL_COLOURS = {
    Channel.FORM: "#0072B2",
    Channel.API: "#E69F00",
    Channel.IMPORT: "#009E73",
    Channel.ADMIN: "#CC79A7",
    Channel.SIGNUP: "#56B4E9",
}
MATCHED_COLOUR, CREATED_COLOUR = "#0072B2", "#E69F00"


@dataclass(frozen=True)
class Day:
    day: datetime.date
    created: dict[str, int]  # channel → new contacts
    matched: int

    @property
    def created_total(self) -> int:
        return sum(self.created.values())

    @property
    def channel_counts(self) -> list[tuple[str, int]]:
        return [(channel, self.created.get(channel, 0)) for channel in Channel.values]


@dataclass(frozen=True)
class Growth:
    days: list[Day]  # oldest first, one per day, empty days included

    @property
    def created(self) -> int:
        return sum(d.created_total for d in self.days)

    @property
    def matched(self) -> int:
        return sum(d.matched for d in self.days)

    @property
    def created_by_channel(self) -> list[tuple[str, int]]:
        return [(c, sum(d.created.get(c, 0) for d in self.days)) for c in Channel.values]

    @property
    def matched_percent(self) -> int | None:
        total = self.created + self.matched
        return round(100 * self.matched / total) if total else None


def growth_stats(*, today: datetime.date, days: int = DAYS) -> Growth:
    """New contacts per day and channel (submissions with `new_contact`) and matched submissions
    per day, for the `days` days ending with `today` (in the current time zone)."""
    first = today - datetime.timedelta(days=days - 1)
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time.min))
    rows = (
        Submission.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(day=TruncDate("created_at"))
        .values("day", "channel")
        .annotate(created=Count("pk", filter=Q(new_contact=True)), matched=Count("pk", filter=Q(new_contact=False)))
        .order_by()
    )
    created: dict[datetime.date, dict[str, int]] = defaultdict(dict)
    matched: dict[datetime.date, int] = defaultdict(int)
    for row in rows:
        if row["created"]:
            created[row["day"]][row["channel"]] = row["created"]
        matched[row["day"]] += row["matched"]
    return Growth([
        Day(day, created.get(day, {}), matched.get(day, 0))
        for day in (first + datetime.timedelta(days=i) for i in range(days))
    ])


# --- drawing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: int
    top: int
    bottom: float  # y of the x axis
    right: float
    bars: list[Rect]
    y_ticks: list[Text]  # the text at the tick's y; gridline drawn there too
    x_labels: list[Text]
    legend: list[tuple[Rect, Text]]


def bar_chart(growth: Growth, *, width: int = 760, plot_height: int = 220) -> BarChart:
    """Geometry of a stacked bar chart: one bar per day, one segment per channel."""
    left, top, right_margin, axis_room = 48, 12, 12, 46
    plot_width = width - left - right_margin
    bottom = top + plot_height
    y_max, step = _y_scale(max((d.created_total for d in growth.days), default=0))
    scale = plot_height / y_max
    slot = plot_width / max(len(growth.days), 1)
    bar_width = round(slot * 0.7, 2)

    bars: list[Rect] = []
    x_labels: list[Text] = []
    for i, day in enumerate(growth.days):
        x = round(left + i * slot + (slot - bar_width) / 2, 2)
        y = float(bottom)
        for channel, count in day.channel_counts:
            if not count:
                continue
            height = round(count * scale, 2)
            y = round(y - height, 2)
            bars.append(Rect(x, y, bar_width, height, CHANNEL_COLOURS[Channel(channel)],
                             f"{day.day.isoformat()} {channel}: {count}"))
        if i % 5 == 0 or i == len(growth.days) - 1:
            x_labels.append(Text(round(x + bar_width / 2, 2), bottom + 16, day.day.strftime("%b %d")))

    y_ticks = [Text(left - 6, round(bottom - v * scale, 2), str(v)) for v in range(0, y_max + 1, step)]
    legend_y = bottom + 34
    legend = []
    for i, channel in enumerate(Channel.values):
        x = left + i * 110
        legend.append((Rect(x, legend_y - 10, 12, 12, CHANNEL_COLOURS[Channel(channel)], channel),
                       Text(x + 18, legend_y, channel)))
    return BarChart(width, bottom + axis_room, left, top, bottom, left + plot_width, bars, y_ticks, x_labels,
                    legend)


def _y_scale(highest: int) -> tuple[int, int]:
    """The axis maximum and tick step: at most about five whole-number ticks."""
    step = max(1, math.ceil(max(highest, 1) / 5))
    return step * math.ceil(max(highest, 1) / step), step


def growth_view(request: HttpRequest, *, model_admin: admin.ModelAdmin) -> TemplateResponse:
    """The dashboard page; it reads the ledger, so it needs the permission to view submissions."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    growth = growth_stats(today=timezone.localdate())
    total = growth.created + growth.matched
    context: dict[str, Any] = {
        **model_admin.admin_site.each_context(request),
        "title": "Growth",
        "opts": model_admin.opts,
        "growth": growth,
        "chart": bar_chart(growth),
        "colours": CHANNEL_COLOURS,
        "ratio": {
            "matched": growth.matched,
            "created": growth.created,
            "percent": growth.matched_percent,
            # A 100% bar, 600 wide: the matched part, then the created part.
            "matched_width": round(600 * growth.matched / total, 2) if total else 0,
            "created_width": round(600 * growth.created / total, 2) if total else 0,
            "matched_colour": MATCHED_COLOUR,
            "created_colour": CREATED_COLOUR,
        },
        "days": DAYS,
        "first_day": growth.days[0].day,
        "last_day": growth.days[-1].day,
        "time_zone": timezone.get_current_timezone_name(),
    }
    return TemplateResponse(request, "admin/contacts/growth.html", context)
