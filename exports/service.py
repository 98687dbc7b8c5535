"""What each export holds: one function per entity asks the analytics layer for its rows.

The exporters (CSV, Excel, PDF) only format an :class:`ExportData`; the web route, the
CLI, the templates and the scheduled monthly summary all build it here, so a figure in
a file is the figure the page shows for the same range. Patient names are left out
unless the caller asks for them (``include_names``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.orm import Session

from analytics.analysis import CHART_NAMES, Chart, Series, build_chart
from analytics.browse import (
    CASE_COLUMNS,
    CPT_COLUMNS,
    TICKET_COLUMNS,
    Column,
    TablePage,
    cases_table,
    compensation_columns,
    cpt_table,
    tickets_table,
)
from analytics.bulk import bulk_load
from analytics.compensation import compensation_rows, monthly_figures
from analytics.metrics import as_date
from analytics.reports import glance, income_velocity, points_report
from data.models import ExportLog
from data.repositories import ExportLogRepository

FORMATS = ("csv", "excel", "pdf")
EXTENSIONS = {"csv": "csv", "excel": "xlsx", "pdf": "pdf"}
MIMETYPES = {
    "csv": "text/csv",
    "excel": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_YEAR = re.compile(r"^\d{4}$")


class ExportError(ValueError):
    """Input an export cannot use; the message says what to give instead."""


# --------------------------------------------------------------------------- ranges


@dataclass(frozen=True)
class DateRange:
    """Months from ``start`` to ``end`` (``YYYY-MM``, inclusive); None leaves a side open."""

    start: str | None = None
    end: str | None = None

    @property
    def label(self) -> str:
        """How the range reads in file names and titles: ``all``, ``2024``, ``2024-01_2024-06``."""
        if not self.start and not self.end:
            return "all"
        if self.start and self.end and self.start[:4] == self.end[:4]:
            if self.start.endswith("-01") and self.end.endswith("-12"):
                return self.start[:4]
            if self.start == self.end:
                return self.start
        return f"{self.start or 'start'}_{self.end or 'end'}"

    @property
    def text(self) -> str:
        """The range in words for report headers."""
        if not self.start and not self.end:
            return "all imported months"
        return f"{self.start or 'first month'} to {self.end or 'last month'}"

    @property
    def start_date(self) -> dt.date | None:
        return as_date(self.start) if self.start else None

    @property
    def end_date(self) -> dt.date | None:
        return as_date(self.end, end=True) if self.end else None

    def contains(self, month: str) -> bool:
        return (not self.start or month >= self.start) and (not self.end or month <= self.end)


def _side(text: str, end: bool) -> str:
    if _MONTH.match(text):
        return text
    if _YEAR.match(text):
        return f"{text}-12" if end else f"{text}-01"
    raise ExportError(
        f"'{text[:20]}' is not a month or a year: give 2024, 2024-03, 2024-01:2024-06 or all."
    )


def parse_date_range(text: str | None) -> DateRange:
    """``2024`` (a year), ``2024-03`` (a month), ``2024-01:2024-06``, ``all`` or nothing."""
    text = (text or "").strip().lower()
    if text in ("", "all"):
        return DateRange()
    first, _, last = text.partition(":")
    start = _side(first.strip(), end=False) if first.strip() else None
    end = (
        _side((last if _ else first).strip(), end=True) if (last if _ else first).strip() else None
    )
    if start and end and start > end:
        raise ExportError(f"The range starts ({start}) after it ends ({end}).")
    return DateRange(start, end)


def range_from_params(params: Mapping[str, str]) -> DateRange:
    """``range=`` as :func:`parse_date_range` reads it, else ``from``/``to`` months."""
    if (params.get("range") or "").strip():
        return parse_date_range(params.get("range"))
    start = (params.get("from") or "").strip()
    end = (params.get("to") or "").strip()
    if not start and not end:
        return DateRange()
    return parse_date_range(f"{start}:{end}")


# --------------------------------------------------------------------------- data


@dataclass
class ExportTable:
    """A table of an export: columns (with kinds for formats), rows and column totals."""

    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    sums: dict[str, float] = field(default_factory=dict)
    note: str = ""
    sheet: str = ""  # a short sheet name when the title is longer than Excel's 31 characters

    def only(self, keys: list[str]) -> ExportTable:
        """The same table with only the columns ``keys`` (in that order)."""
        by_key = {c.key: c for c in self.columns}
        return replace(self, columns=[by_key[k] for k in keys if k in by_key])


@dataclass
class ExportData:
    """Everything one export holds: key figures, tables (the first is the main one), charts."""

    entity: str
    title: str
    date_range: DateRange
    tables: list[ExportTable]
    charts: list[Chart] = field(default_factory=list)
    summary: list[tuple[str, Any, str]] = field(default_factory=list)  # label, value, kind
    include_names: bool = False
    name: str = ""  # file-name stem when not the entity (a template's name)
    generated: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))

    @property
    def main(self) -> ExportTable:
        return self.tables[0]

    def file_name(self, fmt: str) -> str:
        return f"{self.name or self.entity}-{self.date_range.label}.{EXTENSIONS[fmt]}"


@dataclass
class ExportRequest:
    """What the user asked for: range, fields of the main table, names, page filters."""

    date_range: DateRange = field(default_factory=DateRange)
    fields: list[str] = field(default_factory=list)
    include_names: bool = False
    filters: dict[str, str] = field(default_factory=dict)
    sections: list[str] = field(default_factory=list)


def _sum_columns(columns: list[Column], rows: list[dict[str, Any]], skip: tuple = ()) -> dict:
    sums: dict[str, float] = {}
    for column in columns:
        if column.kind in ("money", "points", "number", "int") and column.key not in skip:
            sums[column.key] = round(sum(r.get(column.key) or 0 for r in rows), 4)
    return sums


def _from_page(page: TablePage, request: ExportRequest, note: str = "") -> ExportTable:
    if not request.include_names:
        page = page.without_private()
    keys = {c.key for c in page.columns}
    sums = {k: round(v, 4) for k, v in page.sums.items() if k in keys}
    return ExportTable(page.title, list(page.columns), page.rows, sums, note)


def _page_params(request: ExportRequest, basis: str) -> dict[str, str]:
    """Page filters plus the range as the page's ``post_``/``service_`` date filters."""
    params = dict(request.filters)
    if request.date_range.start_date:
        params[f"{basis}_from"] = request.date_range.start_date.isoformat()
    if request.date_range.end_date:
        params[f"{basis}_to"] = request.date_range.end_date.isoformat()
    return params


