"""Alerts and the points report on eight made-up pay periods, worked out by hand.

Pay periods 2023-09..2024-04: total compensation 100, 110, 90, 100, 105, 95, 100, then 40.
Charge lines (UTCS, 60 min and 4 anes units each = 8 points at the default rule):
  2024-01  73100001 served 1/2 posted 1/12, 73100002 served 1/3 posted 1/13
  2024-02  73100003 and 73100005 served 2/1 posted 2/11 (73100004 never posts)
  2024-03  73100006 served 3/1 posted 3/11
  2024-04  73100007 served 4/1 posted 4/29, 73100009 served 4/20 posted 4/30 (73100008 missing)
F2 rates: UTCS 50.00 until March, 48.00 in April (P = 1,000); SCSD 40.00, then 39.20.
The February packet has one failed cross-check.
"""

from __future__ import annotations

import datetime as dt

import pytest

from analytics import alerts
from analytics.alerts import (
    all_alerts,
    charge_lag_spikes,
    failed_checks,
    rate_drops,
    ticket_gap_alerts,
    unusual_drops,
)
from analytics.reports import drilldown_lines, monthly_summary, points_report
from case_grouper import CaseGrouper
from data.models import ChargeTransaction, CheckResult, CompensationLine, Packet, PoolReport

D = dt.date
TOTALS = dict(
    zip(
        ["2023-09", "2023-10", "2023-11", "2023-12", "2024-01", "2024-02", "2024-03", "2024-04"],
        [100.0, 110.0, 90.0, 100.0, 105.0, 95.0, 100.0, 40.0],
        strict=True,
    )
)
LINES = {
    "2024-01": [("73100001", D(2024, 1, 2), D(2024, 1, 12)),
                ("73100002", D(2024, 1, 3), D(2024, 1, 13))],
    "2024-02": [("73100003", D(2024, 2, 1), D(2024, 2, 11)),
                ("73100005", D(2024, 2, 1), D(2024, 2, 11))],
    "2024-03": [("73100006", D(2024, 3, 1), D(2024, 3, 11))],
    "2024-04": [("73100007", D(2024, 4, 1), D(2024, 4, 29)),
                ("73100009", D(2024, 4, 20), D(2024, 4, 30))],
}  # fmt: skip
PRINTED_M = {"2024-01": 16.0, "2024-02": 16.0, "2024-03": 8.0, "2024-04": 16.02}


def _charge(position: int, ticket: str, served: dt.date, posted: dt.date) -> ChargeTransaction:
    return ChargeTransaction(
        position=position,
        ticket=ticket,
        service_type="An",
        cpt_code="45380",
        pay_code="PPO",
        date_of_service=served,
        date_of_post=posted,
        anes_time_min=60.0,
        anes_base_units=4.0,
        med_base_units=0.0,
        other_units=0.0,
        charge_amount=1000.0,
        sub_pool="UTCS",
        sub_pool_time_min=60.0,
        sub_pool_anes_base=4.0,
        sub_pool_med_base=0.0,
    )


def _pools(period: str) -> list[PoolReport]:
    april = period == "2024-04"
    return [
        PoolReport(position=1, pool="ALL", points=PRINTED_M[period]),
        PoolReport(position=2, pool="UTCS", points=PRINTED_M[period], rate=48.0 if april else 50.0,
                   pooled_points=1000.0, current_allocation=TOTALS[period]),
        PoolReport(position=3, pool="SCSD", points=0.0, rate=39.2 if april else 40.0,
                   pooled_points=500.0, current_allocation=0.0),
    ]  # fmt: skip


@pytest.fixture
def months(session):
    for period, total in TOTALS.items():
        packet = Packet(source_file=f"{period}.pdf", sha256=period * 9, period=period)
        packet.compensation_lines = [
            CompensationLine(
                position=1,
                section="Total Compensation",
                label="Total Compensation",
                period_to_date=total,
            )
        ]
        packet.charges = [_charge(i, *line) for i, line in enumerate(LINES.get(period, []))]
        if period in PRINTED_M:
            packet.pool_reports = _pools(period)
        if period == "2024-02":
            packet.check_results = [
                CheckResult(name="charge totals", ok=False, detail="9 min missing"),
                CheckResult(name="net pay", ok=True, detail="ok"),
            ]
        session.add(packet)
    session.flush()
    CaseGrouper(session).regroup_all()
    return session


def test_unusual_drop_against_the_months_own_history(months):
    (alert,) = unusual_drops(months, metrics=("total_compensation",))
    # Mean of the seven months before April = 100, sd = sqrt(250 / 6) = 6.45: 40 is 60 % below.
    assert (alert.kind, alert.period, alert.value, alert.baseline) == (
        "unusual_drop",
        "2024-04",
        40.0,
        100.0,
    )
    assert "60% below its average of $100.00 over the previous 7 months" in alert.reason
    assert alert.drilldown == {"view": "month", "period": "2024-04", "metric": "total_compensation"}
    # March (100) is not unusual; with fewer than six months of history nothing is judged.
    assert unusual_drops(months, metrics=("total_compensation",), period="2024-03") == []
    assert unusual_drops(months, metrics=("total_compensation",), period="2024-01") == []


