"""Income forecasting: the F2 payout schedule run forward, with intervals from its own errors.

Why a schedule model rather than curve-fitting pay: F2 pays a posting month's points over five
months (10/40/25/15/10 %) and each month the pool pays ``S(t) = O(t)·P(t) − Q(t)``, where P is
twelve months of adjusted points N and Q what the pool paid in the previous eleven months. So
most of next month's pay is already decided by points posted and pay already made; what is not
is (a) the points of months not yet posted and (b) the pool's $/point rate O, which re-prices
twelve months of points at once. The model forecasts exactly those two inputs (points from the
physician's own seasonal history, planned time off and what-ifs; the rate from its recent drift)
and runs the real arithmetic month by month (see docs/forecasting.md).

The design's pay-fitted models (rolling average, seasonal adjustment, trend line, plus
exponential smoothing and seasonal naive as baselines) stay available: as figures to compare,
and as the labelled fallback when a database has too little F2 history for the schedule.

Intervals come from each model's own rolling-origin backtest errors on the database's
history (log of actual/forecast, the latest 12 per horizon): a conformal rank quantile when
there are enough, a t-quantile of their spread when there are few, and with fewer than three
a simulation (or random-walk) interval that is labelled uncalibrated.

The work is bounded whatever the history's length: the backtest forecasts from the last
BACKTEST_ORIGINS months only, each forecast reads the HISTORY_MONTHS up to its origin, and
only those months are loaded; the pages keep the loaded data, each model's backtest and the
base case until the stored data changes (analytics/cache.py).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import statistics
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from analytics.cache import cached, data_version
from analytics.compensation import month_figures
from analytics.periods import month_add, month_range
from analytics.pipeline import ALL_POOLS, SCHEDULE, PointsLedger, month_end
from data.models import ForecastSnapshot, Packet, PlannedTimeOff
from data.repositories import (
    ForecastInputRepository,
    ForecastSnapshotRepository,
    MonthlySummaryRepository,
    PlannedTimeOffRepository,
)

DEFAULT_MODEL = "payout_schedule"
#: Model name -> label shown on pages and in the backtest.
MODELS: dict[str, str] = {
    "payout_schedule": "Payout schedule (F2 arithmetic)",
    "seasonal_naive": "Seasonal naive (same month last year)",
    "rolling_average": "Rolling average (6 months)",
    "rolling_average_12": "Rolling average (12 months)",
    "seasonal_adjusted": "Seasonally adjusted average",
    "trend_line": "Linear trend",
    "ets": "Exponential smoothing (Holt-Winters)",
}
BASELINES = tuple(name for name in MODELS if name != DEFAULT_MODEL)
#: What can be forecast: the pools' pay, total compensation and net pay (pool:CODE per pool).
METRICS: dict[str, str] = {
    "pool_pay": "Pool pay (F2 current allocation, all pools)",
    "total_compensation": "Total compensation",
    "net_pay": "Net pay",
}
HORIZONS = (3, 6, 12)
MAX_HORIZON = 12
MIN_HISTORY = 12  # months of packets before an origin the backtest forecasts from
#: The backtest forecasts from the last this many months before the latest packet (four
#: years: 48 one-month-ahead and 37 twelve-month-ahead errors, well over the ERRORS_KEPT an
#: interval uses; every origin of a whole career would make the work grow with the square of
#: the history and score the models on a practice of decades ago: docs/forecasting.md).
BACKTEST_ORIGINS = 48
#: Months up to and including an origin that a model reads (seasonal index, rate volatility,
#: the pay models' fit): five years, so the cost of one forecast does not grow with the
#: history either. Both bounds leave histories of three years exactly as before.
HISTORY_MONTHS = 60
ERRORS_KEPT = 12  # most recent backtest errors per horizon used for an interval
WEEKS_PER_MONTH = 52 / 12
FALLBACK_MODEL = "seasonal_adjusted"
#: Points level: the mean of this many posting months.
LEVEL_MONTHS = 12
#: A pool's share of the physician's points: over this many recent months.
SHARE_MONTHS = 3
#: How far the points level moves toward the physician's seasonal index (indices from two
#: or three years are noisy: vacations fall in different months each year).
SEASONAL_WEIGHT = 0.5
#: A rate drift is used only when the last twelve months show it this clearly (|t|).
DRIFT_T = 3.0
#: Share of an unusual posting backlog still there a month later.
BACKLOG_KEEP = 0.5
#: Weight of last year's N in the new points' part of N beyond the first month.
LAST_YEAR_SHADE = 0.5
#: Net pay: weight of last year's withholding pattern against a straight-line fit (1.0
#: measured best over the ten benchmark histories; the line is used where last year lacks).
NET_SEASONAL_WEIGHT = 1.0
BATCH_LAG_DAYS = 45  # a charge posted later than this waited for paperwork, not the batch

#: Two-sided t quantiles (0.90 and 0.975) by degrees of freedom, for intervals from few errors.
_T90 = {1: 3.078, 2: 1.886, 3: 1.638, 4: 1.533, 5: 1.476, 6: 1.440, 7: 1.415, 8: 1.397,
        9: 1.383, 10: 1.372, 11: 1.363, 12: 1.356, 15: 1.341, 20: 1.325, 30: 1.310}  # fmt: skip
_T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
         9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 15: 2.131, 20: 2.086, 30: 2.042}  # fmt: skip


def _t_quantile(confidence: float, df: int) -> float:
    table = _T975 if confidence >= 0.9 else _T90
    key = max(k for k in table if k <= max(df, 1))
    return table[key] if confidence in (0.8, 0.95) else _z(confidence)


def _z(confidence: float) -> float:
    return statistics.NormalDist().inv_cdf(0.5 + confidence / 2)


# --------------------------------------------------------------------------- data


@dataclass
class PoolPage:
    """One stored F2 pool page: M, N, O, S and its Section 3/4 lists."""

    points: float | None
    adjusted: float | None
    rate: float | None
    pay: float | None
    section3: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    section4: dict[str, float | None] = field(default_factory=dict)


@dataclass
class Assumptions:
    """What-if inputs, used by every forecast: case volume change (0.10 = +10 %), a rate
    change from next month (0.02 = +2 %), and weeks off by month (planned plus what-if)."""

    volume_change: float = 0.0
    rate_change: float = 0.0
    weeks_off: dict[str, float] = field(default_factory=dict)

    @property
    def is_base(self) -> bool:
        return not self.volume_change and not self.rate_change and not self.weeks_off

    def describe(self) -> str:
        parts = []
        if self.volume_change:
            parts.append(f"case volume {self.volume_change:+.0%}")
        if self.rate_change:
            parts.append(f"rate {self.rate_change:+.1%}")
        for month, weeks in sorted(self.weeks_off.items()):
            parts.append(f"{weeks:g} weeks off in {month}")
        return ", ".join(parts) or "base case"


class ForecastData:
    """Everything the models read, loaded once from the database (so a backtest over every
    origin costs no further queries): per period the pay figures, per pool its F2 pages, the
    points ledger and the posting lag of charges (planned time off is read by each
    :class:`IncomeForecast`: it is an assumption, not history).

    Only what the backtest and the forecast read is loaded: the periods from the backtest's
    first origin back HISTORY_MONTHS, and F2 Sections 3 and 4 (read at an origin only) from
    that first origin on; ``whole_history`` loads every period whole. Read-only once loaded:
    the pages share one per data version (:func:`forecast_data`)."""

    def __init__(self, session: Session, whole_history: bool = False) -> None:
        #: The stored data's fingerprint when loaded (backtests are kept per data version).
        self.version = data_version(session)
        repo = MonthlySummaryRepository(session)
        latest = None if whole_history else repo.latest()
        #: First period loaded (None: the whole history).
        self.since: str | None = None
        #: First period whose F2 Sections 3 and 4 are loaded (None: all).
        self.detailed: str | None = None
        packets: list[Packet] = []
        if latest is not None:
            first_origin = month_add(latest.period, -BACKTEST_ORIGINS)
            self.since, self.detailed = history_start(first_origin), first_origin
            packets = repo.find_with_reports(self.since, month_add(first_origin, -1))
        packets += repo.find_with_reports(self.detailed, None, with_history=True)
        by_period = {packet.period: packet for packet in packets}  # latest packet per period
        self.periods: list[str] = sorted(by_period)
        self.packet_ids = {period: packet.id for period, packet in by_period.items()}
        self.metrics: dict[str, dict[str, float]] = {}
        self.pages: dict[str, dict[str, PoolPage]] = {}
        self.pool_names: dict[str, str | None] = {}
        for period in self.periods:
            packet = by_period[period]
            detailed = self.detailed is None or period >= self.detailed
            pages: dict[str, PoolPage] = {}
            for report in packet.pool_reports:
                if report.pool == ALL_POOLS:
                    continue
                self.pool_names.setdefault(report.pool, report.name)
                page = PoolPage(
                    report.points, report.adjusted_points, report.rate, report.current_allocation
                )
                if detailed:
                    page.section3 = {h.month: (h.rate, h.adjusted_points) for h in report.history}
                    page.section4 = {a.month: a.amount for a in report.prior_allocations}
                pages[report.pool] = page
            self.pages[period] = pages
            for metric, value in packet_metrics(packet).items():
                self._put(metric, period, value)
        #: metric -> (periods, values), oldest first (series are sliced, not re-sorted)
        self._series = {
            metric: (sorted(values), [values[p] for p in sorted(values)])
            for metric, values in self.metrics.items()
        }
        self.ledger = PointsLedger(session)
        #: pool -> (posting months, M), oldest first
        self._points = {
            pool: (sorted(months), [months[m].points for m in sorted(months)])
            for pool, months in self.ledger.points.items()
        }
        posted_from = dt.date.fromisoformat(f"{self.since}-01") if self.since else None
        # One read of the lines' points by day of service and of post serves both the lag
        # shares and the posting backlog (each was a scan of every line in the window).
        by_day = ForecastInputRepository(session).points_by_service_and_post_date(posted_from)
        self.lag_shares = _lag_shares(by_day)
        #: pool -> posting month -> latest date of service posted that month (batch lag only)
        self.posted_through: dict[str, dict[str, dt.date]] = {}
        for pool, served, posted, _points in by_day:
            if pool is None or (posted - served).days > BATCH_LAG_DAYS:
                continue
            month = f"{posted.year:04d}-{posted.month:02d}"
            months = self.posted_through.setdefault(pool, {})
            if month not in months or served > months[month]:
                months[month] = served

    def _put(self, metric: str, period: str, value: float | None) -> None:
        if value is not None:
            self.metrics.setdefault(metric, {})[period] = float(value)

    @property
    def latest(self) -> str | None:
        return self.periods[-1] if self.periods else None

    def pools(self) -> list[str]:
        return list(self.pool_names)

    def series(
        self, metric: str, until: str | None = None, since: str | None = None
    ) -> list[tuple[str, float]]:
        """(period, value) of a metric, oldest first, from ``since`` up to ``until``."""
        periods, values = self._series.get(metric, ([], []))
        low = bisect_left(periods, since) if since else 0
        high = bisect_right(periods, until) if until else len(periods)
        return list(zip(periods[low:high], values[low:high], strict=True))

    def actual(self, metric: str, period: str) -> float | None:
        return self.metrics.get(metric, {}).get(period)

    def backlog(self, pool: str, origin: str) -> tuple[float, float] | None:
        """Days between the end of ``origin`` and the latest date of service posted by then,
        and that backlog's mean over the twelve months to ``origin``; None without F3."""
        through = self.posted_through.get(pool)
        if not through or origin not in self.periods:
            return None
        since = history_start(origin)
        latest: dt.date | None = None
        backlogs = []
        for month in sorted(m for m in through if since <= m <= origin):
            latest = through[month] if latest is None else max(latest, through[month])
        if latest is None:
            return None
        running: dt.date | None = None
        for month in month_range(max(min(through), since), origin):
            if month in through:
                running = through[month] if running is None else max(running, through[month])
            if running is not None and month > month_add(origin, -12):
                backlogs.append((month_end(month) - running).days)
        now = (month_end(origin) - latest).days
        return float(now), statistics.fmean(backlogs) if backlogs else float(now)

    def points(self, pool: str, until: str, since: str | None = None) -> dict[str, float]:
        """M by posting month from ``since`` up to ``until``, oldest first (F2 Section 1, else
        Section 2 of a later one)."""
        months, values = self._points.get(pool, ([], []))
        low = bisect_left(months, since) if since else 0
        high = bisect_right(months, until)
        return dict(zip(months[low:high], values[low:high], strict=True))


