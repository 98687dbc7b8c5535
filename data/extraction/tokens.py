"""Reading single printed tokens: amounts, dates, months, times.

Amounts keep the type they were printed in (`139` stays an int, `139.00` a float) because the
contract wants numbers exactly as printed; `$`, thousands commas, a leading minus and
parentheses are all accepted, since report writers differ on each.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

AMOUNT_RE = re.compile(r"^(\()?\s*(-)?\s*\$?\s*(-)?(\d{1,3}(?:,\d{3})+|\d+)?(\.\d+)?\s*(\))?(-)?$")
DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")
SHORT_MONTH_RE = re.compile(r"^(\d{1,2})/(\d{2}|\d{4})$")
TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}


def parse_amount(token: str) -> int | float | None:
    """`1,234.50` -> 1234.5, `(11.13)` and `-412.50` negative, `139` -> 139; else None."""
    token = token.strip()
    if not token or not any(ch.isdigit() for ch in token):
        return None
    match = AMOUNT_RE.match(token)
    if not match:
        return None
    open_paren, minus1, minus2, whole, fraction, close_paren, trailing_minus = match.groups()
    if bool(open_paren) != bool(close_paren):
        return None
    if whole is None and fraction is None:
        return None
    negative = bool(open_paren or minus1 or minus2 or trailing_minus)
    digits = (whole or "0").replace(",", "")
    if fraction:
        value: int | float = float(digits + fraction)
    else:
        value = int(digits)
    if negative:
        value = -value
    return value


def is_amount(token: str) -> bool:
    return parse_amount(token) is not None


def parse_percent(token: str) -> float | None:
    """`40%` -> 0.40 (a weight); None if the token is no percentage."""
    if not token.endswith("%"):
        return None
    value = parse_amount(token[:-1])
    return None if value is None else round(value / 100, 6)


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def parse_date(token: str) -> str | None:
    """`2/27/26` or `04/10/2026` -> `2026-02-27`; None if it is no date."""
    match = DATE_RE.match(token.strip())
    if not match:
        return None
    month, day, year = int(match[1]), int(match[2]), _year(match[3])
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_short_month(token: str) -> str | None:
    """`1/26` -> `2026-01` (the F3's Original Chg Mo)."""
    match = SHORT_MONTH_RE.match(token.strip())
    if not match or not 1 <= int(match[1]) <= 12:
        return None
    return f"{_year(match[2]):04d}-{int(match[1]):02d}"


def parse_time(token: str) -> str | None:
    """`7:03` or `07:03` -> `07:03`."""
    match = TIME_RE.match(token.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        return None
    return f"{int(match[1]):02d}:{match[2]}"


def month_number(name: str) -> int | None:
    return MONTHS.get(name.strip().rstrip(".,").lower())


def parse_month_year(month: str, year: str) -> str | None:
    """(`Nov`, `25`) or (`March`, `2026`) -> `2025-11` / `2026-03`."""
    number = month_number(month)
    year = year.strip().strip("',")
    if number is None or not year.isdigit() or len(year) not in (2, 4):
        return None
    return f"{_year(year):04d}-{number:02d}"


def find_month_year(tokens: Sequence[str]) -> str | None:
    """The first `Month Year` pair among tokens (`March 2026`, `March, 2026`, `Mar 26`)."""
    for first, second in zip(tokens, tokens[1:], strict=False):
        month = parse_month_year(first, second)
        if month:
            return month
    return None
