"""The executive insights page, assembled from the analytics engine.

Cards (this month, year to date, last year, earned not yet paid), comparison charts for a
chosen metric and date range, workload, income velocity and alerts. Every figure carries
a drill-down target; every chart is a :class:`~analytics.analysis.Chart`, so the page,
its PNG and its CSV come from one object.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from analytics.alerts import Alert, all_alerts
from analytics.analysis import Chart, Series, Target
from analytics.browse import TICKET_COLUMNS, TablePage
from analytics.cache import cached
from analytics.comparisons import METRICS, PeriodComparison, metric_info
from analytics.compensation import SECTION_FIGURES, section_anchor
from analytics.forecasting import year_end_projection
from analytics.metrics import WorkloadMetrics
from analytics.periods import month_add, month_range
from analytics.pipeline import pay_pipeline
from analytics.reports import drilldown_lines, drilldown_lines_page, glance, income_velocity
from data.repositories import SUMMED_COLUMNS

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
#: Metrics the comparison picker offers (pay-period and workload figures).
PICKER_METRICS = ("total_compensation", "clinical_pay", "net_pay", "gross_earnings",
                  "stipends", "points", "adjusted_points", "rate", "cases", "minutes",
                  "charges")  # fmt: skip
CHART_NAMES = ("ranges", "years", "quarters", "workload", "velocity")


@dataclass
class Card:
    label: str
    value: float | None
    unit: str  # "$" | "points" | ...
    target: Target | None
    detail: str = ""
    change: float | None = None  # percent


@dataclass
class InsightsQuery:
    """The page's choices: metric and the range compared with the year before."""

    metric: str
    start: str
    end: str
    problems: list[str] = field(default_factory=list)


@dataclass
class InsightsView:
    period: str | None
    query: InsightsQuery
    cards: list[Card]
    charts: list[Chart]
    workload_cards: list[Card]
    velocity: dict[str, Any]
    alerts: list[Alert]
    pipeline_rows: list[dict[str, Any]]
    metrics: list[tuple[str, str]]


def parse_insights_query(session: Session, params: Mapping[str, str]) -> InsightsQuery:
    """Metric and range from the query; defaults: total compensation, the last 12 months."""
    problems: list[str] = []
    metric = (params.get("metric") or "total_compensation").strip()
    if metric not in PICKER_METRICS:
        problems.append(f"Unknown metric '{metric[:30]}'; showing total compensation.")
        metric = "total_compensation"
    months = sorted(PeriodComparison(session).monthly_values("total_compensation"))
    latest = months[-1] if months else dt.date.today().strftime("%Y-%m")
    end = (params.get("to") or "").strip() or latest
    if not _MONTH.match(end):
        problems.append(f"'to' must be a month like 2025-03; showing up to {latest}.")
        end = latest
    start = (params.get("from") or "").strip() or month_add(end, -11)
    if not _MONTH.match(start):
        problems.append("'from' must be a month like 2025-03; showing 12 months.")
        start = month_add(end, -11)
    if start > end:
        problems.append("'from' is after 'to'; swapped them.")
        start, end = end, start
    if len(month_range(start, end)) > 60:
        problems.append("A range of at most 60 months is compared; shortened.")
        start = month_add(end, -59)
    return InsightsQuery(metric, start, end, problems)


def _metric_target(metric: str, period: str) -> Target:
    """Where a metric's value for a month comes from."""
    if metric in SECTION_FIGURES:
        return (
            "compensation_month",
            {"period": period, "_anchor": section_anchor(SECTION_FIGURES[metric][0])},
        )
    if metric in ("points", "charges"):
        return ("tickets", {"post_month": period})
    if metric in ("cases", "minutes"):
        return ("cases", {"service_month": period})
    return ("compensation_month", {"period": period, "_anchor": "pools"})


def _value_format(metric: str) -> str:
    unit = metric_info(metric).unit
    return "money" if unit in ("$", "$/point") else "number"