def _monthly_chart(name: str, title: str, rows: list[dict], month_key: str, series: dict) -> Chart:
    """A bar chart of ``series`` (key -> label) summed by month of ``month_key``."""
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in rows:
        month = row.get(month_key)
        if isinstance(month, dt.date):
            month = f"{month.year:04d}-{month.month:02d}"
        if month:
            for key in series:
                totals[month][key] += row.get(key) or 0
    x = sorted(totals)
    return Chart(
        name,
        title,
        title,
        "bar",
        "Month",
        x,
        [Series(label, [round(totals[m][k], 2) for m in x]) for k, label in series.items()],
        "number",
    )


# --------------------------------------------------------------------------- entities

#: Compensation figures a user can pick, beyond the page's columns.
_COMPENSATION_EXTRA = [
    Column("gross_earnings", "Gross earnings (stub)", "money"),
    Column("clinical_pay", "Clinical compensation", "money"),
    Column("w2_income", "W-2 income", "money"),
    Column("after_tax_items", "After-tax items", "money"),
    Column("charge_lines", "Charge lines", "int"),
]
_NOT_SUMMED = ("ytd_total_compensation", "ytd_net_pay", "failed_checks")


def compensation_columns_all(pools: list[str]) -> list[Column]:
    """Every compensation column: the page's, then the other packet figures."""
    page = compensation_columns(pools)
    return page[:2] + _COMPENSATION_EXTRA[:2] + page[2:] + _COMPENSATION_EXTRA[2:]


