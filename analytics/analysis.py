"""Chart series for the analysis page, computed once in Python.

Each chart is a :class:`Chart`: x labels, one or more series of values, and for every
point the drill-down target (a page and its filters) that lists what the value sums.
The page draws it (static/js/charts.js), matplotlib draws its PNG, and its CSV is its
rows: all three from the same object.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from analytics.cache import cached
from analytics.compensation import (
    CLINICAL,
    NET_PAY,
    TOTAL_COMPENSATION,
    monthly_figures,
    pool_codes,
    section_anchor,
)
from data.reporting import CaseReportingRepository, ChargeReportingRepository

#: A drill-down target: the endpoint of a page and its query parameters.
Target = tuple[str, dict[str, str]]


@dataclass
class Series:
    name: str
    values: list[float | None]
    targets: list[Target | None] = field(default_factory=list)
    drawn: bool = True  # False: shown in the tooltip and the CSV, not drawn (another scale)
    value_format: str | None = None  # when it differs from the chart's


@dataclass
class Chart:
    """One chart: what it answers, its x axis, its series, how to format values."""

    name: str
    title: str
    question: str
    kind: str  # "line" | "bar"
    x_label: str
    x: list[str]
    series: list[Series]
    value_format: str = "number"  # number | money | points
    y_label: str = ""
    note: str = ""

    @property
    def empty(self) -> bool:
        return not self.x or all(v is None for s in self.series for v in s.values)

    def columns(self) -> list[tuple[str, str]]:
        """(key, label) pairs of its CSV: the x column, then one per series."""
        return [("x", self.x_label)] + [(f"s{i}", s.name) for i, s in enumerate(self.series)]

    def rows(self) -> list[dict[str, Any]]:
        rows = []
        for i, label in enumerate(self.x):
            row: dict[str, Any] = {"x": label}
            for j, series in enumerate(self.series):
                row[f"s{j}"] = series.values[i]
            rows.append(row)
        return rows


CHART_NAMES = ("income_trend", "seasonal", "pool_points", "pool_rates", "procedures", "payers")


def build_chart(
    session: Session, name: str, start: str | None = None, end: str | None = None
) -> Chart | None:
    """The chart called ``name`` (one of :data:`CHART_NAMES`) over the pay periods
    ``start``..``end`` (``YYYY-MM``; None leaves a side open), or None if unknown."""
    builders = {
        "income_trend": income_trend,
        "seasonal": seasonal_pattern,
        "pool_points": pool_points,
        "pool_rates": pool_rates,
        "procedures": procedure_profitability,
        "payers": payer_mix,
    }
    builder = builders.get(name)
    if builder is None:
        return None
    window = Months(start, end)
    return cached(session, ("analysis_chart", name, start, end), lambda: builder(session, window))


def all_charts(session: Session, start: str | None = None, end: str | None = None) -> list[Chart]:
    return [build_chart(session, name, start, end) for name in CHART_NAMES]


@dataclass(frozen=True)
class Months:
    """The pay periods a chart covers; charts by date of service or post use the same
    calendar months."""

    start: str | None = None
    end: str | None = None

    @property
    def first_day(self) -> dt.date | None:
        return dt.date(int(self.start[:4]), int(self.start[5:7]), 1) if self.start else None

    @property
    def last_day(self) -> dt.date | None:
        if not self.end:
            return None
        year, month = int(self.end[:4]), int(self.end[5:7])
        return dt.date(year, month, calendar.monthrange(year, month)[1])

    def filters(self, basis: str) -> dict[str, str]:
        """Drill-down filters that keep a linked table to these months (``post``/``service``)."""
        found = {}
        if self.first_day:
            found[f"{basis}_from"] = self.first_day.isoformat()
        if self.last_day:
            found[f"{basis}_to"] = self.last_day.isoformat()
        return found


def _month_page(period: str, anchor: str = "") -> Target:
    return ("compensation_month", {"period": period, "_anchor": anchor})


def income_trend(session: Session, window: Months = Months()) -> Chart:
    months = monthly_figures(session, window.start, window.end)
    x = [m.period for m in months]
    series = []
    for key, label, section in (
        ("total_compensation", "Total compensation", TOTAL_COMPENSATION),
        ("clinical_pay", "Clinical pay", CLINICAL),
        ("net_pay", "Net pay", NET_PAY),
    ):
        anchor = section_anchor(section)
        series.append(
            Series(label, [m.values.get(key) for m in months], [_month_page(p, anchor) for p in x])
        )
    return Chart(
        "income_trend",
        "Income trend",
        "How has my pay moved, month by month?",
        "line",
        "Pay period",
        x,
        series,
        "money",
        "Dollars",
        "By pay period, as printed in each packet's compensation report.",
    )


def seasonal_pattern(session: Session, window: Months = Months()) -> Chart:
    """Cases by calendar month of service, one series per year."""
    rows = CaseReportingRepository(session).totals(
        ["month"], by="service", start=window.first_day, end=window.last_day, min_points=0
    )
    by_year: dict[str, dict[int, float]] = defaultdict(dict)
    for row in rows:
        by_year[row["month"][:4]][int(row["month"][5:7])] = row["cases"]
    x = [calendar.month_abbr[m] for m in range(1, 13)]
    series = [
        Series(
            year,
            [by_year[year].get(m) for m in range(1, 13)],
            [
                ("cases", {"service_month": f"{year}-{m:02d}"}) if m in by_year[year] else None
                for m in range(1, 13)
            ],
        )
        for year in sorted(by_year)
    ]
    return Chart(
        "seasonal",
        "Seasonal pattern",
        "Which months are busy and which are slow?",
        "line",
        "Month of service",
        x,
        series,
        "number",
        "Cases",
        "Cases by month of service (credits alone are not counted as cases). The "
        "latest months are still filling in: charges post 1–8 weeks after service.",
    )


def _per_pool(
    session: Session, window: Months, figure: str, target: Callable[[str, str], Target]
) -> tuple[list[str], list[Series]]:
    """Pay periods, and one series per pool of an F2 figure (``points``, ``rate``)."""
    months = monthly_figures(session, window.start, window.end)
    x = [m.period for m in months]
    series = []
    for code in pool_codes(months):
        values = []
        for month in months:
            pool = next((p for p in month.pools if p.pool == code), None)
            values.append(getattr(pool, figure) if pool else None)
        series.append(Series(code, values, [target(period, code) for period in x]))
    return x, series


def pool_points(session: Session, window: Months = Months()) -> Chart:
    x, series = _per_pool(
        session,
        window,
        "points",
        lambda period, code: ("tickets", {"post_month": period, "pool": code}),
    )
    return Chart(
        "pool_points",
        "Points per pool",
        "How many points did each pool credit me?",
        "bar",
        "Pay period",
        x,
        series,
        "points",
        "Points (F2 M)",
        "Points of the charges posted in each month (F2 Section 1, M).",
    )


def pool_rates(session: Session, window: Months = Months()) -> Chart:
    x, series = _per_pool(
        session, window, "rate", lambda period, code: _month_page(period, f"pool-{code}")
    )
    return Chart(
        "pool_rates",
        "$ per point per pool",
        "What is a point worth in each pool?",
        "line",
        "Pay period",
        x,
        series,
        "money",
        "$ per point (F2 O)",
        "The pooled rate re-prices twelve months of points at once: a 1 % move "
        "shifts a month's pay by about 10 %.",
    )


def _average_rate(session: Session, window: Months) -> float | None:
    """Points-weighted average $/point over every pool and month of the window."""
    total_points = total_value = 0.0
    for month in monthly_figures(session, window.start, window.end):
        for pool in month.pools:
            if pool.rate and pool.points:
                total_points += pool.points
                total_value += pool.points * pool.rate
    return total_value / total_points if total_points else None


def procedure_profitability(session: Session, window: Months = Months(), top: int = 15) -> Chart:
    lines = ChargeReportingRepository(session).totals(
        ["cpt"], by="post", start=window.first_day, end=window.last_day
    )
    rows = [r for r in lines if r["tickets"] > 0]
    rows.sort(key=lambda r: r["points"], reverse=True)
    rows = rows[:top]
    rate = _average_rate(session, window) or 0.0
    scope = "in these months" if window.start or window.end else "in all"
    rows.sort(key=lambda r: r["points"] / r["tickets"], reverse=True)
    x = [r["cpt"] or "?" for r in rows]
    per_case = [round(r["points"] / r["tickets"], 2) for r in rows]
    estimate = [round(p * rate, 2) if rate else None for p in per_case]
    per_hour = [
        round(r["points"] / (r["anes_time_min"] / 60), 2) if r["anes_time_min"] > 0 else None
        for r in rows
    ]
    targets = [("tickets", {"cpt": code, **window.filters("post")}) for code in x]
    note = (
        "Estimated pay per case = points per case × your average $/point "
        f"({rate:,.2f}); an estimate: pay is pooled, not per case."
        if rate
        else ""
    )
    return Chart(
        "procedures",
        "Procedure profitability",
        "Which procedures earn the most per case?",
        "bar",
        "CPT code",
        x,
        [
            Series("Est. pay per case ($)", estimate, targets),
            Series("Points per case", per_case, targets, False, "number"),
            Series("Points per anesthesia hour", per_hour, targets, False, "number"),
            Series("Cases", [r["tickets"] for r in rows], targets, False, "number"),
        ],
        "money",
        "Estimated $ per case",
        note + f" The {len(x)} codes with the most points {scope}.",
    )


def payer_mix(session: Session, window: Months = Months()) -> Chart:
    rows = CaseReportingRepository(session).totals(
        ["payer"], by="service", start=window.first_day, end=window.last_day, min_points=0
    )
    rows.sort(key=lambda r: r["cases"], reverse=True)
    x = [r["payer"] or "?" for r in rows]
    total = sum(r["cases"] for r in rows) or 1
    targets = [("cases", {"pay_code": code, **window.filters("service")}) for code in x]
    return Chart(
        "payers",
        "Payer mix",
        "Who pays for my cases?",
        "bar",
        "Pay code",
        x,
        [
            Series(
                "Share of cases (%)", [round(100 * r["cases"] / total, 1) for r in rows], targets
            ),
            Series("Cases", [r["cases"] for r in rows], targets, drawn=False),
            Series("Charges ($)", [r["charge_amount"] for r in rows], targets, False, "money"),
        ],
        "number",
        "",
        "By the pay code of the case's anesthesia line.",
    )
