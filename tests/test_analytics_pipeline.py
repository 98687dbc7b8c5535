"""The pay pipeline on three made-up months, every figure worked out by hand. The checks
against the generator's 36 months are in test_analytics_generated.py."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.pipeline import (
    SCHEDULE,
    applied_share,
    pay_pipeline,
    verify_adjusted_points,
)
from data.models import ChargeTransaction, Packet, PoolAdjustedPoints, PoolReport


def test_schedule_pays_each_month_once():
    assert sum(SCHEDULE) == pytest.approx(1.0)
    assert [applied_share(age) for age in range(-1, 6)] == pytest.approx(
        [0.0, 0.10, 0.50, 0.75, 0.90, 1.0, 1.0]
    )


def _packet(period: str, m: float, n: float, rate: float, adjusted: list[tuple]) -> Packet:
    report = PoolReport(
        position=1,
        pool="UTCS",
        name="UTC SURGICAL CENTER",
        points=m,
        adjusted_points=n,
        rate=rate,
        adjusted=[
            PoolAdjustedPoints(month=month, points=p, weight=w, adjusted=a)
            for month, p, w, a in adjusted
        ],
    )
    return Packet(
        source_file=f"{period}.pdf", sha256=period * 9, period=period, pool_reports=[report]
    )


@pytest.fixture
def three_months(session):
    """UTCS posts 100, 200 and 300 points in Jan–Mar 2025; the rate ends at 50.00."""
    session.add_all(
        [
            _packet("2025-01", 100.0, 10.0, 48.0, [("2025-01", 100.0, 0.10, 10.0)]),
            _packet(
                "2025-02",
                200.0,
                60.0,
                49.0,
                [("2025-01", 100.0, 0.40, 40.0), ("2025-02", 200.0, 0.10, 20.0)],
            ),
            _packet(
                "2025-03",
                300.0,
                135.0,
                50.0,
                [
                    ("2025-01", 100.0, 0.25, 25.0),
                    ("2025-02", 200.0, 0.40, 80.0),
                    ("2025-03", 300.0, 0.10, 30.0),
                ],
            ),
        ]
    )
    session.flush()
    return session


def test_hand_computed_pipeline(three_months):
    pipeline = pay_pipeline(three_months)
    assert pipeline.as_of == "2025-03"
    (pool,) = pipeline.pools
    assert (pool.rate, pool.rate_period) == (50.0, "2025-03")
    rows = {m.month: m for m in pool.months}
    # Jan: 10 % + 40 % + 25 % paid, 25 points to come; Feb: 50 % paid, 100 to come;
    # Mar: 10 % paid, 270 to come. 395 points x $50 = $19,750.
    assert rows["2025-01"].applied_share == pytest.approx(0.75)
    assert rows["2025-01"].points_remaining == pytest.approx(25.0)
    assert rows["2025-02"].points_remaining == pytest.approx(100.0)
    assert rows["2025-03"].points_remaining == pytest.approx(270.0)
    assert rows["2025-03"].points_source == "F2 Section 1 of 2025-03"
    assert pipeline.points_remaining == pytest.approx(395.0)
    assert pipeline.estimated_value == pytest.approx(19_750.0)
    assert "Estimate" in pipeline.note
    # As of February: Jan 50 % paid (50 to come), Feb 10 % (180), at February's rate 49.
    february = pay_pipeline(three_months, as_of="2025-02")
    assert february.points_remaining == pytest.approx(230.0)
    assert february.estimated_value == pytest.approx(230.0 * 49.0)
    assert february.to_dict()["pools"][0]["months"][0]["month"] == "2025-01"


def test_hand_computed_adjusted_points_check(three_months):
    checks = {c.period: c for c in verify_adjusted_points(three_months)}
    # N(Mar) = 0.10 x 300 + 0.40 x 200 + 0.25 x 100 = 135
    assert checks["2025-03"].recomputed == pytest.approx(135.0)
    assert checks["2025-03"].parts == 3
    assert all(check.ok for check in checks.values())
    assert all(not check.section2_mismatches for check in checks.values())
    three_months.get(PoolReport, 3).adjusted_points = 136.0
    february_row = three_months.query(PoolAdjustedPoints).filter_by(month="2025-02").all()
    march_row = next(r for r in february_row if r.pool_report.packet.period == "2025-03")
    march_row.weight = 0.15  # printed as if February were two months old
    three_months.flush()
    bad = {c.period: c for c in verify_adjusted_points(three_months)}["2025-03"]
    assert not bad.ok and bad.difference == pytest.approx(1.0)
    assert bad.section2_mismatches == ["UTCS 2025-03 Section 2, 2025-02: weight 15%, schedule 40%"]
    assert bad.to_dict()["ok"] is False


def test_service_month_view_uses_each_posting_months_remaining_share(three_months):
    # A January case posted in February: as of March its posting month is one month old.
    packet = three_months.query(Packet).filter_by(period="2025-02").one()
    packet.charges.append(
        ChargeTransaction(
            position=1,
            ticket="73100001",
            sub_pool="UTCS",
            date_of_service=dt.date(2025, 1, 28),
            date_of_post=dt.date(2025, 2, 10),
            charge_amount=900.0,
            points=40.0,
        )
    )
    three_months.flush()
    row = next(
        r for r in pay_pipeline(three_months).by_service_month if r.service_month == "2025-01"
    )
    # Posted in February, as of March: 10 % + 40 % paid, 50 % of 40 points still to come.
    assert row.points == pytest.approx(40.0)
    assert row.points_remaining == pytest.approx(20.0)
    assert row.by_post_month == {"2025-02": pytest.approx(20.0)}
    assert row.estimated_value == pytest.approx(1_000.0)
