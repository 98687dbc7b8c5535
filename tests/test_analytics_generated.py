"""The analytics engine against the generator's truth: 36 generated months (seed 1)
imported once into one SQLite file, every figure compared with what the generator wrote
(its truth JSON and its simulated practice), never with our own import."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest

from analytics.alerts import failed_checks, ticket_gap_alerts, unusual_drops
from analytics.comparisons import PeriodComparison
from analytics.metrics import WorkloadMetrics
from analytics.pipeline import pay_pipeline, verify_adjusted_points
from analytics.reports import monthly_summary, points_report
from data.synthetic.practice import simulate

FIRST, LAST = "2023-01", "2025-12"


@pytest.fixture(scope="module")
def practice():
    """The simulated practice behind history_36 (same start, months and seed)."""
    return simulate(FIRST, 36, 1)


def _truth_cases(history_36) -> dict[str, dict]:
    """Per ticket from the truth's F3 lines: date of service and net minutes and units."""
    cases: dict[str, dict] = defaultdict(lambda: {"served": None, "net": 0.0, "minutes": 0.0})
    for month in history_36:
        for line in month.truth["charges"]:
            case = cases[line["ticket"]]
            served = dt.date.fromisoformat(line["date_of_service"])
            case["served"] = min(case["served"] or served, served)
            case["minutes"] += line["anes_time_min"] or 0
            case["net"] += sum(
                line[key] or 0 for key in ("anes_time_min", "anes_base_units", "med_base_units")
            )
    return cases


def test_every_generated_months_printed_n_is_recomputed(imported, history_36):
    checks = verify_adjusted_points(imported)
    pages = sum(len(month.truth["pools"]) for month in history_36)
    assert len(checks) == pages == 130
    failed = [(c.period, c.pool, c.printed, c.recomputed) for c in checks if not c.ok]
    assert not failed
    truth = {
        (month.period, pool["pool"]): pool["adjusted_points"]
        for month in history_36
        for pool in month.truth["pools"]
    }
    for check in checks:
        assert check.recomputed == pytest.approx(truth[(check.period, check.pool)], abs=0.011)


@pytest.mark.parametrize("as_of", ["2023-06", "2024-09", "2025-08"])
def test_points_still_to_be_paid_are_what_later_packets_pay(imported, history_36, as_of):
    """As of ``as_of``, month m's remaining points = the weighted parts the next four
    packets print for m in Section 2 (the generator's truth, not our import)."""
    pipeline = pay_pipeline(imported, as_of=as_of)
    later = [m.truth for m in history_36 if m.period > as_of][:4]
    assert len(later) == 4
    for pool in pipeline.pools:
        for month in pool.months:
            paid_later = [
                row["adjusted"]
                for packet in later
                for page in packet["pools"]
                if page["pool"] == pool.pool
                for row in page["adjusted"]
                if row["month"] == month.month
            ]
            assert month.points_remaining == pytest.approx(
                sum(paid_later), abs=0.01 * max(len(paid_later), 1)
            ), (pool.pool, month.month)
    assert pipeline.points_remaining > 0


def test_service_month_view_adds_up_to_the_posting_month_view(imported):
    pipeline = pay_pipeline(imported)
    by_service = sum(row.points_remaining for row in pipeline.by_service_month)
    # Line points equal each posting month's M within a cent of a point per month.
    assert by_service == pytest.approx(pipeline.points_remaining, abs=0.05)
    assert {row.pool for row in pipeline.by_service_month} <= {p.pool for p in pipeline.pools}
    latest = pipeline.as_of
    assert all(row.service_month <= latest for row in pipeline.by_service_month)


def test_cases_per_service_month_match_the_truths_lines(imported, history_36):
    counts: dict[str, int] = defaultdict(int)
    minutes: dict[str, float] = defaultdict(float)
    for case in _truth_cases(history_36).values():
        month = case["served"].isoformat()[:7]
        if case["net"] > 1e-6 and FIRST <= month <= LAST:
            counts[month] += 1
            minutes[month] += case["minutes"]
    months = WorkloadMetrics(imported).cases_per_period(FIRST, LAST)
    assert [m.period for m in months] == sorted(counts)
    assert {m.period: m.cases for m in months} == dict(counts)
    for month in months:
        assert month.anes_time_min == pytest.approx(minutes[month.period])
    assert sum(counts.values()) > 3000


def test_open_ticket_gaps_are_the_cases_never_billed_yet(imported, practice):
    sequence = WorkloadMetrics(imported).ticket_sequence()
    last_post = dt.date(2025, 12, 31)
    expected = {
        case.ticket
        for case in practice.cases
        if case.day >= dt.date(2023, 1, 1)
        and (case.post_date is None or case.post_date > last_post)
        and case.ticket < sequence.last_ticket
    }
    assert {gap.ticket for gap in sequence.open_gaps} == expected
    never = [c for c in practice.cases if c.post_date is None and c.day.year >= 2023]
    assert len(never) >= 20 and len(expected) >= len(never)
    # A filled gap is a case that posted in a later month than a case done after it.
    for gap in sequence.filled_gaps[:50]:
        assert gap.filled_period > gap.missing_since_period


