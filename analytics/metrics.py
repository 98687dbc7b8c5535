"""Workload metrics: cases, case time, productivity, case mix, charge lag, ticket gaps.

Workload is counted by **service month** by default (when the work was done); pass
``by="post"`` to count by when it was billed (a case's first date of post). A *case* is a
ticket whose lines, across every packet, net to more than zero points: a case that was
billed and fully backed out did not count as work paid for. Charge lag and ticket gaps
come from the same cases (one per ticket). Definitions: docs/analytics.md.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from analytics.periods import month_add, month_of
from data.reporting import CaseReportingRepository, ChargeReportingRepository

GRANULARITIES = ("day", "week", "month", "quarter", "year")
#: A case counts once its lines net to more than this many points (a full backout nets 0).
COUNTED_CASE_MIN_POINTS = 0.005
#: More missing numbers than this between two neighbouring tickets is a jump in the
#: numbering (a new series, another physician's block, a number read wrong), not tickets
#: never billed: such a jump is not listed ticket by ticket (a jump from 731,99999 to
#: 731,100000 would otherwise be 657 million "missing" tickets).
MAX_TICKET_GAP = 100

DateLike = str | dt.date | None


# --------------------------------------------------------------------------- dates


def as_date(value: DateLike, *, end: bool = False) -> dt.date | None:
    """``'2024-03-15'``, a date, or ``'2024-03'`` (its first day, or with ``end`` its last)."""
    if value is None or isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if len(text) == 7:
        month = month_add(text, 1) if end else text
        first = dt.date(int(month[:4]), int(month[5:7]), 1)
        return first - dt.timedelta(days=1) if end else first
    if len(text) == 4:
        return dt.date(int(text), 12, 31) if end else dt.date(int(text), 1, 1)
    return dt.date.fromisoformat(text)


def parse_range(
    start: DateLike | tuple[DateLike, DateLike] = None, end: DateLike = None
) -> tuple[dt.date | None, dt.date | None]:
    """A ``(start, end)`` pair or two arguments (the design calls it both ways); ``None``
    leaves that side open."""
    if isinstance(start, tuple | list):
        if end is not None:
            raise ValueError("give a (start, end) pair or two dates, not both")
        start, end = start
    return as_date(start), as_date(end, end=True)


def bucket_of(day: dt.date, granularity: str) -> tuple[str, dt.date, dt.date]:
    """The label, first and last day of the ``granularity`` bucket holding ``day``."""
    if granularity == "day":
        return day.isoformat(), day, day
    if granularity == "week":
        year, week, weekday = day.isocalendar()
        monday = day - dt.timedelta(days=weekday - 1)
        return f"{year}-W{week:02d}", monday, monday + dt.timedelta(days=6)
    if granularity == "month":
        first = day.replace(day=1)
        return month_of(day), first, as_date(month_of(day), end=True)
    if granularity == "quarter":
        quarter = (day.month - 1) // 3 + 1
        first = dt.date(day.year, 3 * quarter - 2, 1)
        last = as_date(f"{day.year}-{3 * quarter:02d}", end=True)
        return f"{day.year}-Q{quarter}", first, last
    if granularity == "year":
        return str(day.year), dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    raise ValueError(f"granularity must be one of {', '.join(GRANULARITIES)}")


def _buckets(first: dt.date, last: dt.date, granularity: str) -> list[tuple[str, dt.date, dt.date]]:
    """Every bucket from the one holding ``first`` to the one holding ``last``."""
    buckets = []
    day = first
    while day <= last:
        bucket = bucket_of(day, granularity)
        buckets.append(bucket)
        day = bucket[2] + dt.timedelta(days=1)
    return buckets


def _percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


# --------------------------------------------------------------------------- results


@dataclass(kw_only=True)
class UnitSums:
    """Minutes, units, points and charges summed over F3 lines or cases."""

    SUMMED = (
        "anes_time_min",
        "anes_base_units",
        "med_base_units",
        "other_units",
        "points",
        "charge_amount",
    )

    anes_time_min: float = 0.0
    anes_base_units: float = 0.0
    med_base_units: float = 0.0
    other_units: float = 0.0
    points: float = 0.0
    charge_amount: float = 0.0

    @property
    def units(self) -> float:
        """Billed units: anesthesia base + medical base + other (modifier) units."""
        return round(self.anes_base_units + self.med_base_units + self.other_units, 4)

    def add_sums(self, row: dict[str, Any]) -> None:
        for key in self.SUMMED:
            setattr(self, key, round(getattr(self, key) + float(row[key] or 0.0), 4))

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "units": self.units}


@dataclass
class WorkloadTotals(UnitSums):
    """Cases and their minutes, units, points and charges in one bucket (or overall)."""

    period: str
    start: str | None
    end: str | None
    cases: int = 0

    def add(self, row: dict[str, Any]) -> None:
        self.cases += int(row["cases"])
        self.add_sums(row)


@dataclass
class CaseDuration:
    """Anesthesia minutes per timed case (cases with anesthesia time only)."""

    cases: int
    total_minutes: float
    mean_minutes: float | None
    median_minutes: float | None
    by_month: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Productivity:
    """Cases, units and points per anesthesia hour."""

    cases: int
    anesthesia_hours: float
    units: float
    points: float
    cases_per_hour: float | None
    units_per_hour: float | None
    points_per_hour: float | None
    by_month: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _per_hour(value: float, hours: float) -> float | None:
    return round(value / hours, 4) if hours else None


@dataclass
class MixShare:
    """One slice of the case mix."""

    key: str
    cases: int
    points: float
    charge_amount: float
    case_share: float
    points_share: float


@dataclass
class CaseMix:
    """The case mix along each dimension, largest slice first."""

    cpt: list[MixShare] = field(default_factory=list)
    payer: list[MixShare] = field(default_factory=list)
    pool: list[MixShare] = field(default_factory=list)
    service_type: list[MixShare] = field(default_factory=list)

    def __getitem__(self, dimension: str) -> list[MixShare]:
        return getattr(self, dimension)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LagStats:
    """Days from date of service to first date of post, over a set of cases."""

    period: str
    cases: int
    median_days: float | None
    p90_days: float | None
    mean_days: float | None
    max_days: int | None


@dataclass
class ChargeLag:
    by: str
    overall: LagStats
    by_month: list[LagStats] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TicketGap:
    """A ticket number missing from a packet that listed a higher ticket: ``open`` if it
    has never posted, ``filled`` if it posted in a later packet (a later posting month)."""

    ticket: str
    status: str  # "open" | "filled"
    previous_ticket: str | None
    next_ticket: str | None
    service_after: str | None  # date of service of the ticket before it
    service_before: str | None  # date of service of the ticket after it
    missing_since: str  # date the first higher ticket posted
    missing_since_period: str  # the packet (posting month) that first showed the gap
    filled_on: str | None
    filled_period: str | None
    days_missing: int | None  # until filled (filled gaps) or until ``as_of`` (open ones)


@dataclass
class TicketSequence:
    first_ticket: str | None
    last_ticket: str | None
    tickets_seen: int
    gaps: list[TicketGap] = field(default_factory=list)

    @property
    def open_gaps(self) -> list[TicketGap]:
        return [gap for gap in self.gaps if gap.status == "open"]

    @property
    def filled_gaps(self) -> list[TicketGap]:
        return [gap for gap in self.gaps if gap.status == "filled"]

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "open_count": len(self.open_gaps),
            "filled_count": len(self.filled_gaps),
        }


def lag_stats(period: str, lags: list[int]) -> LagStats:
    return LagStats(
        period=period,
        cases=len(lags),
        median_days=float(statistics.median(lags)) if lags else None,
        p90_days=_percentile(lags, 90),
        mean_days=round(statistics.fmean(lags), 2) if lags else None,
        max_days=max(lags) if lags else None,
    )


# --------------------------------------------------------------------------- metrics


class WorkloadMetrics:
    """The design's workload metrics over the stored cases (see the module docstring)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cases = CaseReportingRepository(session)
        self.charges = ChargeReportingRepository(session)

    def _daily(self, start: dt.date | None, end: dt.date | None, by: str) -> list[dict]:
        return self.cases.totals(
            ["day"], by=by, start=start, end=end, min_points=COUNTED_CASE_MIN_POINTS
        )

    def cases_per_period(
        self,
        start: DateLike | tuple[DateLike, DateLike] = None,
        end: DateLike = None,
        granularity: str = "month",
        by: str = "service",
    ) -> list[WorkloadTotals]:
        """Cases and their minutes, units, points and charges per day, week (ISO), month,
        quarter or year, every bucket in the range listed (empty ones as zero)."""
        first, last = parse_range(start, end)
        bucket_of(dt.date.today(), granularity)  # rejects an unknown granularity early
        daily = self._daily(first, last, by)
        days = [dt.date.fromisoformat(row["day"]) for row in daily]
        if not days and (first is None or last is None):
            return []
        first = first or min(days)
        last = last or max(days)
        totals = {
            label: WorkloadTotals(label, lo.isoformat(), hi.isoformat())
            for label, lo, hi in _buckets(first, last, granularity)
        }
        for day, row in zip(days, daily, strict=True):
            totals[bucket_of(day, granularity)[0]].add(row)
        return list(totals.values())

    def totals(
        self,
        start: DateLike | tuple[DateLike, DateLike] = None,
        end: DateLike = None,
        by: str = "service",
    ) -> WorkloadTotals:
        """All counted cases of the range together."""
        first, last = parse_range(start, end)
        total = WorkloadTotals(
            "total", first.isoformat() if first else None, last.isoformat() if last else None
        )
        for row in self.cases.totals(
            [], by=by, start=first, end=last, min_points=COUNTED_CASE_MIN_POINTS
        ):
            total.add(row)
        return total

    def average_case_duration(
        self,
        date_range: DateLike | tuple[DateLike, DateLike] = None,
        end: DateLike = None,
        by: str = "service",
    ) -> CaseDuration:
        """Mean and median anesthesia minutes of the cases that have anesthesia time
        (chronic-pain and block-only cases have none), overall and per month."""
        first, last = parse_range(date_range, end)
        minutes = self.cases.minutes_of_cases(by=by, start=first, end=last)
        by_month = [
            {
                "month": row["month"],
                "cases": int(row["cases"]),
                "total_minutes": round(float(row["anes_time_min"]), 2),
                "mean_minutes": round(float(row["anes_time_min"]) / row["cases"], 2),
            }
            for row in self.cases.totals(["month"], by=by, start=first, end=last, min_minutes=0.0)
        ]
        return CaseDuration(
            cases=len(minutes),
            total_minutes=round(sum(minutes), 2),
            mean_minutes=round(statistics.fmean(minutes), 2) if minutes else None,
            median_minutes=float(statistics.median(minutes)) if minutes else None,
            by_month=by_month,
        )

    def productivity_index(
        self,
        date_range: DateLike | tuple[DateLike, DateLike] = None,
        end: DateLike = None,
        by: str = "service",
    ) -> Productivity:
        """Cases, billed units and points per anesthesia hour (all counted cases over the
        hours of anesthesia time), overall and per month."""
        first, last = parse_range(date_range, end)
        total = self.totals(first, last, by=by)
        hours = round(total.anes_time_min / 60.0, 4)
        months = []
        for month in self.cases_per_period(first, last, "month", by=by) if total.cases else []:
            month_hours = month.anes_time_min / 60.0
            months.append(
                {
                    "month": month.period,
                    "cases": month.cases,
                    "anesthesia_hours": round(month_hours, 4),
                    "cases_per_hour": _per_hour(month.cases, month_hours),
                    "units_per_hour": _per_hour(month.units, month_hours),
                    "points_per_hour": _per_hour(month.points, month_hours),
                }
            )
        return Productivity(
            cases=total.cases,
            anesthesia_hours=hours,
            units=total.units,
            points=total.points,
            cases_per_hour=_per_hour(total.cases, hours),
            units_per_hour=_per_hour(total.units, hours),
            points_per_hour=_per_hour(total.points, hours),
            by_month=months,
        )

    def case_mix_distribution(
        self,
        date_range: DateLike | tuple[DateLike, DateLike] = None,
        end: DateLike = None,
        by: str = "service",
    ) -> CaseMix:
        """Cases, points and charges by primary CPT, payer and pool (counted cases), and by
        service type (cases having a line of that type; lines net of credits), largest first."""
        first, last = parse_range(date_range, end)
        mix = CaseMix()
        for dimension in ("cpt", "payer", "pool"):
            rows = self.cases.totals(
                [dimension], by=by, start=first, end=last, min_points=COUNTED_CASE_MIN_POINTS
            )
            setattr(mix, dimension, _shares(rows, dimension, "cases"))
        rows = self.charges.totals(["service_type"], by=by, start=first, end=last)
        mix.service_type = _shares(rows, "service_type", "tickets")
        return mix

    def charge_lag(
        self,
        date_range: DateLike | tuple[DateLike, DateLike] = None,
        end: DateLike = None,
        by: str = "post",
    ) -> ChargeLag:
        """Days from date of service to a case's first billing: median, 90th percentile,
        mean and max, overall and per month of post (or of service). A ticket whose first
        stored posting carries a credit was first billed before the stored packets (the
        credit reverses it) and is left out."""
        first, last = parse_range(date_range, end)
        lags: dict[str, list[int]] = defaultdict(list)
        every: list[int] = []
        # Counted in SQL (tickets per month and lag); a credit in the first posting leaves
        # the ticket out.
        for row in self.charges.first_posting_lags(by=by, start=first, end=last):
            if row["charges"] and not row["credits"]:
                lags[row["month"]] += [row["lag_days"]] * row["tickets"]
                every += [row["lag_days"]] * row["tickets"]
        return ChargeLag(
            by=by,
            overall=lag_stats("overall", every),
            by_month=[lag_stats(month, lags[month]) for month in sorted(lags)],
        )

    def ticket_sequence(
        self, as_of: DateLike = None, served: tuple[DateLike, DateLike] | None = None
    ) -> TicketSequence:
        """Gaps in the ticket numbers: tickets never posted (open) and tickets that posted
        in a later packet than a higher ticket did (filled by a later packet). Numbers below
        the first ticket served in the first stored month are not judged: they may have
        posted before it. With ``served`` (first, last day) only the tickets served then are
        read, and the same rule applies to its first month: the audit's bounded window.
        Open gaps count their days missing up to ``as_of`` (default: the end of the latest
        posting month read)."""
        stored = self.cases.ticket_sequence(*parse_range(served or (None, None)))
        rows = [row for row in stored if row["ticket"].isdigit()]
        rows.sort(key=lambda row: int(row["ticket"]))
        if not rows:
            return TicketSequence(None, None, 0)
        posts = [row["first_post_date"] for row in rows if row["first_post_date"]]
        first_month = month_of(min(posts))
        start = next(
            (
                i
                for i, row in enumerate(rows)
                if row["date_of_service"] and month_of(row["date_of_service"]) >= first_month
            ),
            0,
        )
        rows = rows[start:]
        as_of_day = as_date(as_of, end=True) or as_date(month_of(max(posts)), end=True)
        return TicketSequence(
            first_ticket=rows[0]["ticket"],
            last_ticket=rows[-1]["ticket"],
            tickets_seen=len(rows),
            gaps=list(_gaps(rows, as_of_day)),
        )

    def open_ticket_gaps(
        self, as_of: DateLike = None, served_from: dt.date | None = None
    ) -> list[TicketGap]:
        """:meth:`ticket_sequence`'s open gaps (the same gaps, the same figures), found in
        SQL: only the neighbours of each gap are read, not every case. With
        ``served_from``, only the gaps above the first ticket served on or after that day
        (a bounded look: the alerts' lookback)."""
        span = self.cases.numbered_ticket_span()
        if span["first_post"] is None:
            return []
        first_day = as_date(month_of(span["first_post"]))
        if served_from is not None and first_day is not None:
            first_day = max(first_day, served_from)
        start = self.cases.first_numbered_ticket_served_from(first_day)
        width = len(start or self.cases.first_numbered_ticket_served_from(None) or "")
        as_of_day = as_date(as_of, end=True) or as_date(month_of(span["last_post"]), end=True)
        assert as_of_day is not None
        return [
            _open_gap(
                f"{number:0{width}d}",
                (row["ticket"], row["date_of_service"]),
                (row["next_ticket"], row["next_date_of_service"]),
                row["later_first_post"],
                as_of_day,
            )
            for row in self.cases.ticket_number_gaps(start)
            for number in _missing_numbers(row["ticket"], row["next_ticket"])
        ]


