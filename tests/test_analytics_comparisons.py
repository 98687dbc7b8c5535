"""Period comparisons on seven made-up pay periods, expectations worked out by hand.

Total compensation: 2024-01..04 = 100, 200, 300, 400; 2025-01..03 = 150, 150, 450.
Gross earnings are the same plus 1,000. March 2025 has two pools: UTCS (R 5,000 over
P 100 points, O 50) and SCSD (R 1,000 over P 50, O 20).
"""

from __future__ import annotations

import pytest

from analytics.comparisons import PeriodComparison, metric_info, percent_change
from analytics.reports import glance, income_velocity
from data.models import CompensationLine, Packet, PayrollLine, PoolReport

TOTALS = {
    "2024-01": 100.0,
    "2024-02": 200.0,
    "2024-03": 300.0,
    "2024-04": 400.0,
    "2025-01": 150.0,
    "2025-02": 150.0,
    "2025-03": 450.0,
}


def _packet(period: str, total: float) -> Packet:
    packet = Packet(source_file=f"{period}.pdf", sha256=period * 9, period=period)
    packet.compensation_lines = [
        CompensationLine(
            position=1,
            section="Total Compensation",
            label="Total Compensation",
            period_to_date=total,
            year_to_date=None,
        )
    ]
    packet.payroll_lines = [
        PayrollLine(
            position=1, side="earnings", label="Gross Earnings", current=total + 1000, ytd=None
        )
    ]
    if period == "2025-03":
        packet.pool_reports = [
            PoolReport(position=1, pool="ALL", points=30.0, rate=None),
            PoolReport(
                position=2,
                pool="UTCS",
                points=20.0,
                rate=50.0,
                pooled_points=100.0,
                total_allocation=5000.0,
                current_allocation=300.0,
            ),
            PoolReport(
                position=3,
                pool="SCSD",
                points=10.0,
                rate=20.0,
                pooled_points=50.0,
                total_allocation=1000.0,
                current_allocation=150.0,
            ),
        ]
    return packet


@pytest.fixture
def comparison(session) -> PeriodComparison:
    session.add_all([_packet(period, total) for period, total in TOTALS.items()])
    session.flush()
    return PeriodComparison(session)


def test_month_over_month(comparison):
    result = comparison.month_over_month("total_compensation", num_months=3)
    assert [(r.period, r.value, r.previous, r.percent_change) for r in result.rows] == [
        ("2025-01", 150.0, None, None),  # no December 2024 packet
        ("2025-02", 150.0, 150.0, 0.0),
        ("2025-03", 450.0, 150.0, 200.0),
    ]
    assert result.basis == "pay period" and result.unit == "$"
    gross = comparison.month_over_month("gross_pay", num_months=12)
    assert gross.metric == "gross_earnings" and len(gross.rows) == 12
    assert gross.rows[-1].change == pytest.approx(300.0)
    assert gross.to_dict()["rows"][-1]["value"] == 1450.0


def test_year_over_year_whole_years_and_same_period_to_date(comparison):
    result = comparison.year_over_year("total_compensation", years=[2024, 2025])
    whole = {r.period: r for r in result.rows}
    assert whole["2025"].value == 750.0 and whole["2025"].previous == 1000.0
    assert whole["2025"].percent_change == pytest.approx(-25.0)
    assert (whole["2025"].months, whole["2025"].previous_months) == (3, 4)
    # To date: January–March (the latest month of 2025) of each year.
    assert result.extra["through_month"] == 3
    this_year = result.extra["to_date"][-1]
    assert (this_year["value"], this_year["previous"]) == (750.0, 600.0)
    assert this_year["percent_change"] == pytest.approx(25.0)
    assert this_year["period"] == "2025 Jan–Mar"
    assert result.extra["by_month"][3] == {"month": 4, "2024": 400.0, "2025": None}
    row = comparison.same_period_to_date("total_compensation", 2025, through_month=2)
    assert (row.value, row.previous, row.percent_change) == (300.0, 300.0, 0.0)


def test_quarter_over_quarter(comparison):
    result = comparison.quarter_over_quarter("total_compensation", num_quarters=2)
    assert [(r.period, r.value, r.months) for r in result.rows] == [
        ("2024-Q4", None, 0),
        ("2025-Q1", 750.0, 3),
    ]
    last_year = result.extra["same_quarter_last_year"][-1]
    assert (last_year["previous_period"], last_year["previous"]) == ("2024-Q1", 600.0)
    assert result.rows[-1].previous_months == 0
    assert last_year["percent_change"] == pytest.approx(25.0)


def test_rate_is_blended_over_pools_and_averaged_over_months(comparison):
    values = comparison.monthly_values("rate")
    assert values["2025-03"] == pytest.approx(6000.0 / 150.0)
    assert values["2024-01"] is None
    assert comparison.monthly_values("rate", pool="SCSD")["2025-03"] == 20.0
    assert comparison.monthly_values("clinical_pay:UTCS")["2025-03"] == 300.0
    quarter = comparison.quarter_over_quarter("dollars_per_point", num_quarters=1)
    assert quarter.rows[0].value == pytest.approx(40.0)  # one month with a rate: its mean


def test_compare_two_ranges(comparison):
    result = comparison.compare_ranges(
        "total_compensation", ("2025-01", "2025-03"), ("2024-01", "2024-03")
    )
    assert [(r.period, r.previous_period, r.change) for r in result.rows] == [
        ("2025-01", "2024-01", 50.0),
        ("2025-02", "2024-02", -50.0),
        ("2025-03", "2024-03", 150.0),
    ]
    assert result.extra["total"]["value"] == 750.0
    assert result.extra["total"]["percent_change"] == pytest.approx(25.0)


def test_percent_change_and_metric_names(comparison):
    assert comparison.percent_change_analysis(90.0, 120.0) == {
        "current": 90.0,
        "previous": 120.0,
        "change": -30.0,
        "percent_change": -25.0,
        "direction": "down",
    }
    assert comparison.percent_change_analysis(5.0, 0.0)["percent_change"] is None
    assert percent_change(None, 3.0) is None
    assert metric_info("case_count").name == "cases"
    assert metric_info("case_count").basis == "service month"
    with pytest.raises(ValueError, match="unknown metric"):
        comparison.month_over_month("happiness")


def test_glance_cards_and_income_velocity(comparison):
    cards = glance(comparison.session)
    assert (cards["period"], cards["last_year_period"]) == ("2025-03", "2024-03")
    total = cards["figures"]["total_compensation"]
    assert (total["month"], total["same_month_last_year"]) == (450.0, 300.0)
    assert total["month_percent_change"] == pytest.approx(50.0)
    assert cards["figures"]["gross_earnings"]["month"] == 1450.0
    assert cards["earned_not_yet_paid"]["points"] == pytest.approx(30.0 * 0.9)
    with pytest.raises(ValueError):
        glance(comparison.session, "2019-01")
    velocity = income_velocity(comparison.session, "total_pay", 2025)
    # 150 + 150 + 450 = 750 in three months: 250 a month, 750 + 9 x 250 = 3,000 by December.
    assert [row["ytd"] for row in velocity["months"]] == [150.0, 300.0, 750.0]
    assert (velocity["run_rate"], velocity["projection"]) == (250.0, 3000.0)
    assert "not a forecast" in velocity["projection_label"]
    assert income_velocity(comparison.session, year=2024)["projection"] == 1000.0 + 250.0 * 8