def compensation_data(session: Session, request: ExportRequest) -> ExportData:
    """Pay per period, as the compensation page shows it (newest first), with a chart."""
    dr = request.date_range
    pools, rows = compensation_rows(session, dr.start, dr.end)
    page_keys = [c.key for c in compensation_columns(pools)]
    columns = compensation_columns_all(pools)
    table = ExportTable(
        "Compensation by pay period",
        columns,
        rows,
        _sum_columns(columns, rows, _NOT_SUMMED),
        "One row per pay period, as printed in the packet (period-to-date figures).",
    )
    if not request.fields:
        table = table.only(page_keys)
    oldest_first = list(reversed(rows))
    x = [r["period"] for r in oldest_first]
    chart = Chart(
        "compensation",
        "Pay by period",
        "How has my pay moved?",
        "line",
        "Pay period",
        x,
        [
            Series("Total compensation", [r.get("total_compensation") for r in oldest_first]),
            Series("Net pay", [r.get("net_pay") for r in oldest_first]),
        ],
        "money",
        "Dollars",
    )
    summary = [
        ("Pay periods", len(rows), "int"),
        ("Total compensation", table.sums.get("total_compensation"), "money"),
        ("Net pay", table.sums.get("net_pay"), "money"),
        ("Taxes withheld", table.sums.get("taxes"), "money"),
    ]
    return ExportData("compensation", "Compensation summary", dr, [table], [chart], summary)


def transactions_data(session: Session, request: ExportRequest) -> ExportData:
    """Every F3 charge line posted in the range (the tickets page with all rows)."""
    page = tickets_table(session, _page_params(request, "post"), all_rows=True)
    table = _from_page(page, request, "By date of post (the pay period that credits the line).")
    chart = _monthly_chart(
        "points_by_month",
        "Points by posting month",
        table.rows,
        "date_of_post",
        {"points": "Points"},
    )
    summary = [
        ("Charge lines", page.sums.get("lines"), "int"),
        ("Tickets", page.sums.get("tickets"), "int"),
        ("Points", page.sums.get("points"), "points"),
        ("Charges", page.sums.get("charge_amount"), "money"),
        ("Minutes", page.sums.get("anes_time_min"), "int"),
    ]
    return ExportData(
        "transactions", "Charge transactions", request.date_range, [table], [chart], summary
    )


def cases_data(session: Session, request: ExportRequest) -> ExportData:
    """Master cases served in the range (the cases page with all rows)."""
    page = cases_table(session, _page_params(request, "service"), all_rows=True)
    table = _from_page(page, request, "By date of service (when the case was done).")
    chart = _monthly_chart(
        "cases_by_month",
        "Cases and points by service month",
        [{**r, "cases": 1} for r in table.rows],
        "date_of_service",
        {"cases": "Cases", "points": "Points"},
    )
    summary = [
        ("Cases", page.sums.get("cases"), "int"),
        ("Points", page.sums.get("points"), "points"),
        ("Charges", page.sums.get("charge_amount"), "money"),
    ]
    return ExportData("cases", "Master cases", request.date_range, [table], [chart], summary)


def cpt_data(session: Session, request: ExportRequest) -> ExportData:
    """Per CPT code, the lines posted in the range (the CPT codes page)."""
    page = cpt_table(session, _page_params(request, "post"))
    table = _from_page(page, request, "Lines by date of post.")
    top = table.rows[:15]
    chart = Chart(
        "cpt_points",
        "Points by CPT code (top 15)",
        "Which procedures earn the most points?",
        "bar",
        "CPT code",
        [r["cpt_code"] or "" for r in top],
        [Series("Points", [r["points"] for r in top])],
        "points",
    )
    summary = [
        ("CPT codes", len(table.rows), "int"),
        ("Lines", page.sums.get("lines"), "int"),
        ("Points", page.sums.get("points"), "points"),
        ("Charges", page.sums.get("charge_amount"), "money"),
    ]
    return ExportData("cpt_codes", "CPT codes", request.date_range, [table], [chart], summary)


def chart_table(chart: Chart) -> ExportTable:
    """A chart's values as a table (its CSV rows)."""
    kind = {"money": "money", "points": "points"}.get(chart.value_format, "number")
    columns = [Column("x", chart.x_label)] + [
        Column(f"s{i}", s.name, {"money": "money"}.get(s.value_format or "", kind))
        for i, s in enumerate(chart.series)
    ]
    return ExportTable(chart.title, columns, chart.rows(), {}, chart.note)


