"""Month arithmetic on ``YYYY-MM`` strings, the way packets name their periods."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass


def month_add(month: str, delta: int) -> str:
    """``month_add("2026-01", -1) == "2025-12"``."""
    year, mon = int(month[:4]), int(month[5:7])
    index = year * 12 + (mon - 1) + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_range(start: str, end: str) -> list[str]:
    """Every month from ``start`` to ``end`` inclusive (empty when ``end`` < ``start``)."""
    months: list[str] = []
    current = start
    while current <= end:
        months.append(current)
        current = month_add(current, 1)
    return months


#: How many years of pay periods the month-by-month pages show unless asked for more:
#: a career's 30 years would be 360 rows and chart points, slow to render and to read.
DEFAULT_SPAN_YEARS = 3
#: The quick choices those pages offer (``years=`` in the URL).
SPAN_CHOICES = ("3", "10", "all")


@dataclass(frozen=True)
class PeriodWindow:
    """Which pay periods a month-by-month page shows: ``start``..``end`` (``YYYY-MM``,
    None leaves a side open), and the quick choice it came from (None: typed months)."""

    start: str | None
    end: str | None
    span: str | None
    problems: tuple[str, ...] = ()

    @property
    def params(self) -> dict[str, str]:
        """Query parameters that ask for exactly this window again (links, exports):
        explicit months, or ``years=all`` for every month."""
        if self.span == "all":
            return {"years": "all"}
        return {k: v for k, v in (("from", self.start), ("to", self.end)) if v}

    def contains(self, period: str) -> bool:
        return (self.start or "") <= period[:7] <= (self.end or "9999-99")


_MONTH_TEXT = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def period_window(
    params: Mapping[str, str], latest: str | None, default_years: int = DEFAULT_SPAN_YEARS
) -> PeriodWindow:
    """The window asked for by ``from``/``to`` months or ``years`` (3, 10, all), else the
    last ``default_years`` years up to ``latest`` (the newest stored pay period)."""
    problems: list[str] = []
    months: list[str | None] = []
    for name in ("from", "to"):
        value = (params.get(name) or "").strip()
        if value and not _MONTH_TEXT.match(value):
            problems.append(f"'{name}' must be a month like 2025-03; '{value[:20]}' ignored.")
            value = ""
        months.append(value or None)
    start, end = months
    if start and end and start > end:
        problems.append(f"'from' ({start}) is after 'to' ({end}): the two were swapped.")
        start, end = end, start
    if start or end:
        return PeriodWindow(start, end, None, tuple(problems))
    span = (params.get("years") or "").strip().lower() or str(default_years)
    if span not in SPAN_CHOICES and span != str(default_years):
        problems.append(f"'years' must be one of {', '.join(SPAN_CHOICES)}; '{span[:10]}' ignored.")
        span = str(default_years)
    if span == "all" or latest is None:
        return PeriodWindow(None, None, "all" if span == "all" else span, tuple(problems))
    return PeriodWindow(month_add(latest, -12 * int(span) + 1), None, span, tuple(problems))
