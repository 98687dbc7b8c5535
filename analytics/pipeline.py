"""The pay pipeline: points already earned but not yet paid, from the F2 payout schedule.

F2 pays a posting month's points M(m) over five months: 10 % in month m, 40 % in m+1, 25 %
in m+2, 15 % in m+3 and 10 % in m+4 (Section 2 prints them oldest first: 10 % 15 % 25 %
40 % 10 %). So, as of the latest stored packet L, month m has had the weights of ages
0..L−m applied, and M(m) × (the weights not yet applied) points are still to come. Their
value at the pool's latest rate O(L) is an *estimate*: a rate change re-prices the twelve
months of Section 3 at once, so the dollars actually paid will differ.

Every figure is read from the packets: M(m) is F2 Section 1 of the packet of period m, or,
for a month whose packet is not stored, the points later packets repeat in Section 2.
:func:`verify_adjusted_points` recomputes each printed N from those M values and the
schedule, which is how we know the schedule is read right.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.orm import Session

from analytics.cache import cached
from analytics.metrics import as_date
from analytics.periods import month_add, month_range
from data.reporting import ChargeReportingRepository, PoolReportingRepository

#: Share of a posting month's points paid in the month itself (age 0) and each month after.
SCHEDULE: tuple[float, ...] = (0.10, 0.40, 0.25, 0.15, 0.10)
ESTIMATE_NOTE = (
    "Estimate: points still to be paid valued at the pool's latest $/point rate; a rate "
    "change re-prices the last twelve months of points at once, so actual pay will differ."
)
ALL_POOLS = "ALL"


def applied_share(age: int) -> float:
    """Share of a month's points paid by the packet ``age`` months after it (inclusive)."""
    if age < 0:
        return 0.0
    return round(sum(SCHEDULE[: age + 1]), 10)


def _months_between(start: str, end: str) -> int:
    return (int(end[:4]) - int(start[:4])) * 12 + int(end[5:7]) - int(start[5:7])