def ranges_chart(session: Session, query: InsightsQuery) -> Chart:
    """Month vs the same month a year earlier, side by side, over the chosen range."""
    info = metric_info(query.metric)
    before = (month_add(query.start, -12), month_add(query.end, -12))
    comparison = PeriodComparison(session).compare_ranges(
        query.metric, (query.start, query.end), before
    )
    rows = comparison.rows
    x = [row.period for row in rows]
    return Chart(
        "ranges",
        f"{info.label}: month vs a year earlier",
        "How does each month compare with the same month last year?",
        "bar",
        "Month",
        x,
        [
            Series(
                f"{query.start[:4]}–{query.end[:4]}"
                if query.start[:4] != query.end[:4]
                else query.end[:4],
                [row.value for row in rows],
                [_metric_target(query.metric, row.period) for row in rows],
            ),
            Series(
                "A year earlier",
                [row.previous for row in rows],
                [
                    _metric_target(query.metric, row.previous_period)
                    if row.previous_period
                    else None
                    for row in rows
                ],
            ),
        ],
        _value_format(query.metric),
        info.unit,
        f"Counted by {info.basis}. Source: {info.source}.",
    )


#: Years drawn on the year-vs-year chart: the range's last year and the ones before it
#: (thirty lines on one chart cannot be read, and would cost thirty times the drawing).
YEARS_COMPARED = 5


def years_chart(session: Session, query: InsightsQuery) -> Chart:
    """Year vs year, month by month (Jan..Dec): the range's last year and the
    :data:`YEARS_COMPARED` - 1 years before it that have data."""
    info = metric_info(query.metric)
    values = PeriodComparison(session).monthly_values(query.metric)
    with_data = {month[:4] for month, value in values.items() if value is not None}
    years = sorted(year for year in with_data if year <= query.end[:4])[-YEARS_COMPARED:]
    x = [calendar.month_abbr[m] for m in range(1, 13)]
    series = [
        Series(
            year,
            [values.get(f"{year}-{m:02d}") for m in range(1, 13)],
            [
                _metric_target(query.metric, f"{year}-{m:02d}")
                if values.get(f"{year}-{m:02d}") is not None
                else None
                for m in range(1, 13)
            ],
        )
        for year in years
    ]
    return Chart(
        "years",
        f"{info.label}: year vs year",
        "Is this year ahead of last year?",
        "line",
        "Month",
        x,
        series,
        _value_format(query.metric),
        info.unit,
        f"Counted by {info.basis}.",
    )


def quarters_chart(session: Session, query: InsightsQuery) -> Chart:
    info = metric_info(query.metric)
    rows = PeriodComparison(session).quarter_over_quarter(query.metric).rows
    rows = [row for row in rows if query.start[:4] <= row.period[:4] <= query.end[:4]] or rows
    x = [row.period for row in rows]

    def first_month(quarter: str) -> str:
        return f"{quarter[:4]}-{(int(quarter[-1]) - 1) * 3 + 1:02d}"

    targets: list[Target | None] = [
        ("compensation", {"from": first_month(q), "to": month_add(first_month(q), 2)}) for q in x
    ]
    return Chart(
        "quarters",
        f"{info.label}: quarter vs quarter",
        "How do the quarters compare?",
        "bar",
        "Quarter",
        x,
        [
            Series(info.label, [row.value for row in rows], targets),
            Series(
                "% change on the quarter before",
                [row.percent_change for row in rows],
                targets,
                False,
                "number",
            ),
        ],
        _value_format(query.metric),
        info.unit,
        f"{'Sums' if info.aggregate == 'sum' else 'Averages'} over each quarter.",
    )


def workload_chart(session: Session, query: InsightsQuery) -> Chart:
    metrics = WorkloadMetrics(session)
    start = dt.date.fromisoformat(f"{query.start}-01")
    end_first = dt.date.fromisoformat(f"{query.end}-01")
    end = end_first.replace(day=calendar.monthrange(end_first.year, end_first.month)[1])
    rows = metrics.cases_per_period(start, end, granularity="month")
    rows = [row.to_dict() if hasattr(row, "to_dict") else row for row in rows]
    x = [row["period"] for row in rows]
    targets: list[Target | None] = [("cases", {"service_month": p}) for p in x]
    return Chart(
        "workload",
        "Cases per month",
        "How much did I work?",
        "bar",
        "Month of service",
        x,
        [
            Series("Cases", [row["cases"] for row in rows], targets),
            Series("Points", [row["points"] for row in rows], targets, False, "number"),
            Series("Minutes", [row["anes_time_min"] for row in rows], targets, False, "number"),
        ],
        "number",
        "Cases",
        "By month of service; the latest months fill in as charges post.",
    )


