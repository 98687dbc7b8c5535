"""A packet: its pages sorted into the five parts by title, each part read, checks run.

Parts are found by the title text on each page, never by page number: page counts change every
month and a part can be missing (no expense report) or run over several pages.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any

from data.extraction.charges import parse_charges
from data.extraction.checks import compute_checks
from data.extraction.compensation import parse_compensation
from data.extraction.errors import ExtractionError
from data.extraction.expenses import parse_expenses
from data.extraction.pages import Page, load_pages
from data.extraction.payroll import parse_payroll
from data.extraction.pooled import parse_pools
from data.extraction.tokens import month_number

# (part, title words as squashed text); the first part whose titles all appear wins.
PART_TITLES = (
    ("charges", ("tickettrackingreport",)),
    ("pools", ("pooledcompensationreport",)),
    ("expenses", ("physicianbusinessandmedicalexpensereport",)),
    ("compensation", ("physiciancompensationreport",)),
    ("payroll", ("period:", "paydate:")),
)


def classify_page(page: Page) -> str | None:
    """Which part a page belongs to, from its own title text (top of the page first)."""
    top = "".join(line.compact for line in page.lines[:12])
    whole = page.compact
    for text in (top, whole):
        for part, titles in PART_TITLES:
            if all(title in text for title in titles):
                return part
    return None


def _name_from_stub(pages: list[Page]) -> tuple[str | None, str | None]:
    """`Doe M.D., Jane 731` under `Employee Name` -> (`Jane Doe M.D.`, `731`)."""
    for page in pages:
        for i, line in enumerate(page.lines[:-1]):
            if "employeename" in line.compact:
                words = [w.text for w in page.lines[i + 1].words]
                if len(words) >= 2 and words[-1].isdigit():
                    name = " ".join(words[:-1])
                    if "," in name:
                        last, first = name.split(",", 1)
                        name = f"{first.strip()} {last.strip()}"
                    return name, words[-1]
    return None, None


def _period_from_month_name(month_name: str | None, pay_date: str | None) -> str | None:
    """`For the Month of March` + pay date 2026-04-10 -> 2026-03 (the pay month precedes)."""
    if not month_name or not pay_date:
        return None
    number = month_number(month_name.split()[0])
    if number is None:
        return None
    year, pay_month = int(pay_date[:4]), int(pay_date[5:7])
    if number > pay_month:
        year -= 1
    return f"{year:04d}-{number:02d}"


def read_packet(data: bytes, name: str, pages: list[Page]) -> dict:
    """The contract dict for a packet's pages; ExtractionError if none of its parts is found."""
    parts: dict[str, list[Page]] = {}
    for page in pages:
        part = classify_page(page)
        if part:
            parts.setdefault(part, []).append(page)
    if not parts and not any(page.lines for page in pages):
        raise ExtractionError(
            "not_a_packet",
            f"{name} holds no text to read (a scanned image?); use the packet PDF as the "
            "billing company sent it.",
        )
    if not parts:
        raise ExtractionError(
            "not_a_packet",
            f"{name} is a PDF but not a compensation packet (none of its five reports was "
            "found); check that it is the billing company's monthly packet.",
        )
    failures: list[dict] = []

    def read(part: str, parser, empty):
        """One part's parser; a layout it cannot handle costs that part, not the packet."""
        if part not in parts:
            return empty
        try:
            return parser(parts[part])
        except Exception as exc:  # reported under checks: never a traceback
            pages = ", ".join(str(page.number) for page in parts[part])
            failures.append(
                {
                    "name": f"read {part}",
                    "ok": False,
                    "detail": f"pages {pages} could not be read ({type(exc).__name__}: {exc})",
                }
            )
            return empty

    payroll, stub_info = read("payroll", parse_payroll, (None, {}))
    compensation, comp_info = read("compensation", parse_compensation, (None, {}))
    charges, charge_totals, pool_summary, charge_info = read(
        "charges", parse_charges, ([], None, [], {})
    )
    pools = read("pools", parse_pools, [])
    expenses = read("expenses", parse_expenses, None)
    read_anything = (
        payroll
        or (compensation or {}).get("lines")
        or charges
        or charge_totals
        or pools
        or (expenses or {}).get("lines")
        or (expenses or {}).get("total") is not None
    )
    if not read_anything and not failures:
        raise ExtractionError(
            "not_a_packet",
            f"{name} names a packet report but holds none of its tables; check that it is the "
            "billing company's monthly packet.",
        )

    stub_name, stub_number = read("payroll", _name_from_stub, (None, None))
    pay_date = stub_info.get("pay_date") or comp_info.get("pay_date")
    period = (
        stub_info.get("period")
        or charge_info.get("period")
        or _period_from_month_name(comp_info.get("month_name"), pay_date)
    )
    packet = {
        "source_file": name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "period": period,
        "pay_date": pay_date,
        "physician": {
            "name": comp_info.get("physician_name") or stub_name,
            "number": comp_info.get("physician_number") or stub_number,
        },
        "payroll": payroll,
        "compensation": compensation,
        "charges": charges,
        "charge_totals": charge_totals,
        "pool_summary": pool_summary,
        "pools": pools,
        "expenses": expenses,
    }
    _resolve_centuries(packet)
    packet["checks"] = failures + compute_checks(packet)
    return packet


#: A packet's dates lie within a few years of its pay period. The F3 and the expense report
#: print two-digit years (M/D/YY, M/YY), which the token readers take as 20YY; a date that
#: lands more than this many years after the period belongs to the century before (a 1999
#: packet's 12/28/99 is 1999, not 2099). The period and pay date print four digits.
FUTURE_YEARS = 10


_DATE_OR_MONTH = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


def _resolve_centuries(packet: dict) -> None:
    """Move every date and month (``YYYY-MM[-DD]``, anywhere in the packet: F3 lines, F2
    pool months, expenses) read into the wrong century back by 100 years."""
    period = packet.get("period")
    if not period:
        return
    latest = int(period[:4]) + FUTURE_YEARS

    def fixed(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: fixed(item) for key, item in value.items()}
        if isinstance(value, list):
            return [fixed(item) for item in value]
        if not isinstance(value, str) or not _DATE_OR_MONTH.match(value):
            return value
        if int(value[:4]) <= latest:
            return value
        earlier = f"{int(value[:4]) - 100:04d}{value[4:]}"
        try:  # 29 February exists in 2000 but not in 1900
            if len(earlier) == 10:
                dt.date.fromisoformat(earlier)
        except ValueError:
            return value
        return earlier

    for key, value in packet.items():
        if key not in ("period", "source_file", "sha256"):
            packet[key] = fixed(value)


def extract_packet(path: str | Path, password: str | None = None) -> dict:
    """Read one packet PDF into the JSON contract of extraction-json.md.

    Raises ExtractionError (with a one-line `message` and a `kind`) for a file that cannot be
    read as a packet; failed cross-checks never raise, they are listed under `checks`.
    """
    path = Path(path)
    data, pages = load_pages(path, password)
    return read_packet(data, path.name, pages)
