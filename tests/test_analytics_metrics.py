"""Workload metrics on six made-up tickets, every expected value worked out by hand.

Points at the default rule (0.10 per minute, 0.50 per anes unit, 0.50 per medical unit):
  73100001  An 45380 PPO   UTCS  served 1/3   posted 2/5   60 min, 5 units  -> 8.5
  73100002  An 27447 MCARE UTCS  served 1/5   posted 1/20  120 min, 7 units -> 15.5
            + Me 64445 block, 4 medical units                           -> 2.0
  73100003  CP 64483 HMO   SCSD  served 1/31  posted 2/12  8 medical units  -> 4.0
  73100004  never posted (an open gap)
  73100005  An 45380 PPO   UTCS  served 2/2   posted 2/9   30 min, 3 units  -> 4.5
  73100006  An 45380 PPO   UTCS  served 2/5   posted 2/12, backed out 2/20  -> 0 (not a case)
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.metrics import WorkloadMetrics, as_date, bucket_of, parse_range
from case_grouper import CaseGrouper
from data.models import ChargeTransaction, Packet

D = dt.date


def _line(ticket, served, posted, kind="An", cpt="45380", payer="PPO", pool="UTCS", **values):
    minutes = values.get("minutes", 0.0)
    anes = values.get("anes", 0.0)
    med = values.get("med", 0.0)
    return ChargeTransaction(
        position=0,
        ticket=ticket,
        service_type=kind,
        cpt_code=cpt,
        pay_code=payer,
        date_of_service=served,
        date_of_post=posted,
        anes_time_min=minutes,
        anes_base_units=anes,
        med_base_units=med,
        other_units=0.0,
        charge_amount=values.get("charge", 0.0),
        sub_pool=pool,
        sub_pool_percent=100,
        sub_pool_time_min=minutes,
        sub_pool_anes_base=anes,
        sub_pool_med_base=med,
    )


@pytest.fixture
def metrics(session) -> WorkloadMetrics:
    january = [
        _line("73100002", D(2024, 1, 5), D(2024, 1, 20), cpt="27447", payer="MCARE",
              minutes=120, anes=7.0, charge=2000.0),
        _line("73100002", D(2024, 1, 5), D(2024, 1, 20), kind="Me", cpt="64445",
              payer="MCARE", med=4.0, charge=500.0),
    ]  # fmt: skip
    february = [
        _line("73100001", D(2024, 1, 3), D(2024, 2, 5), minutes=60, anes=5.0, charge=1000.0),
        _line("73100003", D(2024, 1, 31), D(2024, 2, 12), kind="CP", cpt="64483",
              payer="HMO", pool="SCSD", med=8.0, charge=800.0),
        _line("73100005", D(2024, 2, 2), D(2024, 2, 9), minutes=30, anes=3.0, charge=600.0),
        _line("73100006", D(2024, 2, 5), D(2024, 2, 12), minutes=90, anes=4.0, charge=900.0),
        _line("73100006", D(2024, 2, 5), D(2024, 2, 20), minutes=-90, anes=-4.0,
              charge=-900.0),
    ]  # fmt: skip
    for period, lines in (("2024-01", january), ("2024-02", february)):
        for position, line in enumerate(lines):
            line.position = position
        session.add(
            Packet(source_file=f"{period}.pdf", sha256=period * 9, period=period, charges=lines)
        )
    session.flush()
    CaseGrouper(session).regroup_all()
    return WorkloadMetrics(session)


def test_dates_and_buckets():
    assert parse_range("2024-01", "2024-02") == (D(2024, 1, 1), D(2024, 2, 29))
    assert parse_range(("2024-01-01", "2024-12-31")) == (D(2024, 1, 1), D(2024, 12, 31))
    assert as_date("2025", end=True) == D(2025, 12, 31)
    assert bucket_of(D(2024, 12, 30), "week") == ("2025-W01", D(2024, 12, 30), D(2025, 1, 5))
    assert bucket_of(D(2024, 5, 9), "quarter") == ("2024-Q2", D(2024, 4, 1), D(2024, 6, 30))
    with pytest.raises(ValueError):
        bucket_of(D(2024, 5, 9), "fortnight")
    with pytest.raises(ValueError):
        parse_range(("2024-01-01", "2024-02-01"), "2024-03-01")


def test_cases_per_month_by_service_and_by_post(metrics):
    by_service = metrics.cases_per_period("2024-01-01", "2024-02-29")
    assert [(m.period, m.cases) for m in by_service] == [("2024-01", 3), ("2024-02", 1)]
    january = by_service[0]
    assert january.anes_time_min == 180
    assert january.units == pytest.approx(5 + 7 + 4 + 8)
    assert january.points == pytest.approx(8.5 + 17.5 + 4.0)
    assert january.charge_amount == pytest.approx(4300.0)
    assert january.to_dict()["units"] == pytest.approx(24.0)
    by_post = metrics.cases_per_period("2024-01-01", "2024-02-29", by="post")
    assert [(m.period, m.cases) for m in by_post] == [("2024-01", 1), ("2024-02", 3)]


def test_cases_per_week_quarter_and_year_list_empty_buckets(metrics):
    weeks = metrics.cases_per_period("2024-01-01", "2024-02-07", granularity="week")
    assert [(w.period, w.cases) for w in weeks] == [
        ("2024-W01", 2),
        ("2024-W02", 0),
        ("2024-W03", 0),
        ("2024-W04", 0),
        ("2024-W05", 2),
        ("2024-W06", 0),
    ]
    (quarter,) = metrics.cases_per_period("2024-01-01", "2024-03-31", granularity="quarter")
    assert (quarter.period, quarter.cases, quarter.points) == ("2024-Q1", 4, pytest.approx(34.5))
    assert [y.cases for y in metrics.cases_per_period(granularity="year")] == [4]
    days = metrics.cases_per_period("2024-01-03", "2024-01-05", granularity="day")
    assert [d.cases for d in days] == [1, 0, 1]


def test_average_case_duration_counts_timed_cases_only(metrics):
    duration = metrics.average_case_duration(("2024-01-01", "2024-02-29"))
    # 60, 120 and 30 minutes; the pain case has none, the backed-out case nets to zero.
    assert (duration.cases, duration.total_minutes) == (3, 210)
    assert duration.mean_minutes == pytest.approx(70.0)
    assert duration.median_minutes == pytest.approx(60.0)
    assert duration.by_month == [
        {"month": "2024-01", "cases": 2, "total_minutes": 180.0, "mean_minutes": 90.0},
        {"month": "2024-02", "cases": 1, "total_minutes": 30.0, "mean_minutes": 30.0},
    ]


def test_productivity_index_both_call_styles(metrics):
    pair = metrics.productivity_index(("2024-01-01", "2024-02-29"))
    two = metrics.productivity_index("2024-01-01", "2024-02-29")
    assert pair == two
    # 4 cases, 210 minutes = 3.5 hours, 15 anes + 12 medical units, 34.5 points.
    assert pair.anesthesia_hours == pytest.approx(3.5)
    assert pair.cases_per_hour == pytest.approx(4 / 3.5, abs=1e-4)
    assert pair.units_per_hour == pytest.approx(27 / 3.5, abs=1e-4)
    assert pair.points_per_hour == pytest.approx(34.5 / 3.5, abs=1e-4)
    assert pair.by_month[0]["points_per_hour"] == pytest.approx(30.0 / 3.0)


def test_case_mix(metrics):
    mix = metrics.case_mix_distribution("2024-01", "2024-02")
    payers = {share.key: share for share in mix["payer"]}
    assert {k: s.cases for k, s in payers.items()} == {"PPO": 2, "MCARE": 1, "HMO": 1}
    assert payers["PPO"].case_share == pytest.approx(0.5)
    assert payers["MCARE"].points == pytest.approx(17.5)
    assert payers["MCARE"].points_share == pytest.approx(17.5 / 34.5, abs=1e-6)
    assert [(s.key, s.cases) for s in mix["pool"]] == [("UTCS", 3), ("SCSD", 1)]
    assert [(s.key, s.cases) for s in mix["cpt"]] == [("45380", 2), ("27447", 1), ("64483", 1)]
    # By service type: tickets with a line of the type (the backed-out case has An lines).
    types = {s.key: (s.cases, s.points) for s in mix["service_type"]}
    assert types == {
        "An": (4, pytest.approx(28.5)),
        "Me": (1, pytest.approx(2.0)),
        "CP": (1, pytest.approx(4.0)),
    }


def test_charge_lag_by_posting_month(metrics):
    lag = metrics.charge_lag()
    # January: 73100002 posted 15 days after service. February: 33, 12, 7 and 7 days.
    january, february = lag.by_month
    assert (january.period, january.cases, january.median_days) == ("2024-01", 1, 15)
    assert (february.cases, february.median_days, february.max_days) == (4, 9.5, 33)
    assert february.p90_days == pytest.approx(12 + 0.7 * 21)
    assert lag.overall.median_days == 12 and lag.overall.mean_days == pytest.approx(14.8)
    by_service = metrics.charge_lag(by="service")
    assert [m.period for m in by_service.by_month] == ["2024-01", "2024-02"]
    assert by_service.by_month[0].cases == 3


def test_ticket_gaps_open_and_filled_by_a_later_packet(metrics):
    sequence = metrics.ticket_sequence()
    assert (sequence.first_ticket, sequence.last_ticket, sequence.tickets_seen) == (
        "73100001",
        "73100006",
        5,
    )
    (open_gap,) = sequence.open_gaps
    assert open_gap.ticket == "73100004"
    assert (open_gap.service_after, open_gap.service_before) == ("2024-01-31", "2024-02-02")
    assert open_gap.missing_since == "2024-02-09"  # 73100005 posted
    assert open_gap.days_missing == 20  # until the end of the latest posting month
    (filled,) = sequence.filled_gaps
    # 73100001 was missing from January's packet, which listed 73100002, and came in February.
    assert (filled.ticket, filled.missing_since_period, filled.filled_period) == (
        "73100001",
        "2024-01",
        "2024-02",
    )
    assert filled.days_missing == 16
    assert sequence.to_dict()["open_count"] == 1
    assert metrics.ticket_sequence(as_of="2024-03").open_gaps[0].days_missing == 51


def test_an_empty_database_gives_empty_answers(session):
    from analytics.alerts import all_alerts
    from analytics.comparisons import PeriodComparison
    from analytics.pipeline import pay_pipeline, verify_adjusted_points
    from analytics.reports import glance, income_velocity, points_report

    metrics = WorkloadMetrics(session)
    assert metrics.cases_per_period() == []
    assert metrics.cases_per_period("2024-01", "2024-02")[1].cases == 0
    assert metrics.productivity_index("2024-01", "2024-12").cases_per_hour is None
    assert metrics.average_case_duration().mean_minutes is None
    assert metrics.charge_lag().overall.median_days is None
    assert metrics.ticket_sequence().gaps == []
    assert metrics.case_mix_distribution().to_dict()["cpt"] == []
    comparison = PeriodComparison(session)
    assert comparison.month_over_month("gross_pay").rows == []
    assert comparison.year_over_year("case_count", years=[2023, 2024]).rows == []
    assert comparison.quarter_over_quarter("net_pay").rows == []
    assert pay_pipeline(session).to_dict()["pools"] == []
    assert verify_adjusted_points(session) == []
    assert points_report(session).rows == []
    assert glance(session)["period"] is None
    assert income_velocity(session)["projection"] is None
    assert all_alerts(session) == []


def test_a_case_mix_slice_drills_down_to_its_cases(metrics):
    from analytics.reports import drilldown_cases

    session = metrics.session
    ppo = drilldown_cases(session, {"payer": "PPO", "start": "2024-01", "end": "2024-02"})
    # 73100006 (PPO) was backed out: not a case, as in the case mix.
    assert [case["ticket"] for case in ppo] == ["73100001", "73100005"]
    assert ppo[0]["date_of_service"] == "2024-01-03" and ppo[0]["points"] == 8.5
    assert "patient_name" not in ppo[0]
    january = drilldown_cases(session, {"period": "2024-01", "pool": "UTCS"})
    assert [case["ticket"] for case in january] == ["73100001", "73100002"]
    posted = drilldown_cases(session, {"by": "post", "period": "2024-01"}, include_names=True)
    assert [case["ticket"] for case in posted] == ["73100002"] and "patient_name" in posted[0]


@given(
    start=st.dates(min_value=D(2015, 1, 1), max_value=D(2035, 1, 1)),
    span=st.integers(min_value=0, max_value=800),
    granularity=st.sampled_from(["day", "week", "month", "quarter", "year"]),
)
def test_buckets_tile_any_range_without_gaps_or_overlaps(start, span, granularity):
    from analytics.metrics import _buckets

    end = start + dt.timedelta(days=span)
    buckets = _buckets(start, end, granularity)
    assert buckets[0][1] <= start <= buckets[0][2] and buckets[-1][1] <= end <= buckets[-1][2]
    for (_, _, last), (_, first, _) in zip(buckets, buckets[1:], strict=False):
        assert first == last + dt.timedelta(days=1)
    assert len({label for label, _, _ in buckets}) == len(buckets)
    for label, first, last in buckets:
        assert bucket_of(first, granularity)[0] == label == bucket_of(last, granularity)[0]
