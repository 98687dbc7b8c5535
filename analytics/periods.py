"""Month arithmetic on ``YYYY-MM`` strings, the way packets name their periods."""

from __future__ import annotations

import datetime as dt


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