def packet_metrics(packet: Packet) -> dict[str, float | None]:
    """What a packet says of each metric: pool pay (all pools' F2 current allocation S, None
    without F2 pages), each pool's (``pool:CODE``), total compensation and net pay."""
    pays = {r.pool: r.current_allocation for r in packet.pool_reports if r.pool != ALL_POOLS}
    figures = month_figures(packet)
    values: dict[str, float | None] = {
        "pool_pay": sum(pay or 0.0 for pay in pays.values()) if pays else None
    }
    values.update({f"pool:{code}": pay for code, pay in pays.items()})
    values["total_compensation"] = figures.get("total_compensation")
    values["net_pay"] = figures.get("net_pay")
    return values


def history_start(origin: str) -> str:
    """The first month a forecast from ``origin`` reads (HISTORY_MONTHS up to ``origin``)."""
    return month_add(origin, 1 - HISTORY_MONTHS)


def _lag_shares(by_day: Iterable[tuple[str | None, dt.date, dt.date, float]]) -> list[float]:
    """Share of a service month's points posted 0, 1, 2, … months later (from F3 lines:
    ``(pool, date of service, date of post, points)`` sums), so weeks off in a month reduce
    the points of the months their charges would have posted. A pool's service and posting
    month whose points net to zero or less (credits) is left out."""
    by_month: dict[tuple[str | None, int, int], float] = defaultdict(float)
    for pool, served, posted, points in by_day:
        by_month[pool, served.year * 12 + served.month, posted.year * 12 + posted.month] += points
    totals: dict[int, float] = {}
    for (_pool, served_month, posted_month), points in by_month.items():
        lag = posted_month - served_month
        if points > 0 and 0 <= lag <= 6:
            totals[lag] = totals.get(lag, 0.0) + points
    whole = sum(totals.values())
    if not whole:
        return [0.3, 0.6, 0.1]
    return [totals.get(lag, 0.0) / whole for lag in range(max(totals) + 1)]


def _months_between(start: str, end: str) -> int:
    return (int(end[:4]) - int(start[:4])) * 12 + int(end[5:7]) - int(start[5:7])


# --------------------------------------------------------------------------- inputs


def points_forecast(
    data: ForecastData,
    pool: str,
    origin: str,
    months: list[str],
    assumptions: Assumptions,
    work: Work | None = None,
) -> dict[str, float]:
    """Points M the pool will post in each future month.

    Work: the level is the mean of the last twelve posting months (a month with no postings
    and the double month after it cancel out) as points per day of service, shaded toward
    the physician's own seasonal index of the service month when two years show one.
    Posting: the billing company posts a week's cases in one batch some one to six weeks
    later, and that backlog drifts; F3's dates of service tell how far posting had got at
    the origin, so a month posts the work between the backlog's end then and its expected
    end (drifting back to its usual length). Then planned time off (by service day) and the
    volume what-if. ``work``: :func:`physician_work` at ``origin`` when already computed.
    """
    work = work or physician_work(data, origin)
    if not any(work.pools.get(pool, {}).values()):
        return {m: 0.0 for m in months}
    level = work.level * _pool_share(work, pool, origin)
    seasonal = work.seasonal
    per_day: dict[tuple[int, int], float] = {}  # the same for every day of a month

    def daily(day: dt.date) -> float:
        """Points a calendar day of service earns, with the season and planned time off."""
        value = per_day.get((day.year, day.month))
        if value is None:
            month = f"{day.year:04d}-{day.month:02d}"
            factor = 1 + SEASONAL_WEIGHT * (seasonal.get(month[5:], 1.0) - 1)
            off = min(assumptions.weeks_off.get(month, 0.0), WEEKS_PER_MONTH) / WEEKS_PER_MONTH
            value = per_day[day.year, day.month] = level * 12 / 365.25 * factor * (1 - off)
        return value

    backlog = data.backlog(pool, origin)
    result = {}
    if backlog is None:  # no F3 dates: posting months follow service months by the usual lag
        for month in months:
            mid = month_end(month) - dt.timedelta(days=15)
            lost = sum(
                share * min(assumptions.weeks_off.get(month_add(month, -lag), 0.0),
                            WEEKS_PER_MONTH) / WEEKS_PER_MONTH
                for lag, share in enumerate(data.lag_shares)
            )  # fmt: skip
            off_now = min(assumptions.weeks_off.get(month, 0.0), WEEKS_PER_MONTH)
            base = daily(mid) / (1 - off_now / WEEKS_PER_MONTH) * 365.25 / 12
            result[month] = max(0.0, base * (1 - lost) * (1 + assumptions.volume_change))
        return result
    now, usual = backlog
    posted_to = month_end(origin) - dt.timedelta(days=now)
    for step, month in enumerate(months, start=1):
        expected = usual + (now - usual) * BACKLOG_KEEP**step
        until = month_end(month) - dt.timedelta(days=expected)
        value = 0.0
        day = posted_to
        while day < until:
            day += dt.timedelta(days=1)
            value += daily(day)
        posted_to = max(posted_to, until)
        result[month] = max(0.0, value * (1 + assumptions.volume_change))
    return result


@dataclass
class Work:
    """The physician's whole work up to an origin, over all pools: a pool's points level is
    the mean of the last twelve months of it times the pool's share of the recent months.
    Work moves between sites (a new pool takes days from the others), so a pool's own
    twelve-month mean lags such a shift while the physician's total does not."""

    pools: dict[str, dict[str, float]]  # pool -> posting month -> M (HISTORY_MONTHS)
    total: dict[str, float]  # posting month -> M of all pools
    level: float  # mean of the last LEVEL_MONTHS months of the total
    seasonal: dict[str, float]  # calendar month ("07") -> index; empty under two years


def physician_work(data: ForecastData, origin: str) -> Work:
    """:class:`Work` at ``origin`` (the same for every pool: computed once per origin)."""
    pools = {code: data.points(code, origin, history_start(origin)) for code in data.pools()}
    months = sorted({m for history in pools.values() for m in history})
    total = {m: sum(history.get(m, 0.0) for history in pools.values()) for m in months}
    window = month_range(month_add(origin, -(LEVEL_MONTHS - 1)), origin)
    level = sum(total.get(m, 0.0) for m in window) / len(window)
    seasonal = _seasonal_index(total, months[0], origin) if months else {}
    return Work(pools, total, level, seasonal)


def _pool_share(work: Work, pool: str, origin: str) -> float:
    """The pool's share of the physician's points over the last SHARE_MONTHS months (or
    since the pool started)."""
    started = [m for m, p in work.pools.get(pool, {}).items() if p]
    if not started:
        return 0.0
    recent = month_range(max(started[0], month_add(origin, -(SHARE_MONTHS - 1))), origin)
    recent_total = sum(work.total.get(m, 0.0) for m in recent)
    own = sum(work.pools[pool].get(m, 0.0) for m in recent)
    return own / recent_total if recent_total else 0.0