def velocity_chart(session: Session, velocity: dict[str, Any]) -> Chart:
    months = velocity.get("months") or []
    x = [row["month"] for row in months]
    targets: list[Target | None] = [("compensation_month", {"period": m}) for m in x]
    return Chart(
        "velocity",
        f"Running total {velocity.get('year') or ''}",
        "How fast is this year's pay adding up?",
        "line",
        "Pay period",
        x,
        [
            Series("Year to date", [row["ytd"] for row in months], targets),
            Series("Month", [row["value"] for row in months], targets, False, "money"),
        ],
        "money",
        "$",
        velocity.get("projection_label") or "",
    )


def insights_chart(session: Session, name: str, params: Mapping[str, str]) -> Chart | None:
    """One chart of the page (for its PNG/CSV/JSON), by name."""
    query = parse_insights_query(session, params)
    if name == "ranges":
        return ranges_chart(session, query)
    if name == "years":
        return years_chart(session, query)
    if name == "quarters":
        return quarters_chart(session, query)
    if name == "workload":
        return workload_chart(session, query)
    if name == "velocity":
        return velocity_chart(session, income_velocity(session))
    return None


def _glance_cards(session: Session) -> tuple[str | None, list[Card]]:
    data = glance(session)
    period = data.get("period")
    if period is None:
        return None, []
    cards = []
    for name, figure in data["figures"].items():
        anchor = section_anchor(SECTION_FIGURES[name][0]) if name in SECTION_FIGURES else "payroll"
        cards.append(
            Card(
                f"{figure['label']} ({period})",
                figure["month"],
                "$",
                ("compensation_month", {"period": period, "_anchor": anchor}),
                _vs(figure["same_month_last_year"], "same month last year"),
                figure["month_percent_change"],
            )
        )
        cards.append(
            Card(
                f"{figure['label']}, year to date",
                figure["ytd"],
                "$",
                ("compensation", {"from": f"{period[:4]}-01", "to": period}),
                _vs(figure["same_period_last_year"], "same period last year"),
                figure["ytd_percent_change"],
            )
        )
    owed = data.get("earned_not_yet_paid") or {}
    if owed.get("estimated_value") is not None:
        cards.append(
            Card(
                "Earned, not yet paid (estimate)",
                owed["estimated_value"],
                "$",
                ("insights", {"_anchor": "pipeline"}),
                f"{owed['points']:,.2f} points still to be paid out. " + (owed.get("note") or ""),
            )
        )
    return period, cards


def _vs(value: float | None, what: str) -> str:
    return f"{what}: ${value:,.2f}" if value is not None else f"no {what} imported"


def _workload_cards(session: Session, query: InsightsQuery) -> list[Card]:
    metrics = WorkloadMetrics(session)
    range_ = (f"{query.start}-01", _month_end(query.end))
    productivity = metrics.productivity_index(range_).to_dict()
    duration = metrics.average_case_duration(range_).to_dict()
    cases_target: Target = ("cases", {"service_from": range_[0], "service_to": range_[1]})
    return [
        Card(
            "Cases",
            productivity.get("cases"),
            "cases",
            cases_target,
            f"{query.start} to {query.end}, by month of service",
        ),
        Card(
            "Average case time",
            duration.get("mean_minutes"),
            "minutes",
            cases_target,
            f"median {duration.get('median_minutes') or 0:,.0f} min",
        ),
        Card(
            "Points per anesthesia hour",
            productivity.get("points_per_hour"),
            "points",
            cases_target,
            f"{productivity.get('units_per_hour') or 0:,.2f} units per hour",
        ),
        Card(
            "Cases per anesthesia hour",
            productivity.get("cases_per_hour"),
            "cases",
            cases_target,
            f"{productivity.get('anesthesia_hours') or 0:,.0f} anesthesia hours",
        ),
    ]