def _missing_numbers(ticket: str, next_ticket: str) -> range:
    """The ticket numbers between two neighbours; none when they are a numbering jump
    (more than :data:`MAX_TICKET_GAP` apart)."""
    low, high = int(ticket) + 1, int(next_ticket)
    return range(low, high) if high - low <= MAX_TICKET_GAP else range(0)


def _open_gap(
    ticket: str,
    before: tuple[str, dt.date | None],
    after: tuple[str, dt.date | None],
    opened: dt.date | None,
    as_of: dt.date,
) -> TicketGap:
    """A ticket never posted between the tickets ``before`` and ``after`` (each a ticket and
    its date of service); ``opened``: when a higher ticket first posted."""
    return TicketGap(
        ticket=ticket,
        status="open",
        previous_ticket=before[0],
        next_ticket=after[0],
        service_after=_iso(before[1]),
        service_before=_iso(after[1]),
        missing_since=_iso(opened) or as_of.isoformat(),
        missing_since_period=month_of(opened or as_of),
        filled_on=None,
        filled_period=None,
        days_missing=(as_of - opened).days if opened else None,
    )


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _shares(rows: list[dict], key: str, count_key: str) -> list[MixShare]:
    cases = sum(int(row[count_key]) for row in rows) or 1
    points = sum(float(row["points"]) for row in rows) or 1.0
    shares = [
        MixShare(
            key=row[key] or "(blank)",
            cases=int(row[count_key]),
            points=round(float(row["points"]), 4),
            charge_amount=round(float(row["charge_amount"]), 2),
            case_share=round(int(row[count_key]) / cases, 6),
            points_share=round(float(row["points"]) / points, 6),
        )
        for row in rows
    ]
    return sorted(shares, key=lambda share: (-share.cases, share.key))