def _seasonal_index(history: dict[str, float], first: str, origin: str) -> dict[str, float]:
    """Calendar month -> its points over the mean of the twelve months around it, averaged
    over years; empty with less than 24 months (one year cannot tell season from chance)."""
    months = month_range(first, origin)
    if len(months) < 24:
        return {}
    ratios: dict[str, list[float]] = {}
    for i in range(6, len(months) - 5):
        window = months[i - 6 : i + 6]
        mean = sum(history.get(m, 0.0) for m in window) / 12
        value = history.get(months[i], 0.0)
        if mean > 0 and value > 0:
            ratios.setdefault(months[i][5:], []).append(value / mean)
    # Months at the end without a centred window: against the trailing twelve.
    for i in range(max(len(months) - 5, 12), len(months)):
        mean = sum(history.get(m, 0.0) for m in months[i - 11 : i + 1]) / 12
        value = history.get(months[i], 0.0)
        if mean > 0 and value > 0:
            ratios.setdefault(months[i][5:], []).append(value / mean)
    index = {cal: statistics.median(vals) for cal, vals in ratios.items()}
    if len(index) < 12:
        return {}
    mean_index = sum(index.values()) / 12
    return {cal: value / mean_index for cal, value in index.items()}


@dataclass
class RateForecast:
    """A pool's rate path and how it was chosen."""

    latest: float
    latest_period: str
    drift: float  # log change a month applied
    january_step: float  # log change applied each January
    volatility: float  # sd of the monthly log change (for simulation intervals)
    path: dict[str, float] = field(default_factory=dict)
    note: str = ""


def rate_forecast(
    data: ForecastData, pool: str, origin: str, months: list[str], assumptions: Assumptions
) -> RateForecast | None:
    """The pool's $/point rate ahead: the latest O, moved by its recent drift only when the
    last twelve months show one clearly (|t| > 2; a rate is near a random walk, and a noisy
    drift estimate costs more than it gains), and by a January step only when every January
    seen moved the same way by more than ordinary months do."""
    rates = {}
    periods = data.periods
    for period in periods[bisect_left(periods, history_start(origin)) :]:
        if period > origin:
            break
        page = data.pages[period].get(pool)
        if page is not None and page.rate:
            rates[period] = page.rate
    if not rates:
        return None
    latest_period = max(rates)
    latest = rates[latest_period]
    changes = []
    january = []
    for period in sorted(rates):
        previous = month_add(period, -1)
        if previous in rates:
            change = math.log(rates[period] / rates[previous])
            (january if period.endswith("-01") else changes).append((period, change))
    recent = [c for p, c in changes if p > month_add(origin, -12)]
    drift = 0.0
    note = "latest rate held flat"
    volatility = statistics.pstdev([c for _, c in changes]) if len(changes) >= 2 else 0.015
    if len(recent) >= 6:
        mean = statistics.fmean(recent)
        spread = statistics.stdev(recent)
        if spread > 0 and abs(mean) / (spread / math.sqrt(len(recent))) > DRIFT_T:
            drift = mean
            note = f"recent drift {mean:+.2%} a month"
    step = 0.0
    jan = [c for _, c in january]
    same_sign = all(c > 0 for c in jan) or all(c < 0 for c in jan)
    if len(jan) >= 2 and same_sign and min(abs(c) for c in jan) > 2 * max(volatility, 1e-6):
        step = statistics.fmean(jan)
        note += f"; January step {step:+.1%}"
    result = RateForecast(latest, latest_period, drift, step, max(volatility, 0.002), note=note)
    log_rate = math.log(latest)
    for month in months:
        log_rate += drift + (step if month.endswith("-01") else 0.0)
        result.path[month] = math.exp(log_rate) * (1 + assumptions.rate_change)
    return result


# --------------------------------------------------------------------------- the schedule


@dataclass
class PoolMonthForecast:
    """One pool's forecast month through the F2 arithmetic, and what it hangs on."""

    pool: str
    month: str
    points: float  # M forecast (posting month)
    adjusted_points: float  # N
    owed_points: float  # part of N from points already posted (the pay pipeline)
    pooled_points: float  # P
    rate: float  # O
    total_allocation: float  # R = O·P
    prior_allocation: float  # Q = pay of the previous eleven months
    pay: float  # S = R − Q
    determined: float = 0.0  # pay from points already posted, at today's rate
    from_new_points: float = 0.0  # pay from points not yet posted, at today's rate
    from_rate_change: float = 0.0  # pay from the rate forecast's move off today's rate
    per_rate_dollar: float = 0.0  # $ of this month's pay per $1/point rate change from now on


@dataclass
class PoolState:
    """What the packets say at the origin: N and S of the last twelve months, M of the
    last five posting months, the latest rate."""

    adjusted: dict[str, float]
    paid: dict[str, float]
    points: dict[str, float]
    rate: RateForecast
    #: Future month -> last year's N of the physician's whole work times this pool's share
    #: (see LAST_YEAR_SHADE); empty: the pool's own last-year N when it has a full year.
    guide: dict[str, float] = field(default_factory=dict)

    @property
    def mature(self) -> bool:
        """Paid in each of the last twelve months (so last year's N means something)."""
        return len(self.adjusted) >= 12 and all(self.adjusted.values())


def pool_state(
    data: ForecastData, pool: str, origin: str, months: list[str], assumptions: Assumptions
) -> PoolState | None:
    """N and S of the twelve months to ``origin`` from each month's own F2 page, else from
    Sections 3 and 4 of the origin's page; None when neither has them."""
    rate = rate_forecast(data, pool, origin, months, assumptions)
    if rate is None or origin not in data.pages:
        return None
    latest_page = data.pages[origin].get(pool)
    adjusted: dict[str, float] = {}
    paid: dict[str, float] = {}
    for month in month_range(month_add(origin, -11), origin):
        page = data.pages.get(month, {}).get(pool) if month in data.pages else None
        if page is not None and page.adjusted is not None and page.pay is not None:
            adjusted[month], paid[month] = page.adjusted, page.pay
            continue
        if month in data.pages and page is None:
            adjusted[month], paid[month] = 0.0, 0.0  # packet stored, pool not yet started
            continue
        if latest_page is None or not latest_page.section3:
            return None  # neither this month's packet nor the origin's Section 3 to read
        listed = latest_page.section3.get(month)
        if month != origin and month not in latest_page.section4 and listed is None:
            adjusted[month], paid[month] = 0.0, 0.0  # before the pool's first month
            continue
        if listed is None or listed[1] is None or latest_page.section4.get(month) is None:
            return None
        adjusted[month], paid[month] = listed[1], latest_page.section4[month] or 0.0
    recent = data.points(pool, origin, month_add(origin, 1 - len(SCHEDULE)))
    return PoolState(adjusted, paid, recent, rate)


def run_schedule(
    pool: str,
    state: PoolState,
    months: list[str],
    future_points: dict[str, float],
    rates: dict[str, float],
    base_points: dict[str, float] | None = None,
) -> list[PoolMonthForecast]:
    """N, P, R, Q and S month by month, exactly as F2 computes them (pipeline.SCHEDULE).

    ``base_points`` are the future points without the what-if and time off: the what-if
    scales last year's guide to N by the same ratio (see LAST_YEAR_SHADE)."""
    points = {**state.points, **future_points}
    base = points if base_points is None else {**state.points, **base_points}
    adjusted = dict(state.adjusted)
    paid = dict(state.paid)
    origin = month_add(months[0], -1)
    mature = not state.guide and state.mature
    rows = []
    for month in months:
        back = _year_back(month)
        n = owed = base_new = 0.0
        for source, weight in zip(back[: len(SCHEDULE)], SCHEDULE, strict=True):
            part = points.get(source, 0.0) * weight
            n += part
            if source <= origin:
                owed += part
            else:
                base_new += base.get(source, 0.0) * weight
        if state.guide:
            last_year = state.guide.get(month)
        else:
            last_year = state.adjusted.get(back[12]) if mature else None
        if month > months[0] and last_year and n > owed and base_new > 0:
            # Combine inside the points: the new points' part of N, shaded toward what the
            # same month last year implies (N is a smooth five-month blend of M, so last
            # year's N is a steady guide where a single month's postings are not), scaled
            # by the what-if as the points are.
            implied = max(0.0, last_year - owed) * (n - owed) / base_new
            n = owed + LAST_YEAR_SHADE * implied + (1 - LAST_YEAR_SHADE) * (n - owed)
        adjusted[month] = n
        p = sum(map(adjusted.get, back[:12], _ZEROS))
        q = sum(map(paid.get, back[1:12], _ZEROS))
        r = rates[month] * p
        paid[month] = r - q
        rows.append(
            PoolMonthForecast(
                pool, month, future_points.get(month, 0.0), n, owed, p, rates[month], r, q, r - q
            )
        )
    return rows


_ZEROS = (0.0,) * 12


@lru_cache(maxsize=1024)
def _year_back(month: str) -> tuple[str, ...]:
    """``month`` and the twelve months before it, newest first (the schedule's arithmetic
    asks for them over and over: 400 simulated paths of twelve months)."""
    return tuple(month_add(month, -k) for k in range(13))


@dataclass
class ScheduleForecast:
    """The payout-schedule model's forecast from one origin: per pool, month by month."""

    origin: str
    months: list[str]
    pools: dict[str, list[PoolMonthForecast]]
    rates: dict[str, RateForecast]
    other_compensation: list[float]  # total compensation minus pool pay (stipends, other lines)
    net_rule: NetRule | None  # how net pay follows total compensation
    assumptions: Assumptions

    def pool_pay(self) -> list[float]:
        return [sum(rows[i].pay for rows in self.pools.values()) for i in range(len(self.months))]

    def metric(self, metric: str) -> list[float] | None:
        if metric.startswith("pool:"):
            rows = self.pools.get(metric[5:])
            return None if rows is None else [row.pay for row in rows]
        pay = self.pool_pay()
        if metric == "pool_pay":
            return pay
        total = [p + o for p, o in zip(pay, self.other_compensation, strict=True)]
        if metric == "total_compensation":
            return total
        if metric == "net_pay" and self.net_rule is not None:
            return self.net_rule.net(total)
        return None

    def metric_sum(self, metric: str, attribute: str) -> list[float]:
        """A per-pool attribute summed over pools (for net pay, what is left of it after the
        marginal deductions and taxes)."""
        pools = [metric[5:]] if metric.startswith("pool:") else list(self.pools)
        values = [
            sum(getattr(self.pools[p][i], attribute) for p in pools if p in self.pools)
            for i in range(len(self.months))
        ]
        if metric == "net_pay" and self.net_rule is not None:
            values = [v * (1 - self.net_rule.marginal) for v in values]
        return values


