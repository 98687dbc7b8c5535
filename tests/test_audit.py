"""Billing audit on generated data: it finds exactly the planted discrepancies.

The demo database (36 generated months imported through the real loader) comes with the
generator's case logs and their truth: cases never billed, billed after the last packet,
billed but not logged, logged with a wrong CPT or a mistyped ticket.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections import namedtuple
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from analytics.audit import (
    DEFAULT_MONTHS,
    FINDINGS_PER_PAGE,
    KINDS,
    LOOKBACK_MONTHS,
    AuditQuery,
    BilledLine,
    BillingAudit,
    LogEntry,
    findings_page,
    group_cases,
    match_cases,
    name_score,
    parse_audit_query,
    shown_counts,
    shown_findings,
)
from analytics.caselog import parse_case_log
from analytics.metrics import WorkloadMetrics
from data.db import make_engine, make_session_factory, session_scope
from data.repositories import (
    AuditRepository,
    ChargeTransactionRepository,
    DataVersionRepository,
    UserCaseLogRepository,
)


@pytest.fixture(scope="module")
def demo_copy(demo_db: Path, tmp_path_factory) -> str:
    """A private copy of the demo database (the shared one stays read-only)."""
    target = tmp_path_factory.mktemp("audit") / "demo.db"
    shutil.copy(demo_db, target)
    return f"sqlite:///{target}"


@pytest.fixture(scope="module")
def packets_dir(demo_db: Path) -> Path:
    return demo_db.parent / "demo-packets"


@pytest.fixture(scope="module")
def truth(packets_dir: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(packets_dir.glob("caselog-20*.truth.json"))]


@pytest.fixture(scope="module")
def audited(demo_copy: str, packets_dir: Path):
    """The whole generated log stored and audited, as the page and the CLI do."""
    data = (packets_dir / "caselog-all.csv").read_bytes()
    parsed = parse_case_log(data, "caselog-all.csv")
    engine = make_engine(demo_copy)
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        stored = BillingAudit(session).store_log(parsed)
    session = factory()
    audit = BillingAudit(session)
    report = audit.generate_audit_report(save_matches=True)
    session.commit()
    yield parsed, stored, audit, report, session
    session.close()
    engine.dispose()


def test_finds_exactly_the_planted_discrepancies(audited, truth) -> None:
    parsed, stored, audit, report, _session = audited
    assert stored.added == len(parsed.rows) == sum(t["cases_logged"] for t in truth)
    billed = ChargeTransactionRepository(audit.session).all_tickets()
    logged = {row.ticket for row in parsed.rows}
    mistyped = {m["ticket"]: m["logged"] for t in truth for m in t["mistyped_ticket"]}

    def found(*kinds: str) -> set[str]:
        return {f.ticket for f in report.findings if f.kind in kinds}

    never = [x for t in truth for x in t["never_billed"] + t["billed_after_last_packet"]]
    expected_missing = {mistyped.get(x["ticket"], x["ticket"]) for x in never} & logged
    assert found("missing_pending", "missing_overdue") == expected_missing
    assert len(expected_missing) > 50
    not_in_log = {x["ticket"] for t in truth for x in t["not_in_log"]} & billed
    assert found("unexpected") == not_in_log and len(not_in_log) > 30
    wrong_cpt = {x["ticket"] for t in truth for x in t["wrong_cpt"]} & billed
    assert found("cpt_mismatch") == wrong_cpt and len(wrong_cpt) > 30
    wrong_ticket = {x["ticket"] for t in truth for x in t["mistyped_ticket"]} & billed
    assert found("ticket_mismatch") == wrong_ticket and len(wrong_ticket) > 20
    # The generator's logs carry no stop times and its lines are consistent.
    counts = report.counts()
    assert counts["time_mismatch"] == counts["time_arithmetic"] == counts["base_units"] == 0


def test_missing_split_by_the_charge_lag(audited) -> None:
    _parsed, _stored, _audit, report, _session = audited
    cutoff = report.latest_post - dt.timedelta(days=report.lag_p90_days)
    assert 10 < report.lag_p90_days < 90
    pending, overdue = report.of_kind("missing_pending"), report.of_kind("missing_overdue")
    assert pending and overdue
    assert all(dt.date.fromisoformat(f.date_of_service) > cutoff for f in pending)
    assert all(dt.date.fromisoformat(f.date_of_service) <= cutoff for f in overdue)
    assert all(f.points and f.points > 0 and f.dollars and f.dollars > 0 for f in pending)
    assert report.expected["missing_overdue"].dollars == pytest.approx(
        sum(f.dollars for f in overdue), abs=0.02
    )


def test_findings_cite_ticket_packet_and_page(audited, packets_dir: Path) -> None:
    _parsed, _stored, _audit, report, _session = audited
    truth_lines = {}
    for path in packets_dir.glob("*-731-*.truth.json"):
        packet = json.loads(path.read_text())
        for charge in packet["charges"]:
            truth_lines.setdefault((packet["period"], charge["ticket"]), set()).add(charge["page"])
    cited = [f for f in report.findings if f.kind in ("unexpected", "cpt_mismatch", "zeroed")]
    assert cited
    for finding in cited:
        assert finding.page in truth_lines[(finding.period, finding.ticket)]
    for kind in ("duplicate", "zeroed", "overlap", "ticket_gap"):
        assert report.of_kind(kind), kind
    assert all("OB" in f.detail for f in report.of_kind("overlap"))


def test_matches_are_stored_and_reupload_adds_nothing(audited, demo_copy, packets_dir) -> None:
    parsed, _stored, _audit, report, session = audited
    rows = UserCaseLogRepository(session).find_by_date_range(None, None)
    verified = [r for r in rows if r.verified_in_billing]
    assert (
        len(verified)
        == len(report.matches)
        == len(rows) - len(report.of_kind("missing_pending") + report.of_kind("missing_overdue"))
    )
    assert all(r.matched_ticket and r.match_reason and r.match_confidence for r in verified)
    factory = make_session_factory(make_engine(demo_copy))
    with session_scope(factory) as other:
        again = BillingAudit(other).store_log(parsed)
        assert (again.added, again.already) == (0, len(parsed.rows))
        assert UserCaseLogRepository(other).count() == len(parsed.rows)


def test_report_rows_leave_names_out_unless_asked(audited) -> None:
    _parsed, _stored, _audit, report, _session = audited
    rows = report.report_rows()
    assert rows and all("patient" not in row for row in rows)
    assert {row["kind"] for row in rows} <= set(KINDS)
    named = report.report_rows(include_names=True)
    assert any(row["patient"] for row in named)
    assert "patient" not in json.dumps(report.to_dict())


def test_calculate_expected_income_uses_the_current_rate(audited) -> None:
    _parsed, _stored, audit, _report, _session = audited
    rates, mean = audit.current_rates()
    result = audit.calculate_expected_income(10.0, 3, pool="UTCS")
    assert result.points == 30.0 and result.dollars == pytest.approx(30 * rates["UTCS"], abs=0.01)
    assert audit.calculate_expected_income(2.0, 1).rate == mean


def test_detect_discrepancies_flags_months_past_the_threshold(audited) -> None:
    _parsed, _stored, audit, report, _session = audited
    result = audit.detect_discrepancies(threshold=0.1)
    assert {f.kind for f in result.findings} <= set(KINDS[3:])
    strict = audit.detect_discrepancies(threshold=0.0)
    assert sum(m.flagged for m in strict.months) >= sum(m.flagged for m in result.months)
    last = result.months[-1]  # December: many cases not posted yet
    assert last.flagged and last.billed < last.logged


def _case_entry(**kw) -> LogEntry:
    values = dict(row_number=2, case_date=dt.date(2024, 3, 1), ticket=None, cpt_codes=())
    values.update(kw)
    return LogEntry(**values)


def test_time_mismatch_and_fuzzy_names(audited) -> None:
    _parsed, _stored, audit, _report, _session = audited
    case = next(
        c
        for c in audit.billed_cases(dt.date(2024, 3, 1), dt.date(2024, 3, 31))
        if c.start is not None and len(c.anesthesia_lines()) == 1 and not c.lines[0].credit
    )
    line = case.anesthesia_lines()[0]
    start = line.start_time
    hours, minutes = divmod(int(start[:2]) * 60 + int(start[3:]) + int(line.anes_time_min) + 20, 60)
    stop = f"{hours % 24:02d}:{minutes:02d}"
    entry = _case_entry(
        case_date=case.date_of_service, cpt_codes=case.cpt_codes, start_time=start,
        stop_time=stop, patient=case.patient, ticket=None,
    )  # fmt: skip
    report = audit.generate_audit_report(
        (case.date_of_service, case.date_of_service), entries=[entry]
    )
    mismatch = report.of_kind("time_mismatch")
    assert [f.ticket for f in mismatch] == [case.ticket]
    assert "+20" in mismatch[0].detail and mismatch[0].points == pytest.approx(2.0)
    # No start time: date + CPT + the name decide among that day's cases.
    same_day = [
        c for c in audit.billed_cases(case.date_of_service, case.date_of_service)
        if c.cpt_codes and c.patient
    ]  # fmt: skip
    entries = [
        _case_entry(case_date=c.date_of_service, cpt_codes=c.cpt_codes[:1],
                    patient=c.patient.upper())
        for c in reversed(same_day)
    ]  # fmt: skip
    comparison = match_cases(entries, same_day)
    assert {m.entry.patient: m.case.ticket for m in comparison.matches} == {
        c.patient.upper(): c.ticket for c in same_day
    }
    assert all("patient name" in m.reason for m in comparison.matches)


def test_name_score() -> None:
    assert name_score("Müller Daniel", "Muller Daniel K") > 80
    assert name_score("MD", "Müller Daniel Kwame") == 100
    assert name_score("DM", "Müller Daniel Kwame") == 100
    assert name_score("XY", "Müller Daniel Kwame") == 0
    assert name_score(None, "Müller Daniel") is None


def test_audit_on_an_empty_database(session) -> None:
    report = BillingAudit(session).generate_audit_report(("2024-01-01", "2024-01-31"))
    assert report.findings == [] and report.log_rows == 0
    with pytest.raises(ValueError):
        BillingAudit(session).generate_audit_report(("2024-02-01", "2024-01-31"))


def test_line_checks_fire_on_altered_billing(demo_db: Path, tmp_path: Path) -> None:
    """Alter three real billed lines: minutes that do not match the times, base units
    unlike the CPT's, an anesthesia line charged twice; each is found, nothing else new."""
    from sqlalchemy import select

    from data.models import ChargeTransaction

    target = tmp_path / "altered.db"
    shutil.copy(demo_db, target)
    engine = make_engine(f"sqlite:///{target}")
    factory = make_session_factory(engine)
    span = (dt.date(2024, 5, 1), dt.date(2024, 5, 31))
    with session_scope(factory) as session:
        before = BillingAudit(session).generate_audit_report(span, entries=[]).counts()
        lines = session.scalars(
            select(ChargeTransaction)
            .where(
                ChargeTransaction.date_of_service.between(*span),
                ChargeTransaction.service_type == "An",
                ChargeTransaction.cpt_code == "45380",
                ChargeTransaction.split_percent.is_(None),
                ChargeTransaction.note.is_(None),
                ChargeTransaction.charge_amount > 0,
            )
            .order_by(ChargeTransaction.ticket)
        ).all()
        timed, based, doubled = lines[0], lines[5], lines[10]
        timed.anes_time_min += 7
        based.anes_base_units = 5.0
        copy = {c.name: getattr(doubled, c.name) for c in ChargeTransaction.__table__.columns}
        copy.pop("id")
        session.add(ChargeTransaction(**copy))
        tickets = (timed.ticket, based.ticket, doubled.ticket)
    with session_scope(factory) as session:
        report = BillingAudit(session).generate_audit_report(span, entries=[])
    engine.dispose()
    after = report.counts()
    assert [f.ticket for f in report.of_kind("time_arithmetic")] == [tickets[0]]
    assert "bills" in report.of_kind("time_arithmetic")[0].detail
    assert [f.ticket for f in report.of_kind("base_units")] == [tickets[1]]
    assert "earlier 45380 cases got 4" in report.of_kind("base_units")[0].detail
    doubles = [f for f in report.of_kind("duplicate") if f.ticket == tickets[2]]
    assert len(doubles) == 1 and "charged 2 times" in doubles[0].detail
    assert after["time_arithmetic"] == before["time_arithmetic"] + 1
    assert after["base_units"] == before["base_units"] + 1
    assert after["duplicate"] == before["duplicate"] + 1


