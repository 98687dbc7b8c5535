"""Table pages: charge lines (tickets), cases and CPT codes, filtered, sorted and paged.

Each builder takes the request's query parameters as a plain mapping of strings and
returns a :class:`TablePage`: the page, its CSV and its JSON are all made from it, so
the three always agree. A parameter that cannot be understood is reported in
``problems`` and ignored, never a crash.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import astuple, dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from analytics.cache import cached
from data.models import ChargeTransaction, MasterCase
from data.repositories import (
    SUMMED_COLUMNS,
    ChargeFilters,
    ChargeTransactionRepository,
    MasterCaseRepository,
    MonthlySummaryRepository,
)

PAGE_SIZES = (25, 50, 100, 250, 1000)
DEFAULT_PAGE_SIZE = 50
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_CODE = re.compile(r"^[A-Za-z0-9 ._-]{1,20}$")


@dataclass(frozen=True)
class Column:
    """A table column: its key in each row, its heading, and how to show its values."""

    key: str
    label: str
    kind: str = "text"  # text | int | number | money | date | points | percent
    private: bool = False  # patient data: left out of exports unless asked for

    @property
    def css_class(self) -> str:
        """How its cells align: numbers right, dates kept on one line."""
        if self.kind in ("int", "number", "money", "points"):
            return "num"
        return "date" if self.kind == "date" else ""


def format_cell(value: Any, kind: str = "text") -> str:
    """A value as a table shows it (``$1,234.50``, ``-$3.00``, ``1,229.52``, ``1,024``).
    Python, not a template macro: a 250-row page has over 7,000 cells."""
    if value is None:
        return ""
    if kind == "money":
        return f"-${abs(value):,.2f}" if value < 0 else f"${value:,.2f}"
    if kind in ("points", "number"):
        return f"{value:,.2f}"
    if kind == "int":
        return f"{value:,.0f}"
    return str(value)


@dataclass
class TablePage:
    """What a table page shows, and what its .csv/.json answer."""

    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    total: int
    page: int = 1
    per_page: int | None = DEFAULT_PAGE_SIZE
    sort: str | None = None
    descending: bool = False
    sums: dict[str, float] = field(default_factory=dict)
    filters: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        if not self.per_page:
            return 1
        return max(1, math.ceil(self.total / self.per_page))

    def without_private(self) -> TablePage:
        """The same table without patient-data columns (exports, unless asked for)."""
        keep = [c for c in self.columns if not c.private]
        keys = {c.key for c in keep}
        rows = [
            {k: v for k, v in row.items() if k in keys or k.startswith("_")} for row in self.rows
        ]
        return TablePage(
            self.title,
            keep,
            rows,
            self.total,
            self.page,
            self.per_page,
            self.sort,
            self.descending,
            self.sums,
            self.filters,
            self.problems,
        )

    def to_dict(self) -> dict[str, Any]:
        def plain(value: Any) -> Any:
            return value.isoformat() if isinstance(value, dt.date) else value

        return {
            "title": self.title,
            "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in self.columns],
            "rows": [{c.key: plain(row.get(c.key)) for c in self.columns} for row in self.rows],
            "total": self.total,
            "page": self.page,
            "pages": self.pages,
            "per_page": self.per_page,
            "sort": self.sort,
            "descending": self.descending,
            "sums": self.sums,
            "filters": self.filters,
            "problems": self.problems,
        }


# --------------------------------------------------------------------------- parameters


def _date(value: str) -> dt.date:
    value = value.strip()
    for pattern in ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y"):
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValueError(value)


@dataclass
class ParsedQuery:
    filters: ChargeFilters
    shown: dict[str, str]
    problems: list[str]
    page: int
    per_page: int | None
    sort: str | None
    descending: bool


_TEXT_FILTERS = {
    "ticket": "ticket",
    "cpt": "cpt",
    "service_type": "service_type",
    "pay_code": "pay_code",
    "pool": "pool",
    "note": "note",
}
_DATE_FILTERS = ("service_from", "service_to", "post_from", "post_to")
_MONTH_FILTERS = ("post_month", "service_month")


def parse_query(
    params: Mapping[str, str], sortable: tuple[str, ...], *, all_rows: bool = False
) -> ParsedQuery:
    """Filters, paging and sort from query parameters; what cannot be read goes to problems."""
    filters = ChargeFilters()
    shown: dict[str, str] = {}
    problems: list[str] = []
    text = (params.get("q") or "").strip()
    if text:
        filters.text = text[:100]
        shown["q"] = filters.text
    for name, attribute in _TEXT_FILTERS.items():
        value = (params.get(name) or "").strip()
        if not value:
            continue
        if not _CODE.match(value):
            problems.append(f"'{name}' must be a code such as 45380 or UTCS; ignored.")
            continue
        setattr(filters, attribute, value)
        shown[name] = value
    for name in _DATE_FILTERS:
        value = (params.get(name) or "").strip()
        if not value:
            continue
        try:
            setattr(filters, name, _date(value))
            shown[name] = value
        except ValueError:
            problems.append(f"'{name}' must be a date like 2025-03-31; '{value[:20]}' ignored.")
    for name in _MONTH_FILTERS:
        value = (params.get(name) or "").strip()
        if not value:
            continue
        if _MONTH.match(value):
            setattr(filters, name, value)
            shown[name] = value
        else:
            problems.append(f"'{name}' must be a month like 2025-03; '{value[:20]}' ignored.")
    packet = (params.get("packet") or "").strip()
    if packet:
        if packet.isdigit():
            filters.packet_id = int(packet)
            shown["packet"] = packet
        else:
            problems.append("'packet' must be a packet number; ignored.")

    page = 1
    raw_page = (params.get("page") or "1").strip()
    if raw_page.isdigit() and int(raw_page) >= 1:
        page = min(int(raw_page), 1_000_000)
    else:
        problems.append("'page' must be a whole number from 1; showing page 1.")
    per_page: int | None = None if all_rows else DEFAULT_PAGE_SIZE
    raw_size = (params.get("per_page") or "").strip()
    if raw_size and not all_rows:
        if raw_size.isdigit() and int(raw_size) in PAGE_SIZES:
            per_page = int(raw_size)
        else:
            problems.append(f"'per_page' must be one of {', '.join(map(str, PAGE_SIZES))}.")
    sort = (params.get("sort") or "").strip() or None
    if sort is not None and sort not in sortable:
        problems.append(f"Cannot sort by '{sort[:30]}'; sorted by the default column.")
        sort = None
    descending = (params.get("dir") or "").strip().lower() == "desc"
    return ParsedQuery(filters, shown, problems, page, per_page, sort, descending)


# --------------------------------------------------------------------------- tickets

TICKET_COLUMNS = [
    Column("ticket", "Ticket"),
    Column("note", "Note"),
    Column("patient_name", "Patient", private=True),
    Column("date_of_service", "Service", "date"),
    Column("date_of_post", "Posted", "date"),
    Column("original_charge_month", "Orig. mo"),
    Column("service_type", "Type"),
    Column("cpt_code", "CPT"),
    Column("pay_code", "Pay code"),
    Column("start_time", "Start"),
    Column("stop_time", "Stop"),
    Column("ob_case_position", "OB"),
    Column("split_percent", "Split %", "number"),
    Column("anes_time_min", "Minutes", "int"),
    Column("anes_base_units", "Anes units", "number"),
    Column("med_base_units", "Med units", "number"),
    Column("other_units", "Other units", "number"),
    Column("charge_amount", "Charge", "money"),
    Column("sub_pool", "Pool"),
    Column("points", "Points", "points"),
    Column("page", "PDF page", "int"),
]


def _line_row(line: ChargeTransaction, periods: dict[int, str]) -> dict[str, Any]:
    row: dict[str, Any] = {c.key: getattr(line, c.key) for c in TICKET_COLUMNS}
    row["_packet_id"] = line.packet_id
    row["_period"] = periods.get(line.packet_id)
    return row


def _packet_periods(session: Session) -> dict[int, str]:
    """Each stored packet's pay period, by packet id (read once per data version)."""
    return cached(
        session,
        "packet_periods",
        lambda: {p.id: p.period for p in MonthlySummaryRepository(session).list_all()},
    )


