"""Alerts for the insights page, each with the reason it fired and a drill-down filter.

Rules (thresholds are arguments, defaults chosen for the packet's own noise: monthly pay
swings a lot because F2 re-prices twelve months at once, so only large moves alert):

- ``unusual_drop``: a pay-period or posting-month metric far below its own previous
  twelve months (more than ``sd`` standard deviations below their mean *and* more than
  ``min_drop`` below it). Workload by service month is left out: its latest months are
  always short, since their cases have not all posted yet.
- ``ticket_gap``: a ticket number still missing while the cases around it were served
  longer ago than the usual charge lag (the 90th percentile of days to first billing).
- ``rate_drop``: a pool's $/point rate O down by more than ``min_drop_pct`` from the
  month before, with what that re-prices (ΔO × P).
- ``charge_lag_spike``: a posting month's median charge lag well above the median of the
  previous twelve months' medians.
- ``checks_failed``: a packet with failed cross-checks.

The ticket-gap and charge-lag rules read the last :data:`LOOKBACK_MONTHS` posting months up
to the month judged: the "usual" lag is today's billing, not a career's, and a ticket gap
older than that is past any payer's filing limit (and past what the billing office can
still bill). It also keeps the page's first load quick on a group's history.

``drilldown`` dicts name a view and its filters (keys documented in docs/analytics.md).
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from analytics.cache import cached
from analytics.comparisons import PeriodComparison, metric_info
from analytics.metrics import ChargeLag, WorkloadMetrics, as_date
from analytics.periods import month_add
from data.reporting import (
    ChargeReportingRepository,
    CheckReportingRepository,
    PoolReportingRepository,
)
from data.repositories import MonthlySummaryRepository

DROP_METRICS = ("total_compensation", "net_pay", "points", "charges")
#: Posting months the ticket-gap and charge-lag rules read, up to the month they judge.
LOOKBACK_MONTHS = 24


@dataclass
class Alert:
    """One thing worth a look, and why."""

    kind: str
    severity: str  # "warning" | "error"
    period: str | None
    title: str
    reason: str
    drilldown: dict[str, Any] = field(default_factory=dict)
    value: float | None = None
    baseline: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _money(value: float) -> str:
    return f"${value:,.2f}"


def _shown(value: float, unit: str) -> str:
    return _money(value) if unit == "$" else f"{value:,.2f} {unit}"


def unusual_drops(
    session: Session,
    metrics: tuple[str, ...] = DROP_METRICS,
    period: str | None = None,
    window: int = 12,
    sd: float = 2.0,
    min_drop: float = 0.15,
    min_history: int = 6,
) -> list[Alert]:
    """Each metric's month ``period`` (default: its latest) against its previous
    ``window`` months."""
    comparison = PeriodComparison(session)
    alerts = []
    for metric in metrics:
        info = metric_info(metric)
        month = period or comparison.latest_month(metric)
        if month is None:
            continue
        # Only the months compared are read (charges: their lines, not every line stored).
        values = comparison.monthly_values(metric, start=month_add(month, -window))
        value = values.get(month)
        history = [
            v for k in range(1, window + 1) if (v := values.get(month_add(month, -k))) is not None
        ]
        if value is None or len(history) < min_history:
            continue
        mean = statistics.fmean(history)
        spread = statistics.stdev(history)
        if mean <= 0 or value >= mean * (1 - min_drop) or value >= mean - sd * spread:
            continue
        below = (mean - value) / mean * 100
        alerts.append(
            Alert(
                kind="unusual_drop",
                severity="warning",
                period=month,
                title=f"{info.label} dropped in {month}",
                reason=(
                    f"{info.label} for {month} ({info.basis}) is {_shown(value, info.unit)}, "
                    f"{below:.0f}% below its average of {_shown(mean, info.unit)} over the "
                    f"previous {len(history)} months and more than {sd:g} standard deviations "
                    f"({_shown(spread, info.unit)}) below it."
                ),
                drilldown={"view": "month", "period": month, "metric": info.name},
                value=value,
                baseline=round(mean, 2),
            )
        )
    return alerts


def ticket_gap_alerts(session: Session, as_of: str | None = None) -> list[Alert]:
    """Open ticket gaps among the tickets served in the :data:`LOOKBACK_MONTHS` to ``as_of``
    (default: the latest stored pay period) whose neighbouring cases were served longer
    before its end than the usual charge lag, the 90th percentile of days from service to
    first billing over those months."""
    latest = MonthlySummaryRepository(session).latest()
    as_of = as_of or (latest.period if latest else None)
    if as_of is None:
        return []
    usual = _charge_lag(session, as_of[:7]).overall.p90_days
    if usual is None:
        return []
    usual_days = math.ceil(usual)
    end = as_date(as_of, end=True)
    alerts = []
    served_from = as_date(_lookback_start(as_of[:7]))
    for gap in WorkloadMetrics(session).open_ticket_gaps(as_of, served_from=served_from):
        served = gap.service_before or gap.service_after
        if served is None:
            continue
        waited = (end - dt.date.fromisoformat(served)).days
        if waited <= usual_days:
            continue
        alerts.append(
            Alert(
                kind="ticket_gap",
                severity="warning",
                period=served[:7],
                title=f"Ticket {gap.ticket} not billed",
                reason=(
                    f"Ticket {gap.ticket} lies between tickets {gap.previous_ticket} and "
                    f"{gap.next_ticket} (served {gap.service_after} and {gap.service_before}) "
                    f"and has not posted {waited} days later; 90% of cases post within "
                    f"{usual_days} days."
                ),
                drilldown={
                    "view": "tickets",
                    "ticket_from": gap.previous_ticket,
                    "ticket_to": gap.next_ticket,
                    "date_of_service": served,
                },
                value=float(waited),
                baseline=float(usual_days),
            )
        )
    return sorted(alerts, key=lambda alert: alert.drilldown["date_of_service"], reverse=True)


def _lookback_start(month: str) -> str:
    """The first posting month the lag and gap rules read when judging ``month``."""
    return month_add(month, 1 - LOOKBACK_MONTHS)


def _charge_lag(session: Session, month: str) -> ChargeLag:
    """The charge lag of the cases first billed in the :data:`LOOKBACK_MONTHS` to ``month``,
    by posting month; computed once per data version and month (the ticket-gap and the
    lag-spike rules both read it; shared, do not change it)."""
    window = (_lookback_start(month), month)
    return cached(
        session, ("charge_lag", month), lambda: WorkloadMetrics(session).charge_lag(window)
    )


def rate_drops(
    session: Session, period: str | None = None, min_drop_pct: float = 3.0
) -> list[Alert]:
    """Pools whose rate O in ``period`` (default: the latest) fell by more than
    ``min_drop_pct`` percent from the month before."""
    rows = [r for r in PoolReportingRepository(session).pool_figures() if r["rate"] is not None]
    if not rows:
        return []
    period = period or max(r["period"] for r in rows)
    before = {r["pool"]: r for r in rows if r["period"] == month_add(period, -1)}
    alerts = []
    for row in (r for r in rows if r["period"] == period):
        previous = before.get(row["pool"])
        if previous is None or not previous["rate"]:
            continue
        change = (row["rate"] - previous["rate"]) / previous["rate"] * 100
        if change > -min_drop_pct:
            continue
        repriced = (row["rate"] - previous["rate"]) * (row["pooled_points"] or 0.0)
        alerts.append(
            Alert(
                kind="rate_drop",
                severity="warning",
                period=period,
                title=f"{row['pool']} $/point rate fell in {period}",
                reason=(
                    f"Pool {row['pool']}'s rate fell from {previous['rate']:.2f} to "
                    f"{row['rate']:.2f} $/point ({change:.1f}%) in {period}; over its "
                    f"{row['pooled_points'] or 0:,.2f} pooled points of the last twelve months "
                    f"that re-prices the pool's pay by {_money(repriced)}."
                ),
                drilldown={"view": "pool", "pool": row["pool"], "period": period},
                value=row["rate"],
                baseline=previous["rate"],
            )
        )
    return alerts


def charge_lag_spikes(
    session: Session,
    period: str | None = None,
    factor: float = 1.5,
    min_days: float = 5.0,
    window: int = 12,
) -> list[Alert]:
    """The posting month ``period`` (default: the latest) whose median lag exceeds
    ``factor`` × the median of the previous ``window`` months' medians by ``min_days``
    (``window`` is at most :data:`LOOKBACK_MONTHS` - 1)."""
    last_post = ChargeReportingRepository(session).last_post_date()
    if last_post is None:
        return []
    period = period or f"{last_post:%Y-%m}"
    months = {row.period: row for row in _charge_lag(session, period).by_month}
    current = months.get(period)
    history = [
        row.median_days
        for k in range(1, window + 1)
        if (row := months.get(month_add(period, -k))) is not None and row.median_days is not None
    ]
    if current is None or current.median_days is None or len(history) < 3:
        return []
    baseline = statistics.median(history)
    if current.median_days < baseline * factor or current.median_days - baseline < min_days:
        return []
    return [
        Alert(
            kind="charge_lag_spike",
            severity="warning",
            period=period,
            title=f"Charges posted slowly in {period}",
            reason=(
                f"Cases first billed in {period} waited a median {current.median_days:g} days "
                f"from service (90th percentile {current.p90_days:.0f}), against a median of "
                f"{baseline:g} days over the previous {len(history)} months."
            ),
            drilldown={"view": "charges", "by": "post", "period": period},
            value=current.median_days,
            baseline=baseline,
        )
    ]


def failed_checks(session: Session) -> list[Alert]:
    """One alert per packet with failed cross-checks, newest first."""
    by_packet: dict[int, list[dict[str, Any]]] = {}
    for row in CheckReportingRepository(session).failed():
        by_packet.setdefault(row["packet_id"], []).append(row)
    alerts = []
    for packet_id, rows in by_packet.items():
        names = ", ".join(dict.fromkeys(row["name"] for row in rows))
        first = rows[0]
        alerts.append(
            Alert(
                kind="checks_failed",
                severity="error",
                period=first["period"],
                title=f"{len(rows)} cross-check(s) failed for {first['period']}",
                reason=(
                    f"The packet {first['source_file']} ({first['period']}) failed: {names}. "
                    f"First: {first['detail'] or 'no detail'}"
                ),
                drilldown={"view": "packet", "packet_id": packet_id, "period": first["period"]},
                value=float(len(rows)),
            )
        )
    return sorted(alerts, key=lambda alert: alert.period or "", reverse=True)


def all_alerts(session: Session) -> list[Alert]:
    """Every rule at its defaults, for the latest stored month: errors first."""
    alerts = [
        *failed_checks(session),
        *unusual_drops(session),
        *rate_drops(session),
        *charge_lag_spikes(session),
        *ticket_gap_alerts(session),
    ]
    return sorted(alerts, key=lambda alert: alert.severity != "error")