def charts_data(session: Session, request: ExportRequest) -> ExportData:
    """The analysis page's charts (``chart=NAME`` for one), with their values."""
    wanted = request.filters.get("chart")
    if wanted and wanted not in CHART_NAMES:
        raise ExportError(
            f"There is no chart called {wanted[:40]}: use one of {', '.join(CHART_NAMES)}."
        )
    names = [wanted] if wanted else list(CHART_NAMES)
    dr = request.date_range
    charts = [build_chart(session, name, dr.start, dr.end) for name in names]
    title = charts[0].title if wanted else "Analysis charts"
    entity = f"chart-{wanted}" if wanted else "charts"
    return ExportData(entity, title, request.date_range, [chart_table(c) for c in charts], charts)


_CARD_COLUMNS = [
    Column("label", "Figure"),
    Column("month", "Month", "money"),
    Column("ytd", "Year to date", "money"),
    Column("same_month_last_year", "Same month last year", "money"),
    Column("month_percent_change", "Month change %", "percent"),
    Column("same_period_last_year", "YTD last year", "money"),
    Column("ytd_percent_change", "YTD change %", "percent"),
]


def insights_data(session: Session, request: ExportRequest) -> ExportData:
    """The insights cards (of the range's last month) and income velocity of its year."""
    months = [
        f.period for f in monthly_figures(session, request.date_range.start, request.date_range.end)
    ]
    period = months[-1] if months else None
    cards = glance(session, period) if period else {"figures": {}, "period": None}
    rows = [dict(card) for card in cards["figures"].values()]
    tables = [
        ExportTable(
            f"Insights cards, {cards['period'] or 'no month'}",
            _CARD_COLUMNS,
            rows,
            {},
            "Year to date as printed in the packet; last year from the packet 12 months earlier.",
        )
    ]
    charts: list[Chart] = []
    summary: list[tuple[str, Any, str]] = [("Month", cards["period"] or "none imported", "text")]
    if period:
        velocity = income_velocity(session, year=int(period[:4]))
        vrows = [r for r in velocity["months"] if r["month"] <= period]
        tables.append(
            ExportTable(
                f"Income velocity {velocity['year']} (total compensation)",
                [
                    Column("month", "Pay period"),
                    Column("value", "Month", "money"),
                    Column("ytd", "Running total", "money"),
                ],
                vrows,
                {},
                velocity.get("projection_label") or "",
                sheet=f"Income velocity {velocity['year']}",
            )
        )
        charts.append(
            Chart(
                "velocity",
                f"Year-to-date total compensation {velocity['year']}",
                "How fast is the year adding up?",
                "line",
                "Pay period",
                [r["month"] for r in vrows],
                [Series("Running total", [r["ytd"] for r in vrows])],
                "money",
            )
        )
        summary.append(("Run-rate projection to December", velocity.get("projection"), "money"))
    for row in rows:
        summary.append((f"{row['label']}, month", row["month"], "money"))
    return ExportData("insights", "Insights", request.date_range, tables, charts, summary)


def points_data(session: Session, request: ExportRequest) -> ExportData:
    """The ASMG points report: F3 totals by posting month and pool, printed M beside them."""
    dr = request.date_range
    report = points_report(session, dr.start, dr.end, by="post")
    columns = [
        Column("month", "Posting month"),
        Column("pool", "Pool"),
        Column("tickets", "Tickets", "int"),
        Column("lines", "Lines", "int"),
        Column("anes_time_min", "Minutes", "int"),
        Column("anes_base_units", "Anes units", "number"),
        Column("med_base_units", "Med units", "number"),
        Column("other_units", "Other units", "number"),
        Column("charge_amount", "Charges", "money"),
        Column("points", "Points (lines)", "points"),
        Column("printed_points", "Printed M (F2)", "points"),
        Column("points_difference", "Difference", "points"),
    ]
    rows = [r.to_dict() for r in report.rows]
    total = report.total.to_dict() if report.total else {}
    sums = {c.key: total.get(c.key) for c in columns[2:10] if total.get(c.key) is not None}
    table = ExportTable(
        "Points by posting month and pool",
        columns,
        rows,
        sums,
        "Points = 0.10 x minutes + 0.50 x anes units + 0.50 x med units at each line's rule; "
        "ALL rows are the month's total over every pool.",
        sheet="Points by month and pool",
    )
    all_rows = [r for r in rows if r["pool"] == "ALL"]
    chart = Chart(
        "points",
        "Points by posting month",
        "How many points were credited each month?",
        "bar",
        "Posting month",
        [r["month"] for r in all_rows],
        [
            Series("Points (lines)", [r["points"] for r in all_rows]),
            Series("Printed M", [r["printed_points"] for r in all_rows]),
        ],
        "points",
    )
    summary = [
        ("Lines", total.get("lines"), "int"),
        ("Points", total.get("points"), "points"),
        ("Charges", total.get("charge_amount"), "money"),
    ]
    return ExportData("points", "ASMG points report", dr, [table], [chart], summary)