def _cents(value: float) -> float:
    """Half-up rounding to the cent, as the report writer prints each weighted part."""
    return float(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@dataclass
class MonthPoints:
    """One pool's points M of one posting month and where they were read."""

    points: float
    source: str  # "F2 Section 1 of YYYY-MM" or "F2 Section 2 of YYYY-MM"


class PointsLedger:
    """M(m) per pool and posting month, and O per pool and period, from stored packets."""

    def __init__(self, session: Session, as_of: str | None = None) -> None:
        repo = PoolReportingRepository(session)
        self.figures = [r for r in repo.pool_figures() if as_of is None or r["period"] <= as_of]
        self.points: dict[str, dict[str, MonthPoints]] = {}
        self.rates: dict[str, dict[str, float]] = {}
        self.names: dict[str, str | None] = {}
        self.periods = sorted({row["period"] for row in self.figures})
        for row in self.figures:
            pool = row["pool"]
            self.names.setdefault(pool, row["name"])
            if row["points"] is not None:
                source = f"F2 Section 1 of {row['period']}"
                self.points.setdefault(pool, {})[row["period"]] = MonthPoints(row["points"], source)
            if row["rate"] is not None:
                self.rates.setdefault(pool, {})[row["period"]] = row["rate"]
        self.section2 = [r for r in repo.adjusted_rows() if as_of is None or r["period"] <= as_of]
        # Months whose own packet is not stored: the latest packet that repeats them.
        for row in reversed(self.section2):
            if as_of is not None and row["period"] > as_of:
                continue
            months = self.points.setdefault(row["pool"], {})
            if row["month"] not in months and row["points"] is not None:
                months[row["month"]] = MonthPoints(
                    row["points"], f"F2 Section 2 of {row['period']}"
                )

    @property
    def latest(self) -> str | None:
        return self.periods[-1] if self.periods else None

    def pools(self) -> list[str]:
        """Pool codes (not the all-pools page), in order of first appearance."""
        return [pool for pool in self.names if pool != ALL_POOLS]

    def m(self, pool: str, month: str) -> MonthPoints | None:
        return self.points.get(pool, {}).get(month)

    def latest_rate(self, pool: str, as_of: str) -> tuple[float | None, str | None]:
        """The pool's rate O in ``as_of``, or its latest earlier one, and that period."""
        rates = {p: r for p, r in self.rates.get(pool, {}).items() if p <= as_of}
        if not rates:
            return None, None
        period = max(rates)
        return rates[period], period


@dataclass
class PipelineMonth:
    """One pool's posting month in the pipeline."""

    pool: str
    month: str
    points: float  # M(m)
    points_source: str
    age: int  # months from m to the as-of packet
    applied_share: float
    remaining_share: float
    points_paid: float
    points_remaining: float
    estimated_value: float | None  # points_remaining x latest rate (an estimate)


@dataclass
class PoolPipeline:
    """A pool's earned-not-yet-paid points and their estimated value."""

    pool: str
    name: str | None
    rate: float | None  # latest O
    rate_period: str | None
    months: list[PipelineMonth] = field(default_factory=list)

    @property
    def points_remaining(self) -> float:
        return round(sum(m.points_remaining for m in self.months), 4)

    @property
    def estimated_value(self) -> float | None:
        if self.rate is None:
            return None
        return round(self.points_remaining * self.rate, 2)


@dataclass
class ServiceMonthPipeline:
    """Line points of one pool's service month and the share of them still to be paid."""

    pool: str
    service_month: str
    points: float
    points_remaining: float
    estimated_value: float | None
    by_post_month: dict[str, float] = field(default_factory=dict)  # post month -> remaining


@dataclass
class PayPipeline:
    """Earned, not yet paid, as of one stored packet: by posting month and service month."""

    as_of: str | None
    pools: list[PoolPipeline] = field(default_factory=list)
    by_service_month: list[ServiceMonthPipeline] = field(default_factory=list)
    note: str = ESTIMATE_NOTE

    @property
    def points_remaining(self) -> float:
        return round(sum(pool.points_remaining for pool in self.pools), 4)

    @property
    def estimated_value(self) -> float:
        return round(sum(pool.estimated_value or 0.0 for pool in self.pools), 2)

    def pool(self, code: str) -> PoolPipeline | None:
        return next((pool for pool in self.pools if pool.pool == code), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "note": self.note,
            "points_remaining": self.points_remaining,
            "estimated_value": self.estimated_value,
            "pools": [
                {
                    **{k: v for k, v in asdict(pool).items() if k != "months"},
                    "points_remaining": pool.points_remaining,
                    "estimated_value": pool.estimated_value,
                    "months": [asdict(month) for month in pool.months],
                }
                for pool in self.pools
            ],
            "by_service_month": [asdict(row) for row in self.by_service_month],
        }


def pay_pipeline(session: Session, as_of: str | None = None, history: int = 12) -> PayPipeline:
    """The pipeline as of the packet of period ``as_of`` (default: the latest stored).

    ``history`` posting months are listed per pool (fully paid ones included, so a chart
    shows the schedule running out); only the last five can still have points to come.
    Computed once per data version and month (the insights cards and table both show it):
    the result is shared, do not change it.
    """
    as_of = as_of or PoolReportingRepository(session).latest_period()
    return cached(
        session,
        ("pay_pipeline", as_of, history),
        lambda: _pay_pipeline(session, as_of, history),
    )


def _pay_pipeline(session: Session, as_of: str | None, history: int) -> PayPipeline:
    ledger = PointsLedger(session, as_of)
    as_of = ledger.latest if as_of is None else as_of
    pipeline = PayPipeline(as_of=as_of)
    if as_of is None:
        return pipeline
    months = month_range(month_add(as_of, -(max(history, len(SCHEDULE)) - 1)), as_of)
    for pool in ledger.pools():
        rate, rate_period = ledger.latest_rate(pool, as_of)
        entry = PoolPipeline(pool, ledger.names.get(pool), rate, rate_period)
        for month in months:
            found = ledger.m(pool, month)
            if found is None:
                continue
            age = _months_between(month, as_of)
            applied = applied_share(age)
            remaining = round(1.0 - applied, 10)
            points_remaining = round(found.points * remaining, 4)
            entry.months.append(
                PipelineMonth(
                    pool=pool,
                    month=month,
                    points=found.points,
                    points_source=found.source,
                    age=age,
                    applied_share=applied,
                    remaining_share=remaining,
                    points_paid=round(found.points * applied, 4),
                    points_remaining=points_remaining,
                    estimated_value=None if rate is None else round(points_remaining * rate, 2),
                )
            )
        if entry.months:
            pipeline.pools.append(entry)
    pipeline.by_service_month = _by_service_month(session, pipeline, as_of, months)
    return pipeline


def _by_service_month(
    session: Session, pipeline: PayPipeline, as_of: str, months: list[str]
) -> list[ServiceMonthPipeline]:
    """Line points grouped by service month, each posting month's share still to come."""
    rates = {pool.pool: pool.rate for pool in pipeline.pools}
    rows: dict[tuple[str, str], ServiceMonthPipeline] = {}
    # Lines served before the listed months count only while their posting month still has
    # points to come (posted within the listed months): read those months' lines alone.
    for row in ChargeReportingRepository(session).points_by_service_and_post_month(
        since=as_date(months[0]), until=as_date(as_of, end=True)
    ):
        if row["post_month"] > as_of or row["service_month"] is None:
            continue
        key = (row["pool"] or "", row["service_month"])
        remaining_share = 1.0 - applied_share(_months_between(row["post_month"], as_of))
        remaining = row["points"] * remaining_share
        if key not in rows:
            if row["service_month"] < months[0] and abs(remaining) < 0.005:
                continue
            rows[key] = ServiceMonthPipeline(key[0], key[1], 0.0, 0.0, None)
        entry = rows[key]
        entry.points += row["points"]
        entry.points_remaining += remaining
        if abs(remaining) >= 0.005:
            entry.by_post_month[row["post_month"]] = round(remaining, 4)
    result = []
    for (pool, _month), entry in sorted(rows.items(), key=lambda item: (item[0][1], item[0][0])):
        entry.points = round(entry.points, 4)
        entry.points_remaining = round(entry.points_remaining, 4)
        rate = rates.get(pool)
        entry.estimated_value = None if rate is None else round(entry.points_remaining * rate, 2)
        result.append(entry)
    return result


@dataclass
class AdjustedPointsCheck:
    """A printed N against N recomputed from the stored M values and the schedule."""

    period: str
    pool: str
    printed: float | None
    recomputed: float
    parts: int
    sources: list[str]
    #: Section 2 rows whose printed weight is not the schedule's for their age, or whose
    #: points differ from that month's own Section 1.
    section2_mismatches: list[str] = field(default_factory=list)

    @property
    def difference(self) -> float | None:
        return None if self.printed is None else round(self.printed - self.recomputed, 4)

    @property
    def ok(self) -> bool:
        """N within a cent per weighted part (printed figures are rounded), and Section 2
        printed as the schedule says."""
        diff = self.difference
        within = diff is not None and abs(diff) <= 0.01 * max(self.parts, 1) + 1e-9
        return within and not self.section2_mismatches

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "difference": self.difference, "ok": self.ok}


