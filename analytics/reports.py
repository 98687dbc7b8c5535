"""Reports as data, shared by the pages and the exporters: the ASMG/points report of a
period, the monthly summary of one pay period, the insights cards and income velocity.

The points report sums the F3 lines (cases, minutes, units, charges, points) by pool and
month, by posting month (the month F2 pays them in, with the printed M beside it) or by
service month. The monthly summary gathers one pay period's figures: pay, F2 pools, the
charges posted in it, the cases served in it and the pipeline as of it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from analytics.comparisons import PeriodComparison, metric_info, percent_change
from analytics.compensation import MonthFigures, monthly_figures
from analytics.metrics import (
    COUNTED_CASE_MIN_POINTS,
    DateLike,
    UnitSums,
    WorkloadMetrics,
    parse_range,
)
from analytics.periods import month_add
from analytics.pipeline import pay_pipeline
from data.reporting import (
    CaseReportingRepository,
    ChargeReportingRepository,
    CheckReportingRepository,
)


@dataclass
class PointsRow(UnitSums):
    """One pool's (or ``ALL``'s) F3 totals for one month."""

    month: str
    pool: str
    tickets: int = 0  # distinct tickets with a line in the month
    lines: int = 0
    printed_points: float | None = None  # F2 Section 1 M (posting-month report only)

    @property
    def points_difference(self) -> float | None:
        """Line points − printed M (a cent or two from rounding; more means lines missing
        or a points rule that differs from the packet's)."""
        if self.printed_points is None:
            return None
        return round(self.points - self.printed_points, 4)

    def add(self, row: dict[str, Any]) -> None:
        self.lines += int(row["lines"])
        self.add_sums(row)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "points_difference": self.points_difference}


@dataclass
class PointsReport:
    """The ASMG/points report: rows per month and pool, ``ALL`` per month, and a total."""

    by: str
    start: str | None
    end: str | None
    rows: list[PointsRow] = field(default_factory=list)
    total: PointsRow | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "start": self.start,
            "end": self.end,
            "rows": [row.to_dict() for row in self.rows],
            "total": self.total.to_dict() if self.total else None,
        }

    def table(self) -> list[dict[str, Any]]:
        """Flat rows for CSV/Excel: one per month and pool, then the total."""
        rows = [row.to_dict() for row in self.rows]
        return rows + ([self.total.to_dict()] if self.total else [])


def points_report(
    session: Session,
    start: DateLike | tuple[DateLike, DateLike] = None,
    end: DateLike = None,
    by: str = "post",
) -> PointsReport:
    """Cases (tickets), minutes, units, charges and points by pool and month of post (with
    the F2 M each month printed) or of service."""
    first, last = parse_range(start, end)
    charges = ChargeReportingRepository(session)
    per_pool = charges.totals(["month", "pool"], by=by, start=first, end=last)
    per_month = {
        row["month"]: row for row in charges.totals(["month"], by=by, start=first, end=last)
    }
    printed: dict[tuple[str, str], float | None] = {}
    if by == "post":
        for figures in monthly_figures(session):
            for pool in [*figures.pools, *([figures.all_pools] if figures.all_pools else [])]:
                printed[(figures.period, pool.pool)] = pool.points
    report = PointsReport(
        by, first.isoformat() if first else None, last.isoformat() if last else None
    )
    total = PointsRow("total", "ALL")
    for month, month_row in per_month.items():
        for row in (r for r in per_pool if r["month"] == month):
            entry = PointsRow(month, row["pool"] or "", tickets=int(row["tickets"]))
            entry.add(row)
            entry.printed_points = printed.get((month, entry.pool))
            report.rows.append(entry)
        all_pools = PointsRow(month, "ALL", tickets=int(month_row["tickets"]))
        all_pools.add(month_row)
        all_pools.printed_points = printed.get((month, "ALL"))
        report.rows.append(all_pools)
        total.add(month_row)
    total.tickets = sum(int(row["tickets"]) for row in per_month.values())
    report.total = total
    return report