#: YTD figures of the tax-prep template, in the packet's own words.
TAX_FIELDS = [
    ("gross_earnings", "Gross earnings (stub)"),
    ("clinical_pay", "Clinical compensation"),
    ("stipends", "Stipends and other"),
    ("total_compensation", "Total compensation"),
    ("overhead", "Overhead"),
    ("deductions", "Deductions before taxes"),
    ("w2_income", "W-2 income"),
    ("taxes", "Payroll taxes withheld"),
    ("after_tax_items", "After-tax items"),
    ("net_pay", "Net pay"),
]


def ytd_table(session: Session, dr: DateRange, keys: list[str]) -> ExportTable:
    """Per calendar year, the year-to-date figures the range's last packet of that year
    prints (what the W-2 and the accountant see), and how many months that covers."""
    last_of_year: dict[str, Any] = {}
    for figures in monthly_figures(session, dr.start, dr.end):
        last_of_year[figures.period[:4]] = figures
    labels = dict(TAX_FIELDS)
    columns = [Column("year", "Year"), Column("through", "Through pay period")] + [
        Column(k, f"YTD {labels.get(k, k)}", "money") for k in keys if k in labels
    ]
    rows = []
    for year, figures in sorted(last_of_year.items()):
        row: dict[str, Any] = {"year": year, "through": figures.period}
        for key in keys:
            if key == "gross_earnings":
                row[key] = figures.gross_earnings_ytd
            elif key in labels:
                row[key] = figures.ytd.get(key)
        rows.append(row)
    return ExportTable(
        "Year-to-date totals",
        columns,
        rows,
        {},
        "As printed in the year's last packet in the range (the Year to Date column).",
    )


def forecast_data(session: Session, request: ExportRequest) -> ExportData:
    """The forecast page's default forecast (analytics.forecasting, issue 8): the next
    twelve months with 80 % and 95 % bands. The range does not apply (it is the future)."""
    from analytics.forecasting import IncomeForecast

    forecast = IncomeForecast(session).forecast(months_forward=12)
    rows = [
        {
            "month": month,
            "value": forecast.values[i],
            "lower_80": _at(forecast.lower_80, i),
            "upper_80": _at(forecast.upper_80, i),
            "lower_95": _at(forecast.lower_95, i),
            "upper_95": _at(forecast.upper_95, i),
            "interval": _at(forecast.interval_method, i),
        }
        for i, month in enumerate(forecast.months)
    ]
    columns = [
        Column("month", "Pay period"),
        Column("value", "Forecast", "money"),
        Column("lower_80", "80 % low", "money"),
        Column("upper_80", "80 % high", "money"),
        Column("lower_95", "95 % low", "money"),
        Column("upper_95", "95 % high", "money"),
        Column("interval", "Interval from"),
    ]
    note = f"{forecast.label} of {forecast.metric} from {forecast.origin or 'no data'}. "
    table = ExportTable("Forecast", columns, rows, {}, note + (forecast.note or ""))
    chart = Chart(
        "forecast",
        "Forecast with 95 % band",
        "What will I be paid in the coming months?",
        "line",
        "Pay period",
        list(forecast.months),
        [
            Series("Forecast", list(forecast.values)),
            Series("95 % low", [_at(forecast.lower_95, i) for i in range(len(rows))]),
            Series("95 % high", [_at(forecast.upper_95, i) for i in range(len(rows))]),
        ],
        "money",
    )
    summary = [
        ("Model", forecast.label, "text"),
        ("Next 3 months", round(forecast.total(3), 2), "money"),
        ("Next 12 months", round(forecast.total(12), 2), "money"),
    ]
    return ExportData("forecast", "Income forecast", DateRange(), [table], [chart], summary)