def test_default_range_is_the_log_or_the_latest_posted_months(demo_db: Path) -> None:
    """With a log: its months; without: the latest DEFAULT_MONTHS pay periods, whatever
    the length of the history; the reference window starts LOOKBACK_MONTHS earlier."""
    engine = make_engine(f"sqlite:///{demo_db}")
    session = make_session_factory(engine)()
    try:
        report = BillingAudit(session).generate_audit_report()
        assert (report.start, report.end, report.basis) == (
            dt.date(2025, 1, 1),
            dt.date(2025, 12, 31),
            "recent",
        )
        assert DEFAULT_MONTHS == 12 and "latest 12 posted months" in report.basis_label
        assert report.reference_from == dt.date(2023, 1, 1) and LOOKBACK_MONTHS == 24
        served = {f.date_of_service for f in report.findings if f.date_of_service}
        assert served and min(served) >= "2025-01-01" and max(served) <= "2025-12-31"
        chosen = BillingAudit(session).generate_audit_report(("2024-03-01", None))
        assert (chosen.start, chosen.end, chosen.basis) == (
            dt.date(2024, 3, 1),
            dt.date(2025, 12, 31),
            "chosen",
        )
    finally:
        session.close()
        engine.dispose()


def test_the_audit_over_everything_equals_the_unbounded_one(audited) -> None:
    """Over the log's 36 months the reference window (24 months before them, and them)
    holds every stored case: the figures are the whole history's. Each CPT's median and
    the charge lag, recomputed here from every stored case, are the report's."""
    import statistics

    from data.models import MasterCase

    _parsed, _stored, audit, report, session = audited
    assert report.basis == "case log" and report.reference_from <= dt.date(2021, 1, 1)
    lag = WorkloadMetrics(session).charge_lag().overall.p90_days
    assert report.lag_p90_days == lag
    points: dict[str, list[float]] = {}
    for case in session.query(MasterCase).filter(MasterCase.points > 0):
        points.setdefault(case.primary_cpt, []).append(case.points)
    medians = AuditRepository(session).median_case_points(dt.date(1990, 1, 1), report.end)
    assert medians == pytest.approx({cpt: statistics.median(v) for cpt, v in points.items()})
    missing = report.of_kind("missing_overdue")
    assert all(f.points == pytest.approx(medians[f.cpt_codes[0]]) for f in missing)