def schedule_forecast(
    data: ForecastData, origin: str, horizon: int, assumptions: Assumptions, detail: bool = True
) -> ScheduleForecast | None:
    """The default model from ``origin`` for ``horizon`` months; None when the packets lack
    the F2 history it needs (then the fallback model is used, and said so)."""
    months = [month_add(origin, k) for k in range(1, horizon + 1)]
    pools: dict[str, list[PoolMonthForecast]] = {}
    rates: dict[str, RateForecast] = {}
    if origin not in data.pages or not data.pages[origin]:
        return None
    states = {}
    for pool in data.pools():
        state = pool_state(data, pool, origin, months, assumptions)
        if state is None:
            if pool in data.pages[origin]:
                return None
            continue
        states[pool] = state
    work = physician_work(data, origin)
    for pool, state in states.items():  # last year's N of all the work, at today's mix
        share = _pool_share(work, pool, origin)
        for month in months:
            before = month_add(month, -12)
            total = sum(other.adjusted.get(before, 0.0) for other in states.values())
            if total > 0:
                state.guide[month] = total * share
    for pool, state in states.items():
        future = points_forecast(data, pool, origin, months, assumptions, work)
        plain = None
        if assumptions.volume_change or assumptions.weeks_off:
            plain = points_forecast(data, pool, origin, months, Assumptions(), work)
        rows = run_schedule(pool, state, months, future, state.rate.path, plain)
        if detail:
            _decompose(pool, state, months, future, rows, plain)
        pools[pool] = rows
        rates[pool] = state.rate
    if not pools:
        return None
    return ScheduleForecast(
        origin,
        months,
        pools,
        rates,
        _other_compensation(data, origin, months),
        _net_rule(data, origin, months),
        assumptions,
    )


def _decompose(
    pool: str,
    state: PoolState,
    months: list[str],
    future: dict[str, float],
    rows: list[PoolMonthForecast],
    plain: dict[str, float] | None,
) -> None:
    """Split each month's pay into what posted points decide at today's rate, what new
    points add, and what the rate forecast moves; and its $ per $1 rate change. The model is
    linear in points at a fixed rate, so the three parts add up exactly."""
    flat = {m: state.rate.latest for m in months}
    bumped = {m: rate + 1.0 for m, rate in state.rate.path.items()}
    posted_only = run_schedule(pool, state, months, {m: 0.0 for m in months}, flat)
    at_today = run_schedule(pool, state, months, future, flat, plain)
    plus_one = run_schedule(pool, state, months, future, bumped, plain)
    for row, base, today, bump in zip(rows, posted_only, at_today, plus_one, strict=True):
        row.determined = base.pay
        row.from_new_points = today.pay - base.pay
        row.from_rate_change = row.pay - today.pay
        row.per_rate_dollar = bump.pay - row.pay


def _other_compensation(data: ForecastData, origin: str, months: list[str]) -> list[float]:
    """Total compensation beyond the pools (stipends, adjustments): half the same month last
    year, half the median of the last twelve months."""
    other = {}
    for period, total in data.series("total_compensation", origin, history_start(origin)):
        pool_pay = data.actual("pool_pay", period)
        if pool_pay is not None:
            other[period] = total - pool_pay
    if not other:
        return [0.0] * len(months)
    recent = [v for p, v in other.items() if p > month_add(origin, -12)]
    median = statistics.median(recent or list(other.values()))
    result = []
    for month in months:
        last_year = other.get(month_add(month, -12))
        result.append(median if last_year is None else 0.5 * median + 0.5 * last_year)
    return result


@dataclass
class NetRule:
    """Net pay from total compensation: what is withheld (overhead, deductions, taxes) is
    last year's same month plus a marginal share of the change in total compensation, so the
    year's pattern (January 401(k) deferrals, the Social Security cap late in the year) is
    kept; a flat share of recent months where last year is missing."""

    marginal: float
    share_withheld: float
    withheld_last_year: list[float | None]
    total_last_year: list[float | None]
    fixed: float | None = None  # withheld = fixed + marginal x total, fitted on recent months

    def net(self, total: list[float]) -> list[float]:
        result = []
        for i, value in enumerate(total):
            withheld, before = self.withheld_last_year[i], self.total_last_year[i]
            if withheld is None or before is None:
                if self.fixed is None:
                    result.append(value * (1 - self.share_withheld))
                else:
                    result.append(value - self.fixed - self.marginal * value)
                continue
            seasonal = withheld + self.marginal * (value - before)
            if self.fixed is not None:
                linear = self.fixed + self.marginal * value
                seasonal = NET_SEASONAL_WEIGHT * seasonal + (1 - NET_SEASONAL_WEIGHT) * linear
            result.append(value - seasonal)
        return result


def _net_rule(data: ForecastData, origin: str, months: list[str]) -> NetRule | None:
    net = dict(data.series("net_pay", origin, history_start(origin)))
    total = dict(data.series("total_compensation", origin, history_start(origin)))
    common = [p for p in sorted(net) if p in total and p > month_add(origin, -24)]
    if not common:
        return None
    recent = [p for p in common if p > month_add(origin, -12)]
    denominator = sum(total[p] for p in recent)
    share = 1 - sum(net[p] for p in recent) / denominator if denominator > 0 else 0.4
    marginal = share
    fixed = None
    if len(common) >= 6:
        xs = [total[p] for p in common]
        ys = [total[p] - net[p] for p in common]
        mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
        sxx = sum((x - mean_x) ** 2 for x in xs)
        if sxx > 0:
            slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
            marginal = min(0.8, max(0.2, slope))
            fixed = mean_y - marginal * mean_x
    last_year = [month_add(m, -12) for m in months]
    return NetRule(
        marginal,
        share,
        [total[m] - net[m] if m in net and m in total else None for m in last_year],
        [total.get(m) if m in net else None for m in last_year],
        fixed,
    )


# --------------------------------------------------------------------------- pay-fitted models


def _values(data: ForecastData, metric: str, origin: str) -> list[float]:
    """The metric's HISTORY_MONTHS up to ``origin``: what the pay-fitted models fit."""
    return [v for _, v in data.series(metric, origin, history_start(origin))]


def seasonal_naive(y: list[float], horizon: int) -> list[float] | None:
    """The same month last year."""
    if len(y) < 12:
        return None
    return [y[len(y) - 12 + (h - 1) % 12] for h in range(1, horizon + 1)]


def rolling_average(y: list[float], horizon: int, months_back: int = 6) -> list[float] | None:
    """The mean of the last ``months_back`` months, flat."""
    if not y:
        return None
    window = y[-months_back:]
    return [sum(window) / len(window)] * horizon


def seasonal_adjusted(y: list[float], horizon: int, years_history: int = 2) -> list[float] | None:
    """Recent level (6 months, seasonally adjusted) times each month's seasonal index from
    the last ``years_history`` years; the plain average with less than a year."""
    if len(y) < 12:
        return rolling_average(y, horizon)
    span = min(len(y), 12 * years_history)
    span -= span % 12
    tail = y[-span:]
    mean = sum(tail) / span
    if mean == 0:
        return rolling_average(y, horizon)
    index = [sum(tail[i::12]) / len(tail[i::12]) / mean for i in range(12)]
    offset = len(y) - span  # tail[i] is y[offset + i]

    def idx(position: int) -> float:
        return index[(position - offset) % 12] or 1.0

    recent = [y[k] / idx(k) for k in range(len(y) - 6, len(y))]
    level = sum(recent) / len(recent)
    return [level * idx(len(y) - 1 + h) for h in range(1, horizon + 1)]


def trend_line(y: list[float], horizon: int, months_back: int = 24) -> list[float] | None:
    """Least-squares line through the last ``months_back`` months, extended."""
    tail = y[-months_back:]
    n = len(tail)
    if n < 3:
        return rolling_average(y, horizon)
    mean_x = (n - 1) / 2
    mean_y = sum(tail) / n
    sxx = sum((i - mean_x) ** 2 for i in range(n))
    slope = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(tail)) / sxx
    return [mean_y + slope * (n - 1 + h - mean_x) for h in range(1, horizon + 1)]


def ets(y: list[float], horizon: int) -> list[float] | None:
    """Holt-Winters additive smoothing with a damped trend (seasonal with two years or more),
    parameters picked by a grid search on one-step errors (our own implementation)."""
    if len(y) < 4:
        return rolling_average(y, horizon)
    seasonal = len(y) >= 24
    best: tuple[float, list[float]] | None = None
    gammas = (0.05, 0.2, 0.4) if seasonal else (0.0,)
    for alpha in (0.1, 0.3, 0.5, 0.8):
        for beta in (0.0, 0.05, 0.2):
            for gamma in gammas:
                sse, forecast = _holt_winters(y, horizon, alpha, beta, gamma, seasonal)
                if best is None or sse < best[0]:
                    best = (sse, forecast)
    return best[1] if best else None


def _holt_winters(
    y: list[float], horizon: int, alpha: float, beta: float, gamma: float, seasonal: bool
) -> tuple[float, list[float]]:
    phi = 0.9
    period = 12
    if seasonal:
        first_year = sum(y[:period]) / period
        season = [y[i] - first_year for i in range(period)]
        level = first_year
        trend = (sum(y[period : 2 * period]) / period - first_year) / period
    else:
        season = [0.0] * period
        level, trend = y[0], y[1] - y[0]
    sse = 0.0
    for t, value in enumerate(y):
        s = season[t % period]
        predicted = level + phi * trend + s
        sse += (value - predicted) ** 2
        previous = level
        level = alpha * (value - s) + (1 - alpha) * (level + phi * trend)
        trend = beta * (level - previous) + (1 - beta) * phi * trend
        if seasonal:
            season[t % period] = gamma * (value - level) + (1 - gamma) * s
    forecast = []
    damp = 0.0
    for h in range(1, horizon + 1):
        damp += phi**h
        forecast.append(level + damp * trend + season[(len(y) + h - 1) % period])
    return sse, forecast


