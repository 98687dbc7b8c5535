"""Month arithmetic and the US holidays a practice closes on.

Months are handled as "YYYY-MM" strings everywhere in the generator (as in the JSON contract),
with these helpers doing the arithmetic.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

MONTH_ABBR = [
    "", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
]  # fmt: skip


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def add_months(month: str, n: int) -> str:
    """'2023-11' + 3 -> '2024-02'."""
    year, mon = int(month[:4]), int(month[5:7])
    index = year * 12 + (mon - 1) + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_range(start: str, count: int) -> list[str]:
    return [add_months(start, i) for i in range(count)]


def first_day(month: str) -> date:
    return date(int(month[:4]), int(month[5:7]), 1)


def last_day(month: str) -> date:
    year, mon = int(month[:4]), int(month[5:7])
    return date(year, mon, calendar.monthrange(year, mon)[1])


def months_between(a: str, b: str) -> int:
    """Number of months from a to b (b - a)."""
    return (int(b[:4]) - int(a[:4])) * 12 + int(b[5:7]) - int(a[5:7])


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """n-th (1-based) weekday of a month; n = -1 for the last one."""
    if n > 0:
        day = date(year, month, 1)
        day += timedelta(days=(weekday - day.weekday()) % 7)
        return day + timedelta(weeks=n - 1)
    day = date(year, month, calendar.monthrange(year, month)[1])
    return day - timedelta(days=(day.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def holidays(year: int) -> set[date]:
    """The days an ambulatory surgery practice is closed (federal holidays it observes)."""
    thanksgiving = _nth_weekday(year, 11, 3, 4)
    return {
        _observed(date(year, 1, 1)),
        _nth_weekday(year, 1, 0, 3),
        _nth_weekday(year, 2, 0, 3),
        _nth_weekday(year, 5, 0, -1),
        _observed(date(year, 7, 4)),
        _nth_weekday(year, 9, 0, 1),
        thanksgiving,
        thanksgiving + timedelta(days=1),
        _observed(date(year, 12, 25)),
    }


def business_day_on_or_before(day: date, closed: set[date] | None = None) -> date:
    closed = closed or set()
    while day.weekday() >= 5 or day in closed:
        day -= timedelta(days=1)
    return day


def short_date(day: date) -> str:
    """3/11/26: the F3's M/D/YY."""
    return f"{day.month}/{day.day}/{day.year % 100:02d}"


def long_date(day: date) -> str:
    """4/10/2026."""
    return f"{day.month}/{day.day}/{day.year}"


def month_label(month: str) -> str:
    """'2026-03' -> 'Mar 26' as F2 prints its month columns."""
    return f"{MONTH_ABBR[int(month[5:7])]} {month[2:4]}"


def month_name(month: str) -> str:
    return calendar.month_name[int(month[5:7])]