def test_base_unit_facts_from_sql_agree_with_the_cases(audited) -> None:
    """``AuditRepository.anesthesia_units`` (one aggregate query) gives, for every billed
    case, the CPT, base units and shared flag of its charged anesthesia lines exactly as
    ``BilledCase.anesthesia_lines`` picks them (credits, D reposts, rebills left out)."""
    _parsed, _stored, audit, report, session = audited
    cases = audit.billed_cases(report.start, report.end)
    expected = {}
    for case in cases:
        lines = case.anesthesia_lines()
        if lines:
            shared = any(line.note == "S" or line.ob_case_position in ("E", "M") for line in lines)
            units = round(sum(line.anes_base_units or 0 for line in lines), 2)
            expected[case.ticket] = (case.date_of_service, lines[0].cpt_code, units, shared)
    rows = AuditRepository(session).anesthesia_units(report.start, report.end)
    got = {r.ticket: (r.date_of_service, r.cpt, round(r.units, 2), bool(r.shared)) for r in rows}
    assert got == expected and len(got) > 4000
    assert any(shared for *_rest, shared in got.values())  # OB middle/end segments exist
    assert [r.date_of_service for r in rows] == sorted(r.date_of_service for r in rows)


def test_ticket_gaps_from_the_window_equal_the_whole_sequence(demo_db: Path) -> None:
    """A late range reads the ticket sequence from its reference window only; the open
    gaps it reports are those the whole stored sequence has there."""
    engine = make_engine(f"sqlite:///{demo_db}")
    session = make_session_factory(engine)()
    try:
        start, end = dt.date(2025, 6, 1), dt.date(2025, 8, 31)
        report = BillingAudit(session).generate_audit_report((start, end), entries=[])
        assert report.reference_from == dt.date(2023, 6, 1)  # later than the first packet
        everything = [
            gap.ticket
            for gap in WorkloadMetrics(session).ticket_sequence().open_gaps
            if start.isoformat() <= (gap.service_after or gap.service_before) <= end.isoformat()
        ]
        assert [f.ticket for f in report.of_kind("ticket_gap")] == everything and everything
    finally:
        session.close()
        engine.dispose()