def _search_page(
    repo: ChargeTransactionRepository | MasterCaseRepository,
    params: Mapping[str, str],
    *,
    all_rows: bool,
    default_sort: str,
    title: str,
    columns: list[Column],
    to_row: Callable[[Any], dict[str, Any]],
) -> TablePage:
    """One search page of a repository: parse the query, search in SQL, build the table."""
    query = parse_query(params, repo.SORTABLE, all_rows=all_rows)
    offset = (query.page - 1) * (query.per_page or 0)
    # The count and sums scan every matching row; the page itself reads only its rows.
    # Keep the totals per filter set until the data changes (a career is 50,000+ lines).
    sums = cached(
        repo.session,
        ("search_totals", type(repo).__name__, astuple(query.filters)),
        lambda: repo.search_totals(query.filters),
    )
    rows = repo.search_rows(
        query.filters, query.sort or default_sort, query.descending, offset, query.per_page
    )
    return TablePage(
        title=title,
        columns=columns,
        rows=[to_row(row) for row in rows],
        total=int(sums[repo.COUNT_KEY]),
        page=query.page,
        per_page=query.per_page,
        sort=query.sort,
        descending=query.descending,
        sums=dict(sums),
        filters=query.shown,
        problems=query.problems,
    )


def tickets_table(
    session: Session, params: Mapping[str, str], *, all_rows: bool = False
) -> TablePage:
    """Every charge line matching the filters (the F3 lines of all packets)."""
    periods = _packet_periods(session)
    return _search_page(
        ChargeTransactionRepository(session), params, all_rows=all_rows,
        default_sort="date_of_post", title="Charge lines", columns=TICKET_COLUMNS,
        to_row=lambda line: _line_row(line, periods),
    )  # fmt: skip