PAY_MODELS: dict[str, Callable[[list[float], int], list[float] | None]] = {
    "seasonal_naive": seasonal_naive,
    "rolling_average": rolling_average,
    "rolling_average_12": lambda y, h: rolling_average(y, h, 12),
    "seasonal_adjusted": seasonal_adjusted,
    "trend_line": trend_line,
    "ets": ets,
}


def model_values(
    data: ForecastData,
    model: str,
    metric: str,
    origin: str,
    horizon: int,
    assumptions: Assumptions | None = None,
) -> list[float] | None:
    """Point forecasts of ``metric`` for the ``horizon`` months after ``origin``."""
    assumptions = assumptions or Assumptions()
    if model == DEFAULT_MODEL:
        result = schedule_forecast(data, origin, horizon, assumptions, detail=False)
        return None if result is None else result.metric(metric)
    if model not in PAY_MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    y = _values(data, metric, origin)
    values = PAY_MODELS[model](y, horizon)
    if values is None or assumptions.is_base:
        return values
    # A pay-fitted model knows nothing of points or rates: the what-if scales it crudely.
    factor = (1 + assumptions.volume_change) * (1 + assumptions.rate_change)
    months = [month_add(origin, h) for h in range(1, horizon + 1)]
    return [
        v * factor * (1 - min(assumptions.weeks_off.get(m, 0.0), WEEKS_PER_MONTH) / 4.345)
        for v, m in zip(values, months, strict=True)
    ]


# --------------------------------------------------------------------------- backtest


@dataclass
class BacktestError:
    """One rolling-origin forecast against its actual."""

    model: str
    metric: str
    origin: str
    horizon: int  # months ahead; 0 stands for the 12-month total
    target: str
    forecast: float
    actual: float
    lower_95: float | None = None
    upper_95: float | None = None
    lower_80: float | None = None
    upper_80: float | None = None
    calibrated: bool = False

    @property
    def ape(self) -> float:
        return abs(self.actual - self.forecast) / abs(self.actual) if self.actual else math.nan

    @property
    def log_error(self) -> float | None:
        if self.actual > 0 and self.forecast > 0:
            return math.log(self.actual / self.forecast)
        return None


TOTAL = 0  # horizon key of the 12-month total


@dataclass
class Backtest:
    """Rolling-origin errors of every model on the database's own history."""

    metric: str
    errors: list[BacktestError] = field(default_factory=list)

    def of(self, model: str, horizon: int) -> list[BacktestError]:
        if getattr(self, "_indexed", -1) != len(self.errors):
            index: dict[tuple[str, int], list[BacktestError]] = {}
            for error in self.errors:
                index.setdefault((error.model, error.horizon), []).append(error)
            self._index, self._indexed = index, len(self.errors)
        return list(self._index.get((model, horizon), []))

    def mape(self, model: str, horizon: int) -> float | None:
        apes = [e.ape for e in self.of(model, horizon) if not math.isnan(e.ape)]
        return sum(apes) / len(apes) if apes else None

    def coverage(self, model: str, level: float, horizons: range | None = None) -> float | None:
        """Share of calibrated intervals that held the actual."""
        horizons = horizons or range(1, MAX_HORIZON + 1)
        held = []
        for e in self.errors:
            if e.model != model or e.horizon not in horizons or not e.calibrated:
                continue
            low, high = (e.lower_95, e.upper_95) if level == 0.95 else (e.lower_80, e.upper_80)
            if low is not None and high is not None:
                held.append(low <= e.actual <= high)
        return sum(held) / len(held) if held else None

    def summary(self) -> list[dict[str, Any]]:
        """One row per model: MAPE per horizon, of the 12-month total, and coverage."""
        rows = []
        models = list(dict.fromkeys(e.model for e in self.errors))
        for model in models:
            row: dict[str, Any] = {"model": model, "label": MODELS.get(model, model)}
            for h in range(1, MAX_HORIZON + 1):
                row[f"h{h}"] = self.mape(model, h)
                row[f"n{h}"] = len(self.of(model, h))
            row["total_12"] = self.mape(model, TOTAL)
            row["n_total_12"] = len(self.of(model, TOTAL))
            row["coverage_80"] = self.coverage(model, 0.80)
            row["coverage_95"] = self.coverage(model, 0.95)
            rows.append(row)
        return rows


def interval_from_errors(
    forecast: float, errors: list[float], confidence: float
) -> tuple[float, float] | None:
    """A band around ``forecast`` from past log errors log(actual/forecast): the conformal
    rank quantile of |error| when that rank exists among them, else a t-quantile of their
    spread; None with fewer than three errors."""
    errors = errors[-ERRORS_KEPT:]
    n = len(errors)
    if n < 3 or forecast <= 0:
        return None
    rank = math.ceil((n + 1) * confidence)
    if rank <= n:
        q = sorted(abs(e) for e in errors)[rank - 1]
        return forecast * math.exp(-q), forecast * math.exp(q)
    mean = sum(errors) / n
    spread = math.sqrt(sum((e - mean) ** 2 for e in errors) / (n - 1) * (1 + 1 / n))
    t = _t_quantile(confidence, n - 1)
    return forecast * math.exp(mean - t * spread), forecast * math.exp(mean + t * spread)


def backtest(
    data: ForecastData,
    metric: str = "pool_pay",
    models: tuple[str, ...] | None = None,
    max_horizon: int = MAX_HORIZON,
) -> Backtest:
    """Every model from each origin in the BACKTEST_ORIGINS months before the latest packet
    with at least MIN_HISTORY months before it, each month ahead up to ``max_horizon`` and
    the 12-month total; each error's intervals are built from the errors whose target month
    was already known at its origin."""
    models = models or tuple(MODELS)
    result = Backtest(metric)
    periods = [p for p, _ in data.series(metric)]
    if len(periods) <= MIN_HISTORY or data.latest is None:
        return result
    first = month_add(data.latest, -BACKTEST_ORIGINS)
    origins = [p for p in periods[MIN_HISTORY - 1 : -1] if p >= first]
    for model in models:
        for origin in origins:
            values = model_values(data, model, metric, origin, max_horizon)
            if values is None:
                continue
            for h, value in enumerate(values, start=1):
                target = month_add(origin, h)
                actual = data.actual(metric, target)
                if actual is not None:
                    result.errors.append(
                        BacktestError(model, metric, origin, h, target, value, actual)
                    )
            targets = [data.actual(metric, month_add(origin, h)) for h in range(1, 13)]
            if len(values) >= 12 and all(t is not None for t in targets):
                result.errors.append(
                    BacktestError(
                        model,
                        metric,
                        origin,
                        TOTAL,
                        month_add(origin, 12),
                        sum(values[:12]),
                        sum(t for t in targets if t is not None),
                    )  # fmt: skip
                )
    _attach_intervals(result)
    return result


def known_errors(bt: Backtest, model: str, horizon: int, as_of: str) -> list[float]:
    """Log errors of ``model`` at ``horizon`` whose target month was known by ``as_of``."""
    return [
        e.log_error
        for e in sorted(bt.of(model, horizon), key=lambda e: e.target)
        if e.target <= as_of and e.log_error is not None
    ]


def nested_bands(
    forecast: float, errors: list[float], confidence: float = 0.95
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The 80 % band and the ``confidence`` band, the wider never inside the narrower
    (one may come from ranks and the other from a t-quantile)."""
    inner = interval_from_errors(forecast, errors, 0.80)
    outer = interval_from_errors(forecast, errors, confidence)
    if inner is None or outer is None:
        return None
    return inner, (min(inner[0], outer[0]), max(inner[1], outer[1]))


def _attach_intervals(bt: Backtest) -> None:
    """Each error's bands from the :func:`known_errors` at its origin (the log errors of its
    model and horizon whose target month was known by then), sorted once per model and
    horizon rather than once per error."""
    groups: dict[tuple[str, int], list[BacktestError]] = {}
    for error in bt.errors:
        groups.setdefault((error.model, error.horizon), []).append(error)
    for group in groups.values():
        ordered = sorted(group, key=lambda e: e.target)
        targets = [e.target for e in ordered]
        logs: list[float] = []  # log errors in target order, None left out
        upto = [0]  # upto[k]: how many of them come from ordered[:k]
        for e in ordered:
            if (log_error := e.log_error) is not None:
                logs.append(log_error)
            upto.append(len(logs))
        for error in group:
            known = logs[: upto[bisect_right(targets, error.origin)]]
            bands = nested_bands(error.forecast, known)
            if bands is not None:
                (error.lower_80, error.upper_80), (error.lower_95, error.upper_95) = bands
                error.calibrated = True


# --------------------------------------------------------------------------- forecasts


@dataclass
class Forecast:
    """A model's forecast of one metric from one origin, with 80 %/95 % bands."""

    model: str
    metric: str
    origin: str
    months: list[str]
    values: list[float]
    lower_80: list[float | None] = field(default_factory=list)
    upper_80: list[float | None] = field(default_factory=list)
    lower_95: list[float | None] = field(default_factory=list)
    upper_95: list[float | None] = field(default_factory=list)
    interval_method: list[str] = field(default_factory=list)
    note: str = ""
    assumptions: Assumptions = field(default_factory=Assumptions)

    @property
    def label(self) -> str:
        return MODELS.get(self.model, self.model)

    @property
    def calibrated(self) -> bool:
        return all(m.startswith("backtest") for m in self.interval_method)

    def total(self, months: int) -> float:
        return sum(self.values[:months])

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["label"] = self.label
        data["calibrated"] = self.calibrated
        return data