def test_page_helpers_list_findings_by_kind_month_and_page(audited) -> None:
    _parsed, _stored, _audit, report, _session = audited
    every = shown_findings(report, AuditQuery(), has_log=True)
    assert every == report.findings
    counts = shown_counts(report, has_log=True)
    assert sum(counts.values()) == len(report.findings) and 0 not in counts.values()
    without_log = shown_counts(report, has_log=False)
    assert "unexpected" not in without_log and without_log["ticket_gap"] == counts["ticket_gap"]
    march = shown_findings(report, parse_audit_query({"month": "2024-03"}), True)
    assert march == [f for f in report.findings if f.date_of_service.startswith("2024-03")]
    unexpected = shown_findings(report, AuditQuery(kind="unexpected"), True)
    assert unexpected == report.of_kind("unexpected")

    rows, page, pages = findings_page(every, 2)
    assert page == 2 and pages == -(-len(every) // FINDINGS_PER_PAGE) and pages > 1
    assert rows == every[FINDINGS_PER_PAGE : 2 * FINDINGS_PER_PAGE]
    assert findings_page(every, 999)[1:] == (pages, pages)
    assert findings_page([], 3) == ([], 1, 1)
    assert parse_audit_query({"page": "x"}).problems and parse_audit_query({"page": "3"}).page == 3


def test_a_new_log_changes_the_data_version_even_with_the_same_ids(session) -> None:
    """A stored log removed and another of as many rows stored reuses the row ids: the
    fingerprint the cached audit is keyed by must still change."""
    from analytics.caselog import parse_case_log

    first = parse_case_log(b"date,ticket,cpt\n3/4/24,73117474,29827\n", "a.csv")
    second = parse_case_log(b"date,ticket,cpt\n3/5/24,73117475,29881\n", "b.csv")
    audit = BillingAudit(session)
    audit.store_log(first)
    session.commit()
    before = DataVersionRepository(session).fingerprint()
    audit.clear_log()
    audit.store_log(second)
    session.commit()
    after = DataVersionRepository(session).fingerprint()
    assert UserCaseLogRepository(session).count() == 1
    assert before != after


def _an_case(ticket: str, start: str, stop: str, ob: str | None = None) -> Any:
    """A billed case of one anesthesia line served 2025-03-04 (what the overlap check reads)."""
    line = SimpleNamespace(
        ticket=ticket, note=None, patient_name=None, service_type="An", cpt_code="01967",
        start_time=start, stop_time=stop, date_of_service=dt.date(2025, 3, 4),
        date_of_post=dt.date(2025, 4, 1), ob_case_position=ob, split_percent=None,
        anes_time_min=60, anes_base_units=5.0, charge_amount=100.0, sub_pool="A", points=9.0,
        page=3,
    )  # fmt: skip
    return BilledLine(line, "2025-04")


def test_overlaps_pair_every_overlapping_segment_once() -> None:
    """Three mutually overlapping cases give three findings (each later-starting segment
    names an earlier one); ends that only touch do not overlap; a ticket's own segments
    and past-midnight spans follow the same rule."""
    lines = [
        _an_case("100", "08:00", "10:00"),
        _an_case("101", "08:30", "09:30"),
        _an_case("102", "09:00", "11:00", ob="B"),
        _an_case("103", "11:00", "12:00"),  # touches 102's end: no overlap
        _an_case("104", "23:30", "00:30"),  # past midnight
        _an_case("104", "23:40", "23:50"),  # its own ticket: not an overlap
        _an_case("105", "23:45", "01:00"),
    ]
    cases = sorted(group_cases(lines).values(), key=lambda c: c.ticket)
    found = [(f.ticket, f.detail) for f in BillingAudit(None)._overlaps(cases)]
    assert found == [
        ("101", "08:30-09:30 overlaps ticket 100 (08:00-10:00) by 60 min."),
        ("102", "09:00-11:00 overlaps ticket 100 (08:00-10:00) by 60 min"
         " (OB: concurrent labor epidurals are allowed)."),
        ("102", "09:00-11:00 overlaps ticket 101 (08:30-09:30) by 30 min"
         " (OB: concurrent labor epidurals are allowed)."),
        ("105", "23:45-01:00 overlaps ticket 104 (23:30-00:30) by 45 min."),
        ("105", "23:45-01:00 overlaps ticket 104 (23:40-23:50) by 5 min."),
    ]  # fmt: skip


def test_base_units_compare_with_the_most_common_earlier_value() -> None:
    """The usual units of a CPT are Counter.most_common's: the most frequent value so far,
    ties going to the value seen first; shared cases are neither judged nor counted."""
    day = dt.date(2025, 3, 4)
    rows = [  # ticket, date of service, cpt, units, shared
        ("1", day, "00790", 7.0, 0),
        ("2", day, "00790", 8.0, 0),
        ("3", day, "00790", 8.0, 1),  # shared: left out
        ("4", day, "00790", 8.0, 0),  # 7 and 8 seen once each: 7 came first
        ("5", day, "00790", 7.0, 0),  # now 8 twice, 7 once
        ("6", day, "00790", 7.0, 0),  # 7 and 8 twice each: 7 came first, so no finding
    ]
    audit = BillingAudit(None)
    unit_row = namedtuple("unit_row", "ticket date_of_service cpt units shared")
    audit.repo = SimpleNamespace(anesthesia_units=lambda start, end: [unit_row(*r) for r in rows])
    lines = [_an_case(ticket, "08:00", "09:00") for ticket, *_ in rows]
    cases = list(group_cases(lines).values())
    reference = SimpleNamespace(start=day)
    found = [(f.ticket, f.detail) for f in audit._base_units(cases, day, day, reference)]
    assert found == [
        ("2", "8 anesthesia base units for 00790; earlier 00790 cases got 7 (1 of 1)."),
        ("4", "8 anesthesia base units for 00790; earlier 00790 cases got 7 (1 of 2)."),
        ("5", "7 anesthesia base units for 00790; earlier 00790 cases got 8 (2 of 3)."),
    ]