def recompute_adjusted_points(ledger: PointsLedger, period: str, pool: str) -> AdjustedPointsCheck:
    """N(period) of ``pool`` = Σ round(M(period − age) × SCHEDULE[age]); the all-pools page
    adds up the pools' pages."""
    if pool == ALL_POOLS:
        parts = [recompute_adjusted_points(ledger, period, code) for code in ledger.pools()]
        return AdjustedPointsCheck(
            period,
            pool,
            None,
            round(sum(p.recomputed for p in parts), 2),
            sum(p.parts for p in parts),
            [source for p in parts for source in p.sources],
        )
    total = 0.0
    parts = 0
    sources = []
    for age, weight in enumerate(SCHEDULE):
        found = ledger.m(pool, month_add(period, -age))
        if found is None or not found.points:
            continue
        total += _cents(found.points * weight)
        parts += 1
        sources.append(f"{month_add(period, -age)}: {found.points:,.2f} ({found.source})")
    return AdjustedPointsCheck(period, pool, None, round(total, 2), parts, sources)


def verify_adjusted_points(session: Session) -> list[AdjustedPointsCheck]:
    """Every stored F2 page's printed N against N recomputed from M and the schedule."""
    ledger = PointsLedger(session)
    checks = {}
    for row in ledger.figures:
        check = recompute_adjusted_points(ledger, row["period"], row["pool"])
        check.printed = row["adjusted_points"]
        checks[(row["packet_id"], row["pool"])] = check
    for row in ledger.section2:
        check = checks.get((row["packet_id"], row["pool"]))
        if check is not None:
            check.section2_mismatches.extend(_section2_mismatches(ledger, row))
    return list(checks.values())


def _section2_mismatches(ledger: PointsLedger, row: dict[str, Any]) -> list[str]:
    """What is wrong with one printed Section 2 row, if anything."""
    age = _months_between(row["month"], row["period"])
    where = f"{row['pool']} {row['period']} Section 2, {row['month']}"
    if not 0 <= age < len(SCHEDULE):
        return [f"{where}: not among the five months paid in {row['period']}"]
    problems = []
    if row["weight"] is not None and abs(row["weight"] - SCHEDULE[age]) > 1e-6:
        problems.append(f"{where}: weight {row['weight']:.0%}, schedule {SCHEDULE[age]:.0%}")
    own = ledger.m(row["pool"], row["month"])
    if (
        own is not None
        and own.source.startswith("F2 Section 1")
        and row["points"] is not None
        and abs(own.points - row["points"]) > 0.011
    ):
        problems.append(f"{where}: points {row['points']:,.2f}, {own.points:,.2f} in {own.source}")
    return problems


def month_end(month: str) -> dt.date:
    """Last day of a ``YYYY-MM`` month."""
    first_of_next = month_add(month, 1)
    return dt.date(int(first_of_next[:4]), int(first_of_next[5:7]), 1) - dt.timedelta(days=1)