@dataclass
class Totals:
    """The sum over the next N months and its band (from the total's own errors when the
    history has them, else from the monthly bands as if independent — labelled)."""

    months: int
    value: float
    lower_95: float | None
    upper_95: float | None
    method: str


class IncomeForecast:
    """The design's forecasting engine over one database (see the module docstring)."""

    def __init__(
        self,
        session: Session,
        metric: str = "pool_pay",
        assumptions: Assumptions | None = None,
        data: ForecastData | None = None,
    ) -> None:
        self.session = session
        self.data = data or forecast_data(session)
        if metric not in METRICS and not (
            metric.startswith("pool:") and metric[5:] in self.data.pool_names
        ):
            raise ValueError(f"unknown metric {metric!r}")
        self.metric = metric
        planned = {e.month: e.weeks for e in PlannedTimeOffRepository(session).list_all()}
        extra = (assumptions or Assumptions()).weeks_off
        for month, weeks in extra.items():
            planned[month] = planned.get(month, 0.0) + weeks
        self.assumptions = replace(assumptions or Assumptions(), weeks_off=planned)
        self._backtests: dict[str, Backtest] = {}  # model -> its backtest

    @property
    def origin(self) -> str | None:
        series = self.data.series(self.metric)
        return series[-1][0] if series else None

    # -- the design's models ------------------------------------------------------------

    def rolling_average_forecast(self, months_back: int = 6, months_forward: int = 3) -> Forecast:
        """Mean of the last ``months_back`` months of pay, flat."""
        model = "rolling_average_12" if months_back == 12 else "rolling_average"
        y = _values(self.data, self.metric, self.origin or "")
        return self._wrap(model, rolling_average(y, months_forward, months_back))

    def seasonal_adjusted_forecast(
        self, years_history: int = 2, months_forward: int = 3
    ) -> Forecast:
        """Recent level times each month's seasonal index."""
        y = _values(self.data, self.metric, self.origin or "")
        return self._wrap("seasonal_adjusted", seasonal_adjusted(y, months_forward, years_history))

    def trend_line_forecast(self, method: str = "linear", months_forward: int = 3) -> Forecast:
        """A straight line (``linear``) or damped-trend exponential smoothing (``ets``)."""
        if method not in ("linear", "ets"):
            raise ValueError("method must be 'linear' or 'ets'")
        y = _values(self.data, self.metric, self.origin or "")
        if method == "ets":
            return self._wrap("ets", ets(y, months_forward))
        return self._wrap("trend_line", trend_line(y, months_forward))

    def schedule_forecast(self, months_forward: int = MAX_HORIZON) -> ScheduleForecast | None:
        """The payout-schedule model with its per-pool detail; None when F2 history lacks."""
        if self.origin is None:
            return None
        return schedule_forecast(self.data, self.origin, months_forward, self.assumptions)

    def forecast(self, months_forward: int = MAX_HORIZON, model: str | None = None) -> Forecast:
        """The default model's forecast with intervals; the labelled fallback when the
        schedule cannot run."""
        model = model or DEFAULT_MODEL
        origin = self.origin
        if origin is None:
            return Forecast(model, self.metric, "", [], [], note="No packets imported yet.")
        values = model_values(
            self.data, model, self.metric, origin, months_forward, self.assumptions
        )
        note = ""
        if values is None and model == DEFAULT_MODEL:
            model = FALLBACK_MODEL
            note = (
                "Fallback: the packets lack the F2 history the payout-schedule model needs "
                "(twelve months of adjusted points and pay), so this is a seasonally "
                "adjusted average of pay."
            )
            values = model_values(
                self.data, model, self.metric, origin, months_forward, self.assumptions
            )
        result = self._wrap(model, values)
        result.note = note or result.note
        return self.confidence_interval(result)

    def forecast_next_quarter(self) -> Forecast:
        """The default model's next three months (the design's combined forecast: the
        combination happens inside the points and rate forecasts, where the uncertainty is)."""
        return self.forecast(3)

    def confidence_interval(self, forecast: Forecast, confidence: float = 0.95) -> Forecast:
        """Fill ``forecast``'s 80 % and 95 % bands (``confidence`` adds that level to the
        95 % slot when it is another) from its model's backtest errors on this database."""
        bt = self.backtest(models=(forecast.model,))
        for name in ("lower_80", "upper_80", "lower_95", "upper_95", "interval_method"):
            setattr(forecast, name, [])
        simulated = None
        for h, value in enumerate(forecast.values, start=1):
            errors = known_errors(bt, forecast.model, h, forecast.origin)
            method = f"backtest ({min(len(errors), ERRORS_KEPT)} errors)"
            bands = nested_bands(value, errors, confidence)
            if bands is None:
                if simulated is None:
                    simulated = self._simulated_bands(forecast, confidence)
                bands = simulated[0.80][h - 1], simulated[confidence][h - 1]
                method = "uncalibrated: " + simulated["method"]
            (low80, high80), (low95, high95) = bands
            forecast.lower_80.append(low80)
            forecast.upper_80.append(high80)
            forecast.lower_95.append(low95)
            forecast.upper_95.append(high95)
            forecast.interval_method.append(method)
        return forecast

    def scenario_analysis(
        self,
        base_case: Assumptions | None = None,
        optimistic: Assumptions | None = None,
        pessimistic: Assumptions | None = None,
        months_forward: int = MAX_HORIZON,
    ) -> dict[str, Forecast]:
        """The default model under three sets of assumptions (defaults: as entered;
        volume and rate 5 % and 2 % up; the same down)."""
        base = self.assumptions
        cases = {
            "base_case": base_case or Assumptions(),
            "optimistic": optimistic or Assumptions(volume_change=0.05, rate_change=0.02),
            "pessimistic": pessimistic or Assumptions(volume_change=-0.05, rate_change=-0.02),
        }
        result = {}
        for name, case in cases.items():
            merged = dict(base.weeks_off)
            for month, weeks in case.weeks_off.items():
                merged[month] = merged.get(month, 0.0) + weeks
            engine = IncomeForecast(
                self.session,
                self.metric,
                replace(case, weeks_off={}),
                data=self.data,
            )
            engine.assumptions = replace(case, weeks_off=merged)
            engine._backtests = self._backtests
            result[name] = engine.forecast(months_forward)
        return result

    # -- backtest, totals, snapshots -----------------------------------------------------

    def backtest(self, models: tuple[str, ...] | None = None) -> Backtest:
        """Rolling-origin backtest of ``models`` (default all) on this database. A model's
        errors depend on no other model and on no what-if, so each is computed once, and
        kept until the stored data changes when ``data`` is the stored data's."""
        wanted = models or tuple(MODELS)
        for model in wanted:
            if model not in self._backtests:
                self._backtests[model] = self._model_backtest(model)
        return Backtest(self.metric, [e for m in wanted for e in self._backtests[m].errors])

    def _model_backtest(self, model: str) -> Backtest:
        def compute() -> Backtest:
            return backtest(self.data, self.metric, (model,))

        if self.data.version != data_version(self.session):
            return compute()  # data loaded before a change in this transaction
        key = ("forecast_backtest", self.metric, model, self.data.since)
        return cached(self.session, key, compute)

    def totals(self, forecast: Forecast, spans: tuple[int, ...] = HORIZONS) -> list[Totals]:
        """Sums over the next 3, 6 and 12 months (twelve months of a pool's pay add up to R,
        so totals are far more certain than single months)."""
        result = []
        bt = self.backtest(models=(forecast.model,))
        for span in spans:
            if len(forecast.values) < span:
                continue
            value = forecast.total(span)
            if span == 12:
                errors = known_errors(bt, forecast.model, TOTAL, forecast.origin)
                band = interval_from_errors(value, errors, 0.95)
                if band is not None:
                    result.append(Totals(span, value, band[0], band[1], "backtest of the total"))
                    continue
            low = [v for v in forecast.lower_95[:span] if v is not None]
            high = [v for v in forecast.upper_95[:span] if v is not None]
            if len(low) < span or len(high) < span:
                result.append(Totals(span, value, None, None, "no interval"))
                continue
            # Monthly errors partly cancel in a sum; combine half-widths in quadrature.
            values = forecast.values[:span]
            down = math.sqrt(sum((v - lo) ** 2 for v, lo in zip(values, low, strict=True)))
            up = math.sqrt(sum((hi - v) ** 2 for v, hi in zip(values, high, strict=True)))
            result.append(
                Totals(span, value, value - down, value + up, "monthly bands, independent")
            )
        return result

    def _wrap(self, model: str, values: list[float] | None) -> Forecast:
        origin = self.origin or ""
        values = values or []
        months = [month_add(origin, h) for h in range(1, len(values) + 1)] if origin else []
        return Forecast(model, self.metric, origin, months, values, assumptions=self.assumptions)

    def _simulated_bands(self, forecast: Forecast, confidence: float = 0.95) -> dict[Any, Any]:
        """Bands when the backtest has fewer than three errors: for the schedule model, 400
        simulated rate and points paths; for pay models, a random walk on the pay's own
        monthly log changes. Not calibrated on anything: labelled so."""
        horizon = len(forecast.values)
        samples: list[list[float]] = []
        if forecast.model == DEFAULT_MODEL:
            samples = self._simulate_schedule(forecast, horizon)
        if not samples:
            y = [v for v in _values(self.data, self.metric, forecast.origin) if v > 0]
            changes = [math.log(b / a) for a, b in zip(y, y[1:], strict=False)]
            sd = statistics.pstdev(changes) if len(changes) >= 2 else 0.15
            bands = {}
            for level in (0.80, confidence):
                z = _z(level)
                bands[level] = [
                    (v * math.exp(-z * sd * math.sqrt(h)), v * math.exp(z * sd * math.sqrt(h)))
                    for h, v in enumerate(forecast.values, start=1)
                ]
            bands["method"] = "random walk on pay's monthly changes"
            return bands
        bands = {"method": "simulated rate and points paths"}
        for level in (0.80, confidence):
            tail = (1 - level) / 2
            bands[level] = []
            for h in range(horizon):
                column = sorted(s[h] for s in samples)
                low = column[int(tail * (len(column) - 1))]
                high = column[int((1 - tail) * (len(column) - 1))]
                bands[level].append((low, high))
        return bands

    def _simulate_schedule(self, forecast: Forecast, horizon: int) -> list[list[float]]:
        result = schedule_forecast(self.data, forecast.origin, horizon, self.assumptions, False)
        if result is None:
            return []
        rng = random.Random(f"forecast-{forecast.origin}-{self.metric}")
        months = result.months
        inputs = {}  # the same every draw: computed once
        work = physician_work(self.data, forecast.origin)
        for pool in result.pools:
            state = pool_state(self.data, pool, forecast.origin, months, self.assumptions)
            if state is not None:
                points = points_forecast(
                    self.data, pool, forecast.origin, months, self.assumptions, work
                )
                inputs[pool] = state, points
        samples = []
        for _ in range(400):
            pools: dict[str, list[PoolMonthForecast]] = {}
            for pool, (state, points) in inputs.items():
                future = {m: v * math.exp(rng.gauss(0, 0.12)) for m, v in points.items()}
                log_shift = 0.0
                rates = {}
                for month in months:
                    log_shift += rng.gauss(0, state.rate.volatility)
                    rates[month] = state.rate.path[month] * math.exp(log_shift)
                pools[pool] = run_schedule(pool, state, months, future, rates)
            draw = replace(result, pools=pools)
            values = draw.metric(self.metric)
            if values is not None:
                samples.append(values)
        return samples

    def save_snapshots(self, today: dt.date | None = None, forecast: Forecast | None = None) -> int:
        """Keep this month's default forecast of the metric (every horizon to 12; ``forecast``
        when it is already made) so its accuracy can be measured when the packets arrive;
        once per origin. Returns how many were saved."""
        forecast = forecast or self.forecast(MAX_HORIZON)
        if not forecast.values:
            return 0
        repo = ForecastSnapshotRepository(self.session)
        existing = {
            (s.forecast_date, s.horizon, s.metric, s.pool, s.model_used) for s in repo.list_all()
        }
        saved = 0
        pool = self.metric[5:] if self.metric.startswith("pool:") else None
        metric = "pool_pay" if pool else self.metric
        for h, month in enumerate(forecast.months, start=1):
            target = dt.date(int(month[:4]), int(month[5:7]), 1)
            if (target, h, metric, pool, forecast.model) in existing:
                continue
            repo.save(
                ForecastSnapshot(
                    created_date=today or dt.date.today(),
                    forecast_date=target,
                    predicted_amount=round(forecast.values[h - 1], 2),
                    actual_amount=self.data.actual(self.metric, month),
                    confidence_level=0.95,
                    model_used=forecast.model,
                    horizon=h,
                    metric=metric,
                    pool=pool,
                    lower_80=_round(forecast.lower_80[h - 1]),
                    upper_80=_round(forecast.upper_80[h - 1]),
                    lower_95=_round(forecast.lower_95[h - 1]),
                    upper_95=_round(forecast.upper_95[h - 1]),
                )
            )
            saved += 1
        return saved


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _actuals(session: Session, start: str, before: str) -> dict[str, dict[str, float | None]]:
    """Period -> metric -> value of the periods from ``start`` to before ``before`` (the
    latest packet of each), for forecasts kept of months older than the data loaded."""
    packets = MonthlySummaryRepository(session).find_with_reports(start, month_add(before, -1))
    return {packet.period: packet_metrics(packet) for packet in packets}