def filter_choices(session: Session) -> dict[str, list[str]]:
    """The values each drop-down filter offers, from the stored lines (four scans of every
    line, so read once per data version)."""
    repo = ChargeTransactionRepository(session)
    return cached(
        session,
        "filter_choices",
        lambda: {
            "service_type": repo.distinct_values("service_type"),
            "pay_code": repo.distinct_values("pay_code"),
            "pool": repo.distinct_values("sub_pool"),
            "note": repo.distinct_values("note"),
        },
    )


# --------------------------------------------------------------------------- cases

CASE_COLUMNS = [
    Column("ticket", "Ticket"),
    Column("patient_name", "Patient", private=True),
    Column("date_of_service", "Service", "date"),
    Column("first_start_time", "Start"),
    Column("cpt_codes", "CPT codes"),
    Column("pay_code", "Pay code"),
    Column("sub_pool", "Pool"),
    Column("line_count", "Lines", "int"),
    Column("anes_time_min", "Minutes", "int"),
    Column("anes_base_units", "Anes units", "number"),
    Column("med_base_units", "Med units", "number"),
    Column("other_units", "Other units", "number"),
    Column("charge_amount", "Charges", "money"),
    Column("points", "Points", "points"),
    Column("first_post_date", "First posted", "date"),
    Column("last_post_date", "Last posted", "date"),
]


def _case_row(case: MasterCase) -> dict[str, Any]:
    return {c.key: getattr(case, c.key) for c in CASE_COLUMNS}