def _gaps(rows: list[dict], as_of: dt.date) -> Iterable[TicketGap]:
    """Walk the sorted tickets once; ``since[i]`` is the first post among tickets > i.
    (Columns read into lists first, and a ticket next to the following number passed at
    once: an audit's window walks 75,000 tickets for a few hundred gaps.)"""
    tickets = [row["ticket"] for row in rows]
    posts = [row["first_post_date"] for row in rows]
    numbers = [int(ticket) for ticket in tickets]
    count = len(rows)
    since: list[dt.date | None] = [None] * count
    earliest: dt.date | None = None
    for i in range(count - 1, -1, -1):
        since[i] = earliest
        posted = posts[i]
        if posted and (earliest is None or posted < earliest):
            earliest = posted
    width = len(tickets[0])
    iso = _iso
    for i in range(count):
        posted, seen = posts[i], since[i]
        # A later month (month_of) means a later day: compare days first, it is cheaper.
        if posted and seen and posted > seen and month_of(posted) > month_of(seen):
            row = rows[i]
            previous = rows[i - 1] if i else None
            yield TicketGap(
                ticket=row["ticket"],
                status="filled",
                previous_ticket=previous["ticket"] if previous else None,
                next_ticket=rows[i + 1]["ticket"] if i + 1 < count else None,
                service_after=iso(previous["date_of_service"]) if previous else None,
                service_before=iso(rows[i + 1]["date_of_service"]) if i + 1 < count else None,
                missing_since=seen.isoformat(),
                missing_since_period=month_of(seen),
                filled_on=posted.isoformat(),
                filled_period=month_of(posted),
                days_missing=(posted - seen).days,
            )
        if i + 1 == count:
            break
        if numbers[i + 1] - numbers[i] <= 1:
            continue  # no number between them: _missing_numbers would give none
        row, following = rows[i], rows[i + 1]
        opened = following["first_post_date"]
        if since[i + 1] and (opened is None or since[i + 1] < opened):
            opened = since[i + 1]
        for number in _missing_numbers(row["ticket"], following["ticket"]):
            yield _open_gap(
                f"{number:0{width}d}",
                (row["ticket"], row["date_of_service"]),
                (following["ticket"], following["date_of_service"]),
                opened,
                as_of,
            )