def _month_end(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    return f"{month}-{calendar.monthrange(year, mon)[1]:02d}"


def _pipeline_rows(session: Session) -> list[dict[str, Any]]:
    """Posting months per pool whose points are not all paid yet (the pay pipeline)."""
    pipeline = pay_pipeline(session).to_dict()
    return [
        {**month, "rate": pool["rate"]}
        for pool in pipeline["pools"]
        for month in pool["months"]
        if month["points_remaining"]
    ]


def build_insights(session: Session, params: Mapping[str, str]) -> InsightsView:
    """Everything the insights page shows for the query ``params``."""
    query = parse_insights_query(session, params)
    # What does not depend on the query is computed once per data version (analytics/cache).
    period, cards = cached(session, "insights_cards", lambda: _glance_cards(session))
    velocity = cached(session, "income_velocity", lambda: income_velocity(session))
    projection = cached(session, "year_end", lambda: year_end_projection(session))
    if projection.get("available"):
        velocity = {**velocity, "forecast_projection": projection}
    charts = [
        ranges_chart(session, query),
        years_chart(session, query),
        quarters_chart(session, query),
        workload_chart(session, query),
        velocity_chart(session, velocity),
    ]
    metrics = [(name, METRICS[name].label) for name in PICKER_METRICS if name in METRICS]
    return InsightsView(
        period,
        query,
        cards,
        charts,
        _workload_cards(session, query),
        velocity,
        cached(session, "all_alerts", lambda: all_alerts(session)),
        cached(session, "pipeline_rows", lambda: _pipeline_rows(session)),
        metrics,
    )


# --------------------------------------------------------------------------- drill-down


def drilldown_target(drilldown: Mapping[str, Any]) -> Target:
    """The page that shows what an alert (or any analytics drill-down dict) is about."""
    view = drilldown.get("view")
    period = drilldown.get("period")
    if view == "month" and period:
        metric = drilldown.get("metric")
        anchor = section_anchor(SECTION_FIGURES[metric][0]) if metric in SECTION_FIGURES else ""
        return ("compensation_month", {"period": period, "_anchor": anchor})
    if view == "packet" and period:
        return ("compensation_month", {"period": period, "_anchor": "checks"})
    if view == "pool" and period:
        return (
            "compensation_month",
            {"period": period, "_anchor": f"pool-{drilldown.get('pool', '')}"},
        )
    if view == "charges" and period:
        key = "service_month" if drilldown.get("by") == "service" else "post_month"
        return ("tickets", {key: period})
    return ("drilldown", {k: str(v) for k, v in drilldown.items() if v is not None})


DRILLDOWN_KEYS = ("view", "by", "period", "start", "end", "pool", "cpt", "payer",
                  "service_type", "ticket", "ticket_from", "ticket_to", "packet_id",
                  "date_of_service")  # fmt: skip


#: Lines per page of the drill-down page (its CSV has them all).
DRILLDOWN_PAGE_SIZE = 250


def drilldown_table(
    session: Session, params: Mapping[str, str], *, all_rows: bool = False
) -> TablePage:
    """The charge lines behind a drill-down dict given as query parameters, a page of
    :data:`DRILLDOWN_PAGE_SIZE` at a time unless ``all_rows`` (sums are over every line)."""
    filters: dict[str, Any] = {}
    problems: list[str] = []
    for key in DRILLDOWN_KEYS:
        value = (params.get(key) or "").strip()
        if not value:
            continue
        if key in ("period", "start", "end") and not re.match(r"^\d{4}-\d{2}(-\d{2})?$", value):
            problems.append(f"'{key}' must be a month or date like 2025-03; ignored.")
            continue
        if key == "packet_id":
            if not value.isdigit():
                problems.append("'packet_id' must be a number; ignored.")
                continue
            filters[key] = int(value)
            continue
        filters[key] = value[:40]
    page, per_page = 1, None if all_rows else DRILLDOWN_PAGE_SIZE
    raw_page = (params.get("page") or "1").strip()
    if raw_page.isdigit() and int(raw_page) >= 1:
        page = min(int(raw_page), 1_000_000)
    else:
        problems.append("'page' must be a whole number from 1; showing page 1.")
    sum_keys = SUMMED_COLUMNS
    try:
        if per_page is None:
            rows = drilldown_lines(session, filters)
            total = len(rows)
            sums = {key: float(sum(row.get(key) or 0 for row in rows)) for key in sum_keys}
        else:
            offset = (page - 1) * per_page
            rows, totals = drilldown_lines_page(session, filters, offset, per_page)
            total = int(totals["lines"])
            sums = {key: totals[key] for key in sum_keys}
    except ValueError as error:
        rows, total, sums = [], 0, {}
        problems = [*problems, f"These filters cannot be used: {error}."]
    columns = (
        [column for column in TICKET_COLUMNS if column.key in rows[0]]
        if rows
        else [column for column in TICKET_COLUMNS if not column.private]
    )
    return TablePage(
        "Lines behind the figure",
        columns,
        rows,
        total,
        page=page,
        per_page=per_page,
        sums=sums,
        filters={k: str(v) for k, v in filters.items()},
        problems=problems,
    )