def _snapshot_metric(snapshot: ForecastSnapshot) -> str:
    return f"pool:{snapshot.pool}" if snapshot.pool else (snapshot.metric or "pool_pay")


def record_actuals(session: Session, data: ForecastData | None = None) -> int:
    """Fill in the actual of every saved forecast whose target month's packet has arrived
    (and correct it if that packet was re-imported). Returns how many changed."""
    data = data or forecast_data(session)
    snapshots = ForecastSnapshotRepository(session).list_all()
    months = [snapshot.forecast_date.strftime("%Y-%m") for snapshot in snapshots]
    earlier = [m for m in months if data.since and m < data.since]  # before the data loaded
    older = _actuals(session, min(earlier), data.since) if earlier and data.since else {}
    changed = 0
    for snapshot, month in zip(snapshots, months, strict=True):
        metric = _snapshot_metric(snapshot)
        if data.since and month < data.since:
            actual = older.get(month, {}).get(metric)
        else:
            actual = data.actual(metric, month)
        if actual is not None and snapshot.actual_amount != round(actual, 2):
            snapshot.actual_amount = round(actual, 2)
            changed += 1
    session.flush()
    return changed


@dataclass
class AccuracyRow:
    """A saved forecast against its actual."""

    created: str
    target: str
    horizon: int | None
    metric: str
    model: str | None
    predicted: float
    lower_95: float | None
    upper_95: float | None
    actual: float | None

    @property
    def error(self) -> float | None:
        if self.actual in (None, 0):
            return None
        return (self.predicted - self.actual) / abs(self.actual)

    @property
    def within_95(self) -> bool | None:
        if self.actual is None or self.lower_95 is None or self.upper_95 is None:
            return None
        return self.lower_95 <= self.actual <= self.upper_95


def accuracy(session: Session) -> tuple[list[AccuracyRow], list[dict[str, Any]]]:
    """Saved forecasts against actuals, newest target first, and the running MAPE per
    model and horizon over those with an actual."""
    rows = [
        AccuracyRow(
            s.created_date.isoformat(),
            s.forecast_date.strftime("%Y-%m"),
            s.horizon,
            _snapshot_metric(s),
            s.model_used,
            s.predicted_amount,
            s.lower_95,
            s.upper_95,
            s.actual_amount,
        )
        for s in ForecastSnapshotRepository(session).list_all()
    ]
    rows.sort(key=lambda r: (r.target, r.horizon or 0), reverse=True)
    groups: dict[tuple[str, str | None, int | None], list[AccuracyRow]] = {}
    for row in rows:
        if row.error is not None:
            groups.setdefault((row.metric, row.model, row.horizon), []).append(row)
    running = [
        {
            "metric": metric,
            "model": model,
            "label": MODELS.get(model or "", model),
            "horizon": horizon,
            "count": len(group),
            "mape": sum(abs(r.error or 0.0) for r in group) / len(group),
            "coverage_95": _share([r.within_95 for r in group]),
        }
        for (metric, model, horizon), group in sorted(
            groups.items(), key=lambda item: (item[0][0], item[0][1] or "", item[0][2] or 0)
        )
    ]
    return rows, running


def _share(flags: list[bool | None]) -> float | None:
    known = [f for f in flags if f is not None]
    return sum(known) / len(known) if known else None


def set_time_off(session: Session, month: str, weeks: float, note: str | None = None) -> str:
    """Enter (or, with 0 weeks, remove) planned time off for a month; the message to show."""
    repo = PlannedTimeOffRepository(session)
    entry = repo.find_by_month(month)
    if weeks <= 0:
        if entry is None:
            return f"No time off was planned for {month}."
        repo.delete(entry.id)
        return f"Removed the time off planned for {month}."
    if entry is None:
        repo.save(PlannedTimeOff(month=month, weeks=weeks, note=note))
    else:
        entry.weeks, entry.note = weeks, note
        session.flush()
    return f"Planned {weeks:g} weeks off in {month}; every forecast now counts them."


def year_end_projection(session: Session) -> dict[str, Any]:
    """This calendar year's pay so far plus the default forecast of its remaining months
    (for the insights page): total compensation, net pay and pool pay, each with its band."""
    data = forecast_data(session)
    if data.latest is None:
        return {"available": False, "reason": "No packets imported yet."}
    year = data.latest[:4]
    remaining = _months_between(data.latest, f"{year}-12")
    result: dict[str, Any] = {"available": True, "year": int(year), "as_of": data.latest}
    result["months_remaining"] = remaining
    for metric in ("total_compensation", "net_pay", "pool_pay"):
        so_far = sum(v for p, v in data.series(metric) if p.startswith(year))
        engine = IncomeForecast(session, metric, data=data)
        forecast = engine.forecast(remaining) if remaining else None
        ahead = forecast.total(remaining) if forecast else 0.0
        low = high = None
        if forecast and remaining:
            totals = engine.totals(forecast, (remaining,))
            if totals:
                low, high = totals[0].lower_95, totals[0].upper_95
        result[metric] = {
            "so_far": round(so_far, 2),
            "forecast_remaining": round(ahead, 2),
            "projection": round(so_far + ahead, 2),
            "lower_95": None if low is None else round(so_far + low, 2),
            "upper_95": None if high is None else round(so_far + high, 2),
            "model": forecast.model if forecast else None,
            "note": forecast.note if forecast else "",
        }
    return result


# --------------------------------------------------------------------------- the page


def parse_assumptions(args: Any) -> tuple[Assumptions, list[str]]:
    """What-if inputs from a query string (volume and rate in %, weeks off in a month), and
    a message for each value that could not be used (that value is then left out)."""
    errors: list[str] = []

    def number(name: str, low: float, high: float, label: str) -> float:
        raw = (args.get(name) or "").strip()
        if not raw:
            return 0.0
        try:
            value = float(raw)
        except ValueError:
            errors.append(f"{label} must be a number (got {raw[:20]!r}).")
            return 0.0
        if not low <= value <= high or math.isnan(value):
            errors.append(f"{label} must be between {low:g} and {high:g}.")
            return 0.0
        return value

    volume = number("volume", -90, 200, "Case volume change (%)")
    rate = number("rate", -50, 100, "Rate change (%)")
    weeks = number("off_weeks", 0, 4.3, "Weeks off")
    weeks_off = {}
    month = (args.get("off_month") or "").strip()
    if weeks and not valid_month(month):
        errors.append("Weeks off need a month as YYYY-MM.")
    elif weeks:
        weeks_off[month] = weeks
    return Assumptions(volume / 100, rate / 100, weeks_off), errors