def _at(values: list, index: int) -> Any:
    return values[index] if index < len(values) else None


AUDIT_MONTH_COLUMNS = [
    Column("month", "Service month"),
    Column("logged", "Expected (logged)", "int"),
    Column("billed", "Billed", "int"),
    Column("matched", "Matched", "int"),
    Column("missing", "Missing", "int"),
    Column("unexpected", "Not in log", "int"),
    Column("variance_percent", "Variance %", "percent"),
    Column("flagged", "Flagged"),
]
AUDIT_CASE_COLUMNS = [
    Column("date_of_service", "Date of service"),
    Column("ticket", "Ticket"),
    Column("date_of_post", "First posted"),
    Column("days", "Days to post", "int"),
    Column("status", "Status"),
    Column("period", "Packet"),
]


def audit_data(session: Session, request: ExportRequest) -> ExportData:
    """The billing audit (analytics.audit, issue 9) over the range: expected cases by
    month, billed cases, and the discrepancies, each citing its packet and page."""
    from dataclasses import asdict

    from analytics.audit import REPORT_COLUMNS, BillingAudit

    dr = request.date_range
    bounds = None
    if dr.start_date or dr.end_date:
        bounds = (dr.start_date, dr.end_date)
    try:
        report = BillingAudit(session).generate_audit_report(bounds)
    except ValueError as error:
        raise ExportError(f"The audit cannot run: {error}.") from None
    months = []
    for month in report.months:
        row = asdict(month)
        row["variance_percent"] = None if month.variance is None else month.variance * 100
        row["flagged"] = "yes" if month.flagged else ""
        months.append(row)
    kinds = {"money": ("dollars",), "points": ("points",), "int": ("page", "log_row")}
    finding_columns = [
        Column(key, label, next((k for k, keys in kinds.items() if key in keys), "text"))
        for key, label in REPORT_COLUMNS
    ]
    if request.include_names:
        finding_columns.insert(2, Column("patient", "Patient", private=True))
    sections = request.sections or ["expected_cases", "billed_cases", "discrepancies"]
    tables = []
    if "expected_cases" in sections:
        tables.append(
            ExportTable(
                "Expected cases (case log) against billed cases, by service month",
                AUDIT_MONTH_COLUMNS,
                months,
                _sum_columns(AUDIT_MONTH_COLUMNS[:6], months),
                sheet="Expected vs billed",
            )
        )
    if "billed_cases" in sections:
        tables.append(
            ExportTable(
                "Billed and missing cases",
                AUDIT_CASE_COLUMNS,
                [asdict(row) for row in report.timeline],
                {},
                "Every logged or billed case of the range and when it posted.",
            )
        )
    if "discrepancies" in sections:
        tables.append(
            ExportTable(
                "Discrepancies",
                finding_columns,
                [
                    {k: (None if v == "" else v) for k, v in r.items()}
                    for r in report.report_rows(request.include_names)
                ],
                {},
                "Each finding names its ticket, packet (pay period) and PDF page.",
            )
        )
    counts = report.counts()
    summary: list[tuple[str, Any, str]] = [
        ("Audited dates", f"{report.start} to {report.end}", "text"),
        ("Logged cases", report.log_rows, "int"),
        ("Billed cases", report.billed_cases, "int"),
        ("Matched", len(report.matches), "int"),
    ] + [(kind.replace("_", " ").capitalize(), n, "int") for kind, n in counts.items() if n]
    audit_range = DateRange(f"{report.start:%Y-%m}", f"{report.end:%Y-%m}")
    return ExportData("audit", "Billing audit", audit_range, tables or [], [], summary)


def monthly_summary_entity(session: Session, request: ExportRequest) -> ExportData:
    """One pay period's summary (the range's last month; ``exports.monthly``)."""
    from exports.monthly import monthly_summary_data

    period = request.date_range.end or request.date_range.start
    if not period:
        raise ExportError("A monthly summary is of one month: give its pay period, e.g. 2024-06.")
    return monthly_summary_data(session, period)