def test_rate_drop_with_what_it_reprices(months):
    (alert,) = rate_drops(months)  # SCSD fell 2 %, under the 3 % threshold
    assert (alert.period, alert.value, alert.baseline) == ("2024-04", 48.0, 50.0)
    assert "from 50.00 to 48.00 $/point (-4.0%)" in alert.reason
    assert "re-prices the pool's pay by $-2,000.00" in alert.reason
    assert alert.drilldown == {"view": "pool", "pool": "UTCS", "period": "2024-04"}
    assert {a.drilldown["pool"] for a in rate_drops(months, min_drop_pct=1.5)} == {"UTCS", "SCSD"}


def test_ticket_gap_past_the_usual_lag(months):
    # Lags 10,10,10,10,10,28,10 days: 90th percentile 10 + 0.4 x 18 = 17.2, so 18 days.
    (alert,) = ticket_gap_alerts(months)
    assert alert.drilldown == {
        "view": "tickets",
        "ticket_from": "73100003",
        "ticket_to": "73100005",
        "date_of_service": "2024-02-01",
    }
    # Served 2/1, not posted by 4/30: 89 days. 73100008's neighbour was served 4/20 (10 days).
    assert (alert.value, alert.baseline) == (89.0, 18.0)
    assert "has not posted 89 days later; 90% of cases post within 18 days" in alert.reason


def test_lag_and_gap_rules_read_only_their_lookback(months, monkeypatch):
    monkeypatch.setattr(alerts, "LOOKBACK_MONTHS", 3)  # 2024-02..2024-04 judged in April
    # Lags 10,10 | 10 | 28,10: 90th percentile 10 + 0.6 x 18 = 20.8, so 21 days.
    (alert,) = ticket_gap_alerts(months)
    assert (alert.value, alert.baseline) == (89.0, 21.0)
    monkeypatch.setattr(alerts, "LOOKBACK_MONTHS", 2)  # March and April: 73100004 is older
    assert ticket_gap_alerts(months) == []


def test_charge_lag_spike(months):
    (alert,) = charge_lag_spikes(months)
    # April's first billings waited 28 and 10 days (median 19) against 10 before.
    assert (alert.period, alert.value, alert.baseline) == ("2024-04", 19.0, 10.0)
    assert charge_lag_spikes(months, period="2024-03") == []


def test_failed_checks_and_all_alerts(months):
    (alert,) = failed_checks(months)
    assert (alert.severity, alert.period) == ("error", "2024-02")
    assert "charge totals" in alert.reason and "9 min missing" in alert.reason
    assert alert.drilldown["view"] == "packet"
    alerts = all_alerts(months)
    assert alerts[0].kind == "checks_failed"
    assert {"unusual_drop", "rate_drop", "ticket_gap", "charge_lag_spike"} <= {
        a.kind for a in alerts
    }
    assert all(a.reason and a.drilldown for a in alerts)
    assert alerts[0].to_dict()["drilldown"]["period"] == "2024-02"


def test_points_report_by_posting_month_beside_the_printed_m(months):
    report = points_report(months, "2024-01", "2024-04")
    rows = {(r.month, r.pool): r for r in report.rows}
    assert (rows[("2024-01", "UTCS")].tickets, rows[("2024-01", "UTCS")].points) == (2, 16.0)
    assert rows[("2024-01", "ALL")].printed_points == 16.0
    assert rows[("2024-04", "UTCS")].points_difference == pytest.approx(-0.02)
    assert rows[("2024-03", "UTCS")].units == 4.0
    assert (report.total.lines, report.total.anes_time_min, report.total.points) == (7, 420.0, 56.0)
    assert report.table()[-1]["month"] == "total"
    by_service = points_report(months, "2024-04", "2024-04", by="service")
    assert [(r.pool, r.tickets) for r in by_service.rows] == [("UTCS", 2), ("ALL", 2)]
    assert by_service.rows[0].printed_points is None


def test_monthly_summary(months):
    summary = monthly_summary(months, "2024-04")
    assert summary.pay["total_compensation"] == 40.0
    assert summary.posted["tickets"] == 2 and summary.served["cases"] == 2
    assert [pool["pool"] for pool in summary.pools] == ["ALL", "UTCS", "SCSD"]
    # Pipeline as of April: 16.02 x 90 % + 8 x 50 % + 16 x 25 % + 16 x 10 % = 24.018 points.
    assert summary.earned_not_yet_paid["points"] == pytest.approx(24.018)
    assert summary.failed_checks == []
    assert monthly_summary(months, "2024-02").failed_checks[0]["name"] == "charge totals"
    assert monthly_summary(months, "2022-01") is None


def test_every_alert_drills_down_to_its_lines(months):
    alerts = {alert.kind: alert for alert in all_alerts(months)}
    gap = drilldown_lines(months, alerts["ticket_gap"].drilldown)
    assert [row["ticket"] for row in gap] == ["73100003", "73100005"]
    assert "patient_name" not in gap[0]
    pool = drilldown_lines(months, alerts["rate_drop"].drilldown)
    assert [row["ticket"] for row in pool] == ["73100007", "73100009"]
    assert pool[0]["date_of_post"] == "2024-04-29" and pool[0]["points"] == 8.0
    packet = drilldown_lines(months, alerts["checks_failed"].drilldown)
    assert {row["ticket"] for row in packet} == {"73100003", "73100005"}
    lag = drilldown_lines(months, alerts["charge_lag_spike"].drilldown)
    assert len(lag) == 2
    served = drilldown_lines(months, {"by": "service", "period": "2024-01"}, include_names=True)
    assert [row["ticket"] for row in served] == ["73100001", "73100002"]
    assert "patient_name" in served[0]