@dataclass
class MonthlySummary:
    """One pay period at a glance (pay, pools, postings, cases served, pipeline)."""

    period: str
    packet_id: int
    source_file: str
    pay_date: str | None
    pay: dict[str, float | None]
    pay_ytd: dict[str, float | None]
    gross_earnings: float | None
    gross_earnings_ytd: float | None
    pools: list[dict[str, Any]]
    posted: dict[str, Any]
    served: dict[str, Any]
    earned_not_yet_paid: dict[str, Any]
    failed_checks: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def monthly_summary(session: Session, period: str) -> MonthlySummary | None:
    """The summary of the pay period ``period`` (``YYYY-MM``); None if it is not stored."""
    found: list[MonthFigures] = monthly_figures(session, period, period)
    if not found:
        return None
    figures = found[-1]
    posted = points_report(session, period, period, by="post")
    served = WorkloadMetrics(session).totals(period, period, by="service")
    pipeline = pay_pipeline(session, as_of=period)
    pools = [asdict(pool) for pool in figures.pools]
    if figures.all_pools is not None:
        pools.insert(0, asdict(figures.all_pools))
    return MonthlySummary(
        period=figures.period,
        packet_id=figures.packet_id,
        source_file=figures.source_file,
        pay_date=figures.pay_date,
        pay=dict(figures.values),
        pay_ytd=dict(figures.ytd),
        gross_earnings=figures.gross_earnings,
        gross_earnings_ytd=figures.gross_earnings_ytd,
        pools=pools,
        posted=posted.total.to_dict() if posted.total else {},
        served=served.to_dict(),
        earned_not_yet_paid={
            "points": pipeline.points_remaining,
            "estimated_value": pipeline.estimated_value,
            "note": pipeline.note,
        },
        failed_checks=[
            {"scope": row["scope"], "name": row["name"], "detail": row["detail"]}
            for row in CheckReportingRepository(session).failed()
            if row["packet_id"] == figures.packet_id
        ],
    )


GLANCE_FIGURES = ("net_pay", "gross_earnings", "total_compensation")
RUN_RATE_LABEL = (
    "Run-rate projection: the year's average month so far carried to December (not a forecast)"
)


def _figure(figures: MonthFigures, name: str, ytd: bool = False) -> float | None:
    if name == "gross_earnings":
        return figures.gross_earnings_ytd if ytd else figures.gross_earnings
    return (figures.ytd if ytd else figures.values).get(name)


def glance(session: Session, period: str | None = None) -> dict[str, Any]:
    """The insights cards: the month's net, gross and total compensation, their
    year-to-date as the packet prints it, the same month and the same year-to-date last
    year with % change, and earned-not-yet-paid (see :mod:`analytics.pipeline`)."""
    months = {figures.period: figures for figures in monthly_figures(session)}
    if not months:
        return {"period": None, "figures": {}, "earned_not_yet_paid": None}
    period = period or max(months)
    current = months.get(period)
    if current is None:
        raise ValueError(f"no packet stored for {period}")
    year_before = months.get(month_add(period, -12))
    cards = {}
    for name in GLANCE_FIGURES:
        value, ytd = _figure(current, name), _figure(current, name, ytd=True)
        last_value = _figure(year_before, name) if year_before else None
        last_ytd = _figure(year_before, name, ytd=True) if year_before else None
        cards[name] = {
            "label": metric_info(name).label,
            "month": value,
            "ytd": ytd,
            "same_month_last_year": last_value,
            "month_percent_change": percent_change(value, last_value),
            "same_period_last_year": last_ytd,
            "ytd_percent_change": percent_change(ytd, last_ytd),
        }
    pipeline = pay_pipeline(session, as_of=period)
    return {
        "period": period,
        "last_year_period": year_before.period if year_before else None,
        "figures": cards,
        "earned_not_yet_paid": {
            "points": pipeline.points_remaining,
            "estimated_value": pipeline.estimated_value,
            "note": pipeline.note,
        },
    }