def test_charge_lag_matches_the_simulated_posting_dates(imported, practice):
    lags: dict[str, list[int]] = defaultdict(list)
    for case in practice.cases:
        if case.post_date and FIRST <= case.post_date.isoformat()[:7] <= LAST:
            lags[case.post_date.isoformat()[:7]].append((case.post_date - case.day).days)
    lag = WorkloadMetrics(imported).charge_lag(FIRST, LAST)
    by_month = {m.period: m for m in lag.by_month}
    no_posting = "2024-09"  # the generator's month without postings
    assert no_posting not in by_month and set(by_month) == set(lags)
    for month, values in lags.items():
        values.sort()
        assert by_month[month].cases == len(values)
        assert by_month[month].median_days == pytest.approx(
            (values[(len(values) - 1) // 2] + values[len(values) // 2]) / 2
        )


def _truth_line(truth: dict, label: str) -> dict:
    return next(line for line in truth["compensation"]["lines"] if line["label"] == label)


def test_year_totals_equal_each_decembers_year_to_date(imported, history_36):
    comparison = PeriodComparison(imported)
    december = {m.period[:4]: m.truth for m in history_36 if m.period.endswith("-12")}
    for metric, label in (
        ("total_compensation", "Total Compensation"),
        ("net_pay", "Net Compensation/Net Pay"),
    ):
        rows = {r.period: r for r in comparison.year_over_year(metric).rows}
        for year, truth in december.items():
            assert rows[year].value == pytest.approx(_truth_line(truth, label)["year_to_date"])
            assert rows[year].months == 12
    gross = {r.period: r.value for r in comparison.year_over_year("gross_pay").rows}
    for year, truth in december.items():
        assert gross[year] == pytest.approx(truth["payroll"]["gross_earnings"]["ytd"])
    # Same period to date: January–September 2025 against January–September 2024.
    september = {m.period: m.truth for m in history_36 if m.period.endswith("-09")}
    row = comparison.same_period_to_date("total_compensation", 2025, through_month=9)
    assert row.value == pytest.approx(
        _truth_line(september["2025-09"], "Total Compensation")["year_to_date"]
    )
    assert row.previous == pytest.approx(
        _truth_line(september["2024-09"], "Total Compensation")["year_to_date"]
    )


def test_month_over_month_pay_and_charges_are_the_packets_figures(imported, history_36):
    comparison = PeriodComparison(imported)
    clinical = comparison.month_over_month("clinical_pay:UTCS", num_months=36)
    charges = comparison.month_over_month("charges", num_months=36)
    truth = {m.period: m.truth for m in history_36}
    assert [r.period for r in clinical.rows] == list(truth)
    for row in clinical.rows:
        pool = next(p for p in truth[row.period]["pools"] if p["pool"] == "UTCS")
        assert row.value == pytest.approx(pool["current_allocation"])
    for row in charges.rows:
        expected = sum(line["charge_amount"] for line in truth[row.period]["charges"])
        assert (row.value or 0.0) == pytest.approx(expected, abs=0.01)
    cases = comparison.year_over_year("case_count", years=[2023, 2024])
    per_month = WorkloadMetrics(imported).cases_per_period("2024-01-01", "2024-12-31")
    assert cases.rows[-1].value == sum(m.cases for m in per_month)


def test_points_report_line_points_are_each_months_printed_m(imported, history_36):
    report = points_report(imported, FIRST, LAST, by="post")
    rows = {(row.month, row.pool): row for row in report.rows}
    compared = 0
    for month in history_36:
        tickets: dict[str, set[str]] = defaultdict(set)
        for line in month.truth["charges"]:
            tickets[line["sub_pool"]].add(line["ticket"])
            tickets["ALL"].add(line["ticket"])
        for page in month.truth["pools"]:
            row = rows.get((month.period, page["pool"]))
            if row is None:  # a pool page without lines posted: its M is zero
                assert page["points"] == 0.0
                continue
            assert row.points == pytest.approx(page["points"], abs=0.011)
            assert row.printed_points == page["points"]
            assert row.tickets == len(tickets[page["pool"]])
            compared += 1
    assert compared >= 120


def test_monthly_summary_is_the_packets_figures(imported, history_36):
    truth = history_36[-1].truth
    summary = monthly_summary(imported, truth["period"])
    assert (
        summary.pay["net_pay"] == _truth_line(truth, "Net Compensation/Net Pay")["period_to_date"]
    )
    assert summary.gross_earnings == truth["payroll"]["gross_earnings"]["current"]
    assert summary.posted["lines"] == len(truth["charges"])
    assert summary.posted["charge_amount"] == pytest.approx(
        sum(line["charge_amount"] for line in truth["charges"]), abs=0.01
    )
    pipeline = pay_pipeline(imported)
    assert summary.earned_not_yet_paid["estimated_value"] == pipeline.estimated_value
    assert summary.failed_checks == []


def test_alerts_on_generated_history(imported, practice):
    assert failed_checks(imported) == []
    # The generator posts nothing in 2024-09: points and pay fall far below their history.
    drops = {a.drilldown["metric"] for a in unusual_drops(imported, period="2024-09")}
    assert {"points", "total_compensation", "charges"} <= drops
    assert unusual_drops(imported, period="2024-08") == []
    # Every gap alert is a case not billed yet; every case never billed long ago alerts.
    gaps = {a.title.split()[1] for a in ticket_gap_alerts(imported)}
    unbilled = {c.ticket for c in practice.cases if c.post_date is None or c.post_date.year > 2025}
    assert gaps <= unbilled
    # The rule looks back 24 posting months from the latest period (2025-12): to 2024-01.
    never_billed = [c for c in practice.cases if c.post_date is None]
    lookback = (dt.date(2024, 1, 1), dt.date(2025, 9, 30))
    long_ago = {c.ticket for c in never_billed if lookback[0] <= c.day <= lookback[1]}
    assert long_ago <= gaps and len(long_ago) >= 20
    before_lookback = {c.ticket for c in never_billed if c.day < dt.date(2024, 1, 1)}
    assert before_lookback and not before_lookback & gaps