def cases_table(
    session: Session, params: Mapping[str, str], *, all_rows: bool = False
) -> TablePage:
    """Master cases (one per ticket, over all its lines) matching the filters."""
    return _search_page(
        MasterCaseRepository(session), params, all_rows=all_rows,
        default_sort="date_of_service", title="Cases", columns=CASE_COLUMNS, to_row=_case_row,
    )  # fmt: skip


@dataclass
class CaseDetail:
    """A case and every line it has, across the packets they posted in."""

    case: dict[str, Any]
    lines: TablePage


def case_detail(session: Session, ticket: str) -> CaseDetail | None:
    case = MasterCaseRepository(session).find_by_patient_ticket(ticket)
    if case is None:
        return None
    lines = tickets_table(session, {"ticket": ticket}, all_rows=True)
    lines.title = f"Lines of ticket {ticket}"
    return CaseDetail(_case_row(case), lines)


# --------------------------------------------------------------------------- CPT codes

CPT_COLUMNS = [
    Column("cpt_code", "CPT"),
    Column("cases", "Cases", "int"),
    Column("lines", "Lines", "int"),
    Column("anes_time_min", "Minutes", "int"),
    Column("avg_minutes", "Avg min/case", "number"),
    Column("anes_base_units", "Anes units", "number"),
    Column("med_base_units", "Med units", "number"),
    Column("other_units", "Other units", "number"),
    Column("charge_amount", "Charges", "money"),
    Column("points", "Points", "points"),
    Column("points_per_case", "Points/case", "points"),
    Column("points_per_hour", "Points/hour", "points"),
]
_CPT_SORTABLE = tuple(c.key for c in CPT_COLUMNS)


def cpt_table(session: Session, params: Mapping[str, str], *, all_rows: bool = False) -> TablePage:
    """Per CPT code: cases, minutes, units, charges and points of the matching lines."""
    query = parse_query(params, _CPT_SORTABLE, all_rows=True)
    repo = ChargeTransactionRepository(session)
    per_cpt = cached(session, ("per_cpt", repr(query.filters)), lambda: repo.per_cpt(query.filters))
    rows = [dict(row) for row in per_cpt]
    for row in rows:
        cases, minutes = row["cases"] or 0, row["anes_time_min"] or 0.0
        row["avg_minutes"] = round(minutes / cases, 1) if cases else None
        row["points_per_case"] = round(row["points"] / cases, 2) if cases else None
        row["points_per_hour"] = round(row["points"] / (minutes / 60), 2) if minutes > 0 else None
    sort = query.sort or "points"
    descending = query.descending if query.sort else True
    rows.sort(
        key=lambda r: (
            (r.get(sort) is None, r.get(sort) or 0)
            if sort != "cpt_code"
            else (False, r.get("cpt_code") or "")
        ),
        reverse=descending,
    )
    sums = {key: float(sum(r[key] or 0 for r in rows)) for key in ("lines", *SUMMED_COLUMNS)}
    return TablePage(
        "CPT codes",
        CPT_COLUMNS,
        rows,
        len(rows),
        1,
        None,
        sort,
        descending,
        sums,
        query.shown,
        query.problems,
    )


# --------------------------------------------------------------------------- compensation


def compensation_columns(pools: list[str]) -> list[Column]:
    """The compensation table's columns, with one clinical-pay column per pool."""
    return [
        Column("period", "Pay period"),
        Column("pay_date", "Pay date", "date"),
        Column("total_compensation", "Total comp.", "money"),
        *[Column(f"pool_{code}", f"Clinical {code}", "money") for code in pools],
        Column("stipends", "Stipends", "money"),
        Column("overhead", "Overhead", "money"),
        Column("deductions", "Deductions", "money"),
        Column("taxes", "Taxes", "money"),
        Column("net_pay", "Net pay", "money"),
        Column("ytd_total_compensation", "YTD total comp.", "money"),
        Column("ytd_net_pay", "YTD net pay", "money"),
        Column("points", "Points (M)", "points"),
        Column("failed_checks", "Failed checks", "int"),
    ]