def income_velocity(
    session: Session, metric: str = "total_compensation", year: int | None = None
) -> dict[str, Any]:
    """Running year-to-date total of a pay metric month by month, the monthly run rate
    (average so far, and of the last three months) and a plain run-rate projection to
    December, labelled as such."""
    values = PeriodComparison(session).monthly_values(metric)
    present = sorted(m for m, v in values.items() if v is not None)
    if not present:
        return {"metric": metric, "year": year, "months": [], "projection": None}
    year = year or int(present[-1][:4])
    running = 0.0
    months = []
    for month in (m for m in present if int(m[:4]) == year):
        running = round(running + values[month], 2)
        months.append({"month": month, "value": values[month], "ytd": running})
    if not months:
        return {"metric": metric, "year": year, "months": [], "projection": None}
    run_rate = running / len(months)
    last_three = [row["value"] for row in months[-3:]]
    remaining = 12 - int(months[-1]["month"][5:7])
    return {
        "metric": metric_info(metric).name,
        "year": year,
        "months": months,
        "ytd": running,
        "months_counted": len(months),
        "run_rate": round(run_rate, 2),
        "run_rate_last_3": round(sum(last_three) / len(last_three), 2),
        "projection": round(running + run_rate * remaining, 2),
        "projection_label": RUN_RATE_LABEL,
    }


#: Line columns a drill-down shows; patient names only when asked for (they are PHI).
DRILLDOWN_COLUMNS = (
    "ticket",
    "note",
    "service_type",
    "cpt_code",
    "pay_code",
    "date_of_service",
    "date_of_post",
    "original_charge_month",
    "anes_time_min",
    "anes_base_units",
    "med_base_units",
    "other_units",
    "charge_amount",
    "sub_pool",
    "points",
    "page",
    "packet_id",
)


CASE_COLUMNS = (
    "ticket",
    "date_of_service",
    "first_start_time",
    "cpt_codes",
    "primary_cpt",
    "pay_code",
    "sub_pool",
    "line_count",
    "anes_time_min",
    "anes_base_units",
    "med_base_units",
    "other_units",
    "charge_amount",
    "points",
    "first_post_date",
    "last_post_date",
)


def _drilldown_query(filters: dict[str, Any], default_by: str) -> dict[str, Any]:
    """Repository filters from a drill-down dict: ``period`` becomes that month's range of
    ``by``'s date (except for a packet, which is its own filter)."""
    query = {k: v for k, v in filters.items() if k not in ("view", "metric", "period")}
    query["by"] = filters.get("by") or default_by
    if filters.get("period") and filters.get("view") != "packet":
        query["start"], query["end"] = parse_range(filters["period"], filters["period"])
    else:
        query["start"], query["end"] = parse_range(filters.get("start"), filters.get("end"))
    return query


def _as_rows(objects: list[Any], columns: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = []
    for obj in objects:
        row = {column: getattr(obj, column) for column in columns}
        rows.append({k: v.isoformat() if isinstance(v, dt.date) else v for k, v in row.items()})
    return rows


def drilldown_cases(
    session: Session, filters: dict[str, Any], include_names: bool = False
) -> list[dict[str, Any]]:
    """The counted cases behind a workload figure or case-mix slice: ``by`` (``service``
    by default, or ``post``), ``period`` or ``start``/``end``, ``cpt``, ``pool``, ``payer``."""
    query = _drilldown_query(filters, "service")
    query["min_points"] = COUNTED_CASE_MIN_POINTS
    columns = CASE_COLUMNS + (("patient_name",) if include_names else ())
    return _as_rows(CaseReportingRepository(session).cases(query), columns)


def drilldown_lines(
    session: Session, filters: dict[str, Any], include_names: bool = False
) -> list[dict[str, Any]]:
    """The F3 lines behind a card, chart point or alert. ``filters`` is an alert's
    ``drilldown`` dict or any of: ``by`` (``post`` or ``service``), ``period`` (a month),
    ``start``/``end``, ``pool``, ``cpt``, ``payer``, ``service_type``, ``ticket``,
    ``ticket_from``/``ticket_to``, ``packet_id``."""
    default_by = "service" if filters.get("view") == "tickets" else "post"
    query = _drilldown_query(filters, default_by)
    columns = DRILLDOWN_COLUMNS + (("patient_name",) if include_names else ())
    return _as_rows(ChargeReportingRepository(session).lines(query), columns)


def drilldown_lines_page(
    session: Session, filters: dict[str, Any], offset: int, limit: int
) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """One page of :func:`drilldown_lines` (in the same order) and, over all of them, the
    count (``lines``) and the sums: a figure over 30 years is not loaded line by line."""
    default_by = "service" if filters.get("view") == "tickets" else "post"
    query = _drilldown_query(filters, default_by)
    lines, sums = ChargeReportingRepository(session).lines_page(query, offset, limit)
    return _as_rows(lines, DRILLDOWN_COLUMNS), sums