Builder = Callable[[Session, ExportRequest], ExportData]

#: Entity name -> builder. ``tickets`` is the tickets page's name for transactions.
ENTITIES: dict[str, Builder] = {
    "compensation": compensation_data,
    "transactions": transactions_data,
    "tickets": transactions_data,
    "cases": cases_data,
    "cpt_codes": cpt_data,
    "charts": charts_data,
    "insights": insights_data,
    "points": points_data,
    "forecast": forecast_data,
    "audit": audit_data,
    "monthly_summary": monthly_summary_entity,
}

ENTITY_LABELS = {
    "compensation": "Compensation by pay period",
    "transactions": "Charge transactions (F3 lines)",
    "cases": "Master cases",
    "cpt_codes": "CPT codes",
    "charts": "Analysis charts",
    "insights": "Insights cards",
    "points": "ASMG points report",
    "forecast": "Income forecast",
    "audit": "Billing audit",
    "monthly_summary": "Monthly summary (one pay period)",
}


def entity_fields(session: Session, entity: str) -> list[Column]:
    """The columns a user can pick for ``entity``'s main table (names only if asked)."""
    if entity == "compensation":
        pools, _rows = compensation_rows(session)
        return compensation_columns_all(pools)
    static = {
        "transactions": TICKET_COLUMNS,
        "tickets": TICKET_COLUMNS,
        "cases": CASE_COLUMNS,
        "cpt_codes": CPT_COLUMNS,
    }
    return list(static.get(entity, []))


def build_export(session: Session, entity: str, request: ExportRequest) -> ExportData:
    """The data of an export of ``entity``, its main table cut to ``request.fields``."""
    builder = ENTITIES.get(entity)
    if builder is None:
        raise ExportError(
            f"Cannot export '{entity[:40]}': choose one of {', '.join(sorted(ENTITY_LABELS))}."
        )
    try:
        with bulk_load():
            data = builder(session, request)
    except ImportError as missing:  # forecast/audit need their own libraries
        raise ExportError(
            f"{ENTITY_LABELS.get(entity, entity)} is not available: {missing}."
        ) from None
    data.include_names = request.include_names
    if request.fields:
        known = {c.key for c in entity_fields(session, entity)} or {
            c.key for c in data.main.columns
        }
        unknown = [f for f in request.fields if f not in known]
        if unknown:
            raise ExportError(
                f"Unknown field(s) for {entity}: {', '.join(u[:30] for u in unknown[:5])}. "
                f"Fields: {', '.join(sorted(known))}."
            )
        private = {c.key for c in entity_fields(session, entity) if c.private}
        if private & set(request.fields) and not request.include_names:
            raise ExportError(
                "Patient names are left out of exports unless you ask for them: tick 'Include "
                "patient names' (or give --include-names)."
            )
        data.tables[0] = data.main.only(request.fields)
    return data


def entity_data(
    session: Session | None,
    entity: str,
    date_range: DateRange | str | None = None,
    filters: Mapping[str, str] | None = None,
) -> ExportData:
    """The design's exporter methods' data: ``entity`` over a range (text or DateRange)
    with page filters. The exporters hold a session only for these methods."""
    if session is None:
        raise ValueError("the exporter needs a session to fetch its data")
    dr = date_range if isinstance(date_range, DateRange) else parse_date_range(date_range)
    return build_export(session, entity, ExportRequest(date_range=dr, filters=dict(filters or {})))


def record_export(
    session: Session,
    data: ExportData,
    fmt: str,
    filename: str,
    size: int,
    *,
    template: str | None = None,
    stored_path: Any = None,
) -> ExportLog:
    """One line of download history (no patient data: type, entity, range, file, size)."""
    entry = ExportLog(
        export_type=fmt,
        entity_type=data.entity,
        date_range_start=data.date_range.start_date,
        date_range_end=data.date_range.end_date,
        filename=filename,
        file_size=size,
        template_name=template,
        stored_path=str(stored_path) if stored_path else None,
    )
    return ExportLogRepository(session).save(entry)
