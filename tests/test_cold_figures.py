"""The aggregate queries behind the first request after an import give the figures the
line-by-line readings gave: on the 36 generated months (``imported``), each SQL-side result
compared with the same rule applied in Python to the stored rows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict

import pytest
from sqlalchemy import select

from analytics.comparisons import PeriodComparison
from analytics.compensation import month_figures, monthly_figures, read_monthly_figures
from analytics.metrics import WorkloadMetrics, lag_stats
from analytics.overview import build_overview
from data.models import ChargeTransaction
from data.repositories import MonthlySummaryRepository


def test_month_figures_from_records_are_the_packets_figures(imported):
    repo = MonthlySummaryRepository(imported)
    lines, failed = repo.charge_line_counts(), repo.failed_check_counts()
    expected = []
    for packet in repo.find_with_reports(None, None):
        figures = month_figures(packet)
        figures.charge_lines = lines.get(packet.id, 0)
        figures.failed_checks = failed.get(packet.id, 0)
        expected.append(asdict(figures))
    imported.expunge_all()

    read = [asdict(figures) for figures in read_monthly_figures(imported)]
    assert read == expected
    assert len(read) == 36 and all(month["values"]["net_pay"] for month in read)
    assert sum(1 for month in read if month["charge_lines"] and month["pools"]) >= 30
    one = read_monthly_figures(imported, "2024-05", "2024-05")
    assert [asdict(figures) for figures in one] == [m for m in expected if m["period"] == "2024-05"]


def test_dashboard_overview_reads_the_latest_month_alone(imported):
    overview = build_overview(imported)
    assert overview.packet_count == 36 and overview.latest_period == "2025-12"
    assert overview.latest == monthly_figures(imported)[-1]
    assert [row.period for row in overview.packets][:2] == ["2025-12", "2025-11"]
    assert overview.packets[0].charge_lines == overview.latest.charge_lines > 0
    latest_lines = imported.scalars(
        select(ChargeTransaction.ticket).where(
            ChargeTransaction.date_of_post >= dt.date(2025, 12, 1),
            ChargeTransaction.date_of_post <= dt.date(2025, 12, 31),
        )
    )
    assert overview.latest_cases == len(set(latest_lines))


def _lags_from_lines(session, by: str, start=None, end=None):  # noqa: ANN001, ANN202
    """The charge-lag rule applied line by line: a ticket's first posting (its earliest
    date of post), its earliest date of service then, left out if that posting has no
    charge or has a credit."""
    postings: dict[str, dict[dt.date, list[ChargeTransaction]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for line in session.scalars(select(ChargeTransaction)):
        if line.date_of_post and line.date_of_service:
            postings[line.ticket][line.date_of_post].append(line)
    by_month: dict[str, list[int]] = defaultdict(list)
    every = []
    for dates in postings.values():
        posted = min(dates)
        first = dates[posted]
        served = min(line.date_of_service for line in first)
        amounts = [line.charge_amount or 0 for line in first]
        if not any(a > 0 for a in amounts) or any(a < 0 for a in amounts):
            continue
        when = posted if by == "post" else served
        if (start and when < start) or (end and when > end):
            continue
        by_month[when.strftime("%Y-%m")].append((posted - served).days)
        every.append((posted - served).days)
    return lag_stats("overall", every), [lag_stats(m, by_month[m]) for m in sorted(by_month)]


@pytest.mark.parametrize(
    ("by", "start", "end"),
    [("post", None, None), ("service", None, None), ("post", "2024-11-01", "2025-10-31")],
)
def test_charge_lag_counted_in_sql_is_the_line_by_line_lag(imported, by, start, end):
    # Postings the rule leaves out (none generated): a credit in a ticket's first posting,
    # and a ticket first posted as a credit alone; rolled back after the test.
    ticket = imported.scalars(
        select(ChargeTransaction.ticket)
        .where(ChargeTransaction.date_of_post >= dt.date(2025, 3, 1))
        .order_by(ChargeTransaction.id)
    ).first()
    old = WorkloadMetrics(imported).charge_lag(start, end, by=by)
    first_post = min(
        line.date_of_post
        for line in imported.scalars(
            select(ChargeTransaction).where(ChargeTransaction.ticket == ticket)
        )
    )
    packet_id = imported.scalars(select(ChargeTransaction.packet_id)).first()
    for number, (posted, amount) in enumerate(
        [(first_post, -25.0), (dt.date(2025, 4, 2), -10.0), (dt.date(2025, 5, 6), 10.0)]
    ):
        imported.add(
            ChargeTransaction(
                packet_id=packet_id,
                position=90_000 + number,
                ticket=ticket if number == 0 else "99999901",
                date_of_service=dt.date(2025, 2, 20),
                date_of_post=posted,
                charge_amount=amount,
            )
        )
    imported.flush()
    try:
        lag = WorkloadMetrics(imported).charge_lag(start, end, by=by)
        first = dt.date.fromisoformat(start) if start else None
        last = dt.date.fromisoformat(end) if end else None
        overall, by_month = _lags_from_lines(imported, by, first, last)
    finally:
        imported.rollback()
    assert lag.overall == overall
    assert lag.by_month == by_month
    assert overall.cases > 1000 and len(by_month) >= 12
    assert lag.overall.cases == old.overall.cases - 1  # the ticket with a credit left out


@pytest.mark.parametrize("as_of", [None, "2025-06"])
def test_open_ticket_gaps_found_in_sql_are_the_sequences_open_gaps(imported, as_of):
    metrics = WorkloadMetrics(imported)
    expected = metrics.ticket_sequence(as_of).open_gaps
    found = metrics.open_ticket_gaps(as_of)
    assert found == expected
    assert len(found) >= 5
    assert all(gap.previous_ticket < gap.ticket < gap.next_ticket for gap in found)


@pytest.mark.parametrize("metric", ["total_compensation", "net_pay", "points", "charges", "cases"])
def test_months_read_from_a_start_are_those_of_every_month(imported, metric):
    comparison = PeriodComparison(imported)
    every = comparison.monthly_values(metric)
    present = [month for month, value in every.items() if value is not None]
    assert len(present) >= 30
    assert comparison.latest_month(metric) == max(present)
    for start in ("2023-01", "2024-12", "2025-12"):
        since = comparison.monthly_values(metric, start=start)
        assert since == {month: value for month, value in every.items() if month >= start}


def test_a_jump_in_ticket_numbers_is_not_listed_as_missing_tickets() -> None:
    """731,99999 then 731,100000 (a numbering that grew a digit) would be 657 million
    "missing" tickets; a jump of more than MAX_TICKET_GAP numbers lists none."""
    from analytics.metrics import MAX_TICKET_GAP, _missing_numbers

    assert list(_missing_numbers("73100007", "73100010")) == [73100008, 73100009]
    assert len(_missing_numbers("73100000", str(73100001 + MAX_TICKET_GAP))) == MAX_TICKET_GAP
    assert len(_missing_numbers("73199999", "731100000")) == 0
    assert len(_missing_numbers("73100001", "73100002")) == 0
