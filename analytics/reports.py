"""Reports as data, shared by the pages and the exporters: the ASMG/points report of a
period and the monthly summary of one pay period.

The points report sums the F3 lines (cases, minutes, units, charges, points) by pool and
month, by posting month (the month F2 pays them in, with the printed M beside it) or by
service month. The monthly summary gathers one pay period's figures: pay, F2 pools, the
charges posted in it, the cases served in it and the pipeline as of it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from analytics.compensation import MonthFigures, monthly_figures
from analytics.metrics import DateLike, UnitSums, WorkloadMetrics, date_range
from analytics.pipeline import pay_pipeline
from data.reporting import ChargeReportingRepository, CheckReportingRepository


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
    first, last = date_range(start, end)
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