def valid_month(text: str) -> bool:
    """``YYYY-MM`` with a real month."""
    return (
        len(text) == 7
        and text[4] == "-"
        and text[:4].isdigit()
        and text[5:].isdigit()
        and 1 <= int(text[5:]) <= 12
    )


@dataclass
class MonthRow:
    """One forecast month on the page: the forecast, its bands, and what it hangs on."""

    month: str
    value: float
    lower_80: float | None
    upper_80: float | None
    lower_95: float | None
    upper_95: float | None
    interval: str
    base: float | None = None  # the base case, when a what-if is on
    determined: float | None = None
    from_new_points: float | None = None
    from_rate_change: float | None = None
    other: float | None = None  # stipends and other lines (total compensation, net pay)
    per_rate_dollar: float | None = None
    owed_points: float | None = None
    adjusted_points: float | None = None

    @property
    def change(self) -> float | None:
        return None if self.base is None else self.value - self.base

    @property
    def determined_share(self) -> float | None:
        if self.determined is None or not self.value:
            return None
        return max(0.0, min(1.0, self.determined / self.value))


@dataclass
class ForecastView:
    """Everything the /forecast page shows."""

    metric: str
    metric_label: str
    metrics: list[tuple[str, str]]
    forecast: Forecast
    rows: list[MonthRow]
    totals: list[Totals]
    base_totals: list[Totals]
    backtest: list[dict[str, Any]]
    backtest_origins: int
    accuracy: list[AccuracyRow]
    running: list[dict[str, Any]]
    time_off: list[PlannedTimeOff]
    rates: list[dict[str, Any]]
    history: list[tuple[str, float]]
    assumptions: Assumptions
    what_if: bool
    backtest_window: int = BACKTEST_ORIGINS  # months the backtest forecasts from, at most

    def chart(self) -> Any:
        """History and forecast with 80 %/95 % bounds as one chart (drawn with shaded
        bands on the page; lines in the PNG; columns in the CSV)."""
        from analytics.analysis import Chart, Series

        history = self.history
        months = [p for p, _ in history] + self.forecast.months
        pad = [None] * len(self.forecast.months)
        blank = [None] * len(history)
        actual = Series(
            "Actual",
            [v for _, v in history] + pad,
            [("compensation_month", {"period": p}) for p, _ in history] + pad,
        )
        joined = blank[:-1] + [history[-1][1]] if history else []
        series = [actual, Series("Forecast", joined + list(self.forecast.values))]
        if self.what_if:
            series.append(Series("Base case", joined + [row.base for row in self.rows]))
        for name in ("lower_80", "upper_80", "lower_95", "upper_95"):
            label = f"{name[-2:]}% {'low' if name.startswith('lower') else 'high'}"
            series.append(Series(label, blank + list(getattr(self.forecast, name))))
        return Chart(
            name="forecast",
            title=f"{self.metric_label}: history and forecast",
            question="What will the next twelve months pay, and how sure is that?",
            kind="line",
            x_label="Pay period",
            x=months,
            series=series,
            value_format="money",
            note=f"{self.forecast.label}; bands from "
            + ("its backtest errors on this database." if self.forecast.calibrated
               else "a simulation (uncalibrated: too little history to measure errors)."),
        )  # fmt: skip


def with_bands(payload: dict[str, Any]) -> dict[str, Any]:
    """A chart payload whose '80% low/high' and '95% low/high' series become shaded bands of
    the forecast series (static/js/charts.js draws ``bands``)."""
    series = payload["series"]
    bounds = {s["name"]: s["values"] for s in series if s["name"][:3] in ("80%", "95%")}
    kept = [s for s in series if s["name"] not in bounds]
    for s in kept:
        if s["name"] == "Forecast" and len(bounds) == 4:
            s["bands"] = [
                [bounds["95% low"], bounds["95% high"]],
                [bounds["80% low"], bounds["80% high"]],
            ]
    for name in bounds:  # still in the tooltip, not drawn as lines
        kept.append({**next(s for s in series if s["name"] == name), "drawn": False})
    return {**payload, "series": kept}


def forecast_data(session: Session) -> ForecastData:
    """The stored data's :class:`ForecastData`, loaded once per data version (shared between
    requests: read-only)."""
    return cached(session, "forecast_data", lambda: ForecastData(session))


def forecast_view(
    session: Session, metric: str = "pool_pay", what_if: Assumptions | None = None
) -> ForecastView:
    """The page: the default forecast under the planned time off and any what-if, the base
    case beside it, the determined/uncertain split, totals, the backtest and saved forecasts.

    The base case depends on the stored data only (and the planned time off, part of the
    key): it is kept until the data changes. A what-if is computed from the kept backtests
    and kept too, per its inputs (its simulated bands are 400 schedule paths: 60-100 ms).
    The kept forecasts are read on each request (the page adds to them)."""
    what_if = what_if or Assumptions()
    time_off = PlannedTimeOffRepository(session).list_all()
    view = _base_view(session, metric, time_off)
    if not what_if.is_base:
        base = view
        inputs = (
            what_if.volume_change,
            what_if.rate_change,
            tuple(sorted(what_if.weeks_off.items())),
        )
        planned = tuple((entry.month, entry.weeks) for entry in time_off)
        view = cached(
            session,
            ("forecast_what_if", metric, planned, inputs),
            lambda: _build_view(session, metric, what_if, base),
        )
    accuracy_rows, running = accuracy(session)
    return replace(view, accuracy=accuracy_rows, running=running, time_off=time_off)


def _base_view(
    session: Session, metric: str, time_off: list[PlannedTimeOff] | None = None
) -> ForecastView:
    """The base case's figures, kept per data version, metric and planned time off."""
    if time_off is None:
        time_off = PlannedTimeOffRepository(session).list_all()
    planned = tuple((entry.month, entry.weeks) for entry in time_off)
    return cached(
        session,
        ("forecast_view", metric, planned),
        lambda: _build_view(session, metric, Assumptions(), None),
    )


def keep_forecast(session: Session, metric: str) -> tuple[int, int]:
    """Keep this month's base-case forecast of ``metric`` (once per origin) and fill in the
    actuals of kept forecasts whose packet has arrived: what opening the page does (accuracy
    tracking). Returns (forecasts kept, actuals filled)."""
    engine = IncomeForecast(session, metric)  # ValueError: no such metric
    saved = engine.save_snapshots(forecast=_base_view(session, metric).forecast)
    return saved, record_actuals(session, engine.data)


def _build_view(
    session: Session, metric: str, what_if: Assumptions, base_view: ForecastView | None
) -> ForecastView:
    """The page's figures under ``what_if``, beside ``base_view`` (the base case) when it is
    a what-if; without the kept forecasts and the time-off list (read on each request)."""
    data = forecast_data(session)
    engine = IncomeForecast(session, metric, what_if, data=data)
    forecast = engine.forecast(MAX_HORIZON)
    base_forecast = base_view.forecast if base_view is not None else None
    detail = engine.schedule_forecast() if forecast.model == DEFAULT_MODEL else None
    rows = []
    for i, month in enumerate(forecast.months):
        row = MonthRow(
            month,
            forecast.values[i],
            forecast.lower_80[i],
            forecast.upper_80[i],
            forecast.lower_95[i],
            forecast.upper_95[i],
            forecast.interval_method[i],
            base=base_forecast.values[i] if base_forecast is not None else None,
        )
        if detail is not None:
            row.determined = detail.metric_sum(metric, "determined")[i]
            row.from_new_points = detail.metric_sum(metric, "from_new_points")[i]
            row.from_rate_change = detail.metric_sum(metric, "from_rate_change")[i]
            row.per_rate_dollar = detail.metric_sum(metric, "per_rate_dollar")[i]
            row.owed_points = detail.metric_sum("pool_pay", "owed_points")[i]
            row.adjusted_points = detail.metric_sum("pool_pay", "adjusted_points")[i]
            if metric.startswith("pool:"):
                row.owed_points = detail.metric_sum(metric, "owed_points")[i]
                row.adjusted_points = detail.metric_sum(metric, "adjusted_points")[i]
            pools_part = (row.determined or 0) + (row.from_new_points or 0)
            row.other = row.value - pools_part - (row.from_rate_change or 0)
            if abs(row.other) < 0.005:
                row.other = None
        rows.append(row)
    if base_view is not None:  # the backtest does not depend on the what-if
        summary, origins = base_view.backtest, base_view.backtest_origins
    else:
        bt = engine.backtest()
        summary, origins = bt.summary(), len({e.origin for e in bt.errors})
    rates = []
    if detail is not None:
        for pool, rate in detail.rates.items():
            rates.append(
                {
                    "pool": pool,
                    "name": data.pool_names.get(pool),
                    "latest": rate.latest,
                    "period": rate.latest_period,
                    "in_12": rate.path[detail.months[-1]],
                    "note": rate.note,
                    "volatility": rate.volatility,
                }
            )
    metrics = list(METRICS.items()) + [
        (f"pool:{code}", f"Pool {code} pay ({name or code})")
        for code, name in data.pool_names.items()
    ]
    return ForecastView(
        metric=metric,
        metric_label=dict(metrics).get(metric, metric),
        metrics=metrics,
        forecast=forecast,
        rows=rows,
        totals=engine.totals(forecast),
        base_totals=base_view.totals if base_view is not None else [],
        backtest=summary,
        backtest_origins=origins,
        accuracy=[],
        running=[],
        time_off=[],
        rates=rates,
        history=data.series(metric)[-24:],
        assumptions=engine.assumptions,
        what_if=base_view is not None,
    )
