"""Models and repositories round-trip every part of a packet through a real SQLite file."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.models import (
    AsmgRule,
    ChargeTotals,
    ChargeTransaction,
    CheckResult,
    CompensationLine,
    ExpenseLine,
    ExportLog,
    ForecastSnapshot,
    MasterCase,
    Packet,
    PayrollLine,
    PoolAdjustedPoints,
    PoolHistory,
    PoolPriorAllocation,
    PoolReport,
    PoolSummary,
    UserCaseLog,
)
from data.repositories import (
    AsmgRuleRepository,
    AuditLogRepository,
    ChargeTransactionRepository,
    ExportLogRepository,
    ForecastSnapshotRepository,
    MasterCaseRepository,
    MonthlySummaryRepository,
    UserCaseLogRepository,
)


def _charge(ticket: str, position: int, **overrides) -> ChargeTransaction:
    values = dict(
        ticket=ticket,
        position=position,
        page=4,
        note=None,
        patient_name="Testperson Alex",
        original_charge_month=None,
        site_code="UF",
        service_type="An",
        cpt_code="45380",
        pay_code="PPO",
        start_time="07:03",
        stop_time="07:47",
        date_of_service=dt.date(2026, 2, 27),
        date_of_post=dt.date(2026, 3, 11),
        ob_case_position=None,
        split_percent=None,
        anes_time_min=44,
        anes_base_units=4.0,
        med_base_units=0.0,
        other_units=0.0,
        charge_amount=868.0,
        sub_pool="UTCS",
        sub_pool_percent=100,
        sub_pool_time_min=44.0,
        sub_pool_anes_base=4.0,
        sub_pool_med_base=0.0,
        group_pool=None,
        group_pool_percent=0,
        group_pool_time_min=0.0,
        group_pool_anes_base=0.0,
        group_pool_med_base=0.0,
    )
    values.update(overrides)
    return ChargeTransaction(**values)


def _packet(period: str = "2026-03", sha: str = "a" * 64) -> Packet:
    pool = PoolReport(
        position=0,
        pool="UTCS",
        name="UTC SURGICAL CENTER",
        multiplier_time=0.10,
        multiplier_anes_base=0.50,
        multiplier_med_base=0.50,
        points=1395.50,
        adjusted_points=1097.25,
        rate=55.02,
        pooled_points=12640.10,
        total_allocation=695458.30,
        prior_allocation=635406.15,
        current_allocation=60052.15,
        notes=None,
    )
    pool.adjusted = [
        PoolAdjustedPoints(month="2025-11", points=1102.30, weight=0.10, adjusted=110.23)
    ]
    pool.history = [PoolHistory(month="2025-04", rate=55.10, adjusted_points=1021.40)]
    pool.prior_allocations = [PoolPriorAllocation(month="2025-04", amount=56280.14)]
    return Packet(
        source_file="20260410-731-Compensation_Reports_unlocked.pdf",
        sha256=sha,
        physician_name="Jane Doe M.D.",
        physician_number="731",
        period=period,
        pay_date=dt.date(2026, 4, 10),
        page_count=12,
        expense_total=188.10,
        payroll_lines=[
            PayrollLine(
                position=0, side="earnings", label="Gross Earnings", current=46002.04, ytd=131006.12
            )
        ],
        compensation_lines=[
            CompensationLine(
                position=0,
                section="Clinical Compensation Subject to Overhead",
                label="Estimate to Actual Adjustme",
                period_to_date=None,
                year_to_date=7118.20,
                subtotal=False,
            ),
            CompensationLine(
                position=1,
                section="Clinical Compensation Subject to Overhead",
                label=None,
                period_to_date=60093.25,
                year_to_date=178768.11,
                subtotal=True,
            ),
        ],
        charges=[
            _charge("73102210", 0),
            _charge("73102211", 1, cpt_code="27447", note="B", split_percent=97.89),
        ],
        charge_totals=ChargeTotals(
            anes_time_min=88,
            anes_base_units=8.0,
            med_base_units=0.0,
            other_units=0.0,
            charge_amount=1736,
        ),
        pool_summaries=[
            PoolSummary(
                position=0,
                pool="UTCS",
                name="UTC SURGICAL CENTER",
                anes_time_min=88.0,
                anes_base_units=8.0,
                med_base_units=0.0,
                other_units=0.0,
            )
        ],
        pool_reports=[pool],
        expense_lines=[
            ExpenseLine(
                position=0,
                reimb="ALLOCATION2025",
                date=dt.date(2026, 3, 31),
                invoice=None,
                description="ASMG 401K PLAN 2025 FEES",
                vendor="EXPENSES",
                amount=188.10,
            )
        ],
        check_results=[
            CheckResult(
                scope="packet",
                name="charge totals",
                ok=False,
                detail="lines 88 min, printed 89 min",
            )
        ],
    )


def test_packet_round_trip_keeps_every_part(session: Session) -> None:
    repo = MonthlySummaryRepository(session)
    saved = repo.save(_packet())
    session.commit()
    session.expunge_all()

    packet = repo.load_full(saved.id)
    assert packet is not None
    assert packet.period == "2026-03" and packet.pay_date == dt.date(2026, 4, 10)
    assert packet.payroll_lines[0].ytd == 131006.12
    lone = packet.compensation_lines[0]
    assert lone.period_to_date is None and lone.year_to_date == 7118.20
    assert packet.compensation_lines[1].subtotal is True
    assert packet.charge_totals.charge_amount == 1736
    f2 = packet.pool_reports[0]
    assert (f2.points, f2.adjusted_points, f2.current_allocation) == (1395.50, 1097.25, 60052.15)
    assert f2.adjusted[0].weight == 0.10 and f2.history[0].rate == 55.10
    assert f2.prior_allocations[0].amount == 56280.14
    assert packet.expense_lines[0].date == dt.date(2026, 3, 31)
    assert repo.failed_check_counts() == {packet.id: 1}


def test_charge_line_keeps_all_29_columns(session: Session) -> None:
    MonthlySummaryRepository(session).save(_packet())
    session.commit()
    lines = ChargeTransactionRepository(session).find_by_ticket("73102211")
    assert len(lines) == 1
    line = lines[0]
    assert (line.note, line.split_percent, line.cpt_code, line.sub_pool) == (
        "B",
        97.89,
        "27447",
        "UTCS",
    )
    printed_columns = [
        "ticket",
        "note",
        "patient_name",
        "original_charge_month",
        "site_code",
        "service_type",
        "cpt_code",
        "pay_code",
        "start_time",
        "stop_time",
        "date_of_service",
        "date_of_post",
        "ob_case_position",
        "split_percent",
        "anes_time_min",
        "anes_base_units",
        "med_base_units",
        "other_units",
        "charge_amount",
        "sub_pool",
        "sub_pool_percent",
        "sub_pool_time_min",
        "sub_pool_anes_base",
        "sub_pool_med_base",
        "group_pool",
        "group_pool_percent",
        "group_pool_time_min",
        "group_pool_anes_base",
        "group_pool_med_base",
    ]
    assert len(printed_columns) == 29
    assert all(hasattr(line, column) for column in printed_columns)


def test_find_by_date_range_cpt_and_period(session: Session) -> None:
    months = MonthlySummaryRepository(session)
    months.save(_packet("2026-02", "b" * 64))
    months.save(_packet("2026-03", "c" * 64))
    session.commit()
    assert [p.period for p in months.find_by_date_range("2026-03-01", "2026-12-31")] == ["2026-03"]
    assert months.latest().period == "2026-03"
    assert months.find_by_sha256("b" * 64).period == "2026-02"
    charges = ChargeTransactionRepository(session)
    assert len(charges.find_by_cpt_code("27447")) == 2
    in_feb = charges.find_by_date_range(dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert len(in_feb) == 4
    assert charges.find_by_date_range(dt.date(2026, 4, 1), None, by="post") == []


def test_sha256_is_unique(session: Session) -> None:
    repo = MonthlySummaryRepository(session)
    repo.save(_packet())
    with pytest.raises(IntegrityError):
        repo.save(_packet())


def test_deleting_a_packet_removes_everything_it_brought(session: Session) -> None:
    repo = MonthlySummaryRepository(session)
    packet = repo.save(_packet())
    session.commit()
    assert repo.delete(packet.id) is True
    session.commit()
    for model in (
        ChargeTransaction,
        PayrollLine,
        CompensationLine,
        PoolReport,
        PoolAdjustedPoints,
        PoolHistory,
        PoolPriorAllocation,
        ExpenseLine,
        CheckResult,
        ChargeTotals,
        PoolSummary,
    ):
        assert session.query(model).count() == 0, model.__name__
    assert repo.delete(packet.id) is False


def test_master_case_statistics(session: Session) -> None:
    cases = MasterCaseRepository(session)
    for i, (cpt, points) in enumerate([("45380", 6.4), ("45380", 7.0), ("27447", 20.0)]):
        cases.save(
            MasterCase(
                ticket=f"7310{i:04d}",
                date_of_service=dt.date(2026, 2, 1 + i),
                primary_cpt=cpt,
                cpt_codes=cpt,
                sub_pool="UTCS",
                line_count=1,
                anes_time_min=40 + i,
                points=points,
                charge_amount=100.0,
            )
        )
    session.commit()
    stats = cases.get_statistics({"cpt": "45380"})
    assert stats["cases"] == 2 and stats["points"] == pytest.approx(13.4)
    assert cases.get_statistics({"start": dt.date(2026, 2, 3)})["cases"] == 1
    assert cases.find_by_patient_ticket("73100001").points == 7.0
    assert len(cases.find_by_date_range(dt.date(2026, 2, 2), None)) == 2
    assert cases.delete_tickets(["73100000"]) == 1


def test_rules_audit_case_log_forecast_export_round_trip(session: Session) -> None:
    rules = AsmgRuleRepository(session)
    seeded = rules.count()
    rule = rules.save(
        AsmgRule(
            effective_date=dt.date(2020, 1, 1),
            time_multiplier=0.1,
            anes_base_multiplier=0.5,
            med_base_multiplier=0.6,
            description="older rule",
        )
    )
    assert rules.count() == seeded + 1
    assert rules.find_by_effective_date(dt.date(2020, 1, 1)).med_base_multiplier == 0.6
    AuditLogRepository(session).record("insert", "asmg_rule", rule.id, new_value='{"x": 1}')
    assert AuditLogRepository(session).recent()[0].entity_type == "asmg_rule"
    assert rules.delete(rule.id) is True

    logs = UserCaseLogRepository(session)
    logs.add_all(
        [
            UserCaseLog(
                case_date=dt.date(2026, 3, 2), patient_ticket="73102214", cpt_codes="45380,99100"
            )
        ]
    )
    assert logs.count() == 1
    assert logs.find_by_date_range(dt.date(2026, 3, 1), dt.date(2026, 3, 31))[0].cpt_codes == (
        "45380,99100"
    )
    assert logs.find_by_date_range(None, None)[0].verified_in_billing is False

    forecasts = ForecastSnapshotRepository(session)
    forecasts.save(
        ForecastSnapshot(
            created_date=dt.date(2026, 3, 1),
            forecast_date=dt.date(2026, 4, 1),
            predicted_amount=61000.0,
            confidence_level=0.95,
            model_used="schedule",
        )
    )
    assert forecasts.list_all()[0].actual_amount is None

    exports = ExportLogRepository(session)
    exports.save(
        ExportLog(
            export_type="csv",
            entity_type="transactions",
            filename="transactions.csv",
            file_size=1234,
        )
    )
    assert exports.recent()[0].file_size == 1234


def test_a_read_snapshot_does_not_see_a_commit_made_after_its_first_read(engine) -> None:
    """A page reads its data version, cached figures and rows while an import may commit:
    every read of its session must see the same moment (SQLite and PostgreSQL)."""
    from data.db import make_session_factory, read_snapshot, session_scope
    from data.repositories import DataVersionRepository, MonthlySummaryRepository

    factory = make_session_factory(engine)
    page = read_snapshot(factory)
    try:
        version = DataVersionRepository(page).fingerprint()
        before = len(MonthlySummaryRepository(page).list_all())
        with session_scope(factory) as writer:  # an import commits meanwhile
            writer.add(_packet("2026-04", "b" * 64))
        assert len(MonthlySummaryRepository(page).list_all()) == before
        assert DataVersionRepository(page).fingerprint() == version
    finally:
        page.close()
    fresh = factory()
    try:
        assert len(MonthlySummaryRepository(fresh).list_all()) == before + 1
        assert DataVersionRepository(fresh).fingerprint() != version
    finally:
        fresh.close()
