"""Import: one packet one transaction, duplicates and same-month files, case grouping,
checks across months, audit log, delete — on real generated packets and a real SQLite file."""

from __future__ import annotations

import copy
import json
import shutil

import pytest
from sqlalchemy.orm import Session

from analytics.rules import adopt_rules_from_packets
from case_grouper import CaseGrouper, calculator_from_rules, line_points
from data.db import make_session_factory, session_scope
from data.models import AuditLog, ChargeTransaction, MasterCase, Packet
from data.repositories import MonthlySummaryRepository
from data.synthetic import LayoutOptions, generate_history
from data_extractor import compute_checks
from data_loader import (
    DUPLICATE,
    ERROR,
    IMPORTED,
    NEEDS_REPLACE,
    REPLACED,
    PacketLoader,
    file_sha256,
)


@pytest.fixture
def loader(engine) -> PacketLoader:
    return PacketLoader(make_session_factory(engine))


@pytest.fixture
def factory(engine):
    return make_session_factory(engine)


def _table_counts(session: Session) -> dict[str, int]:
    return {
        model.__name__: session.query(model).count()
        for model in (Packet, ChargeTransaction, MasterCase, AuditLog)
    }


def test_importing_the_same_folder_twice_changes_nothing(loader, factory, history_36, tmp_path):
    folder = tmp_path / "packets"
    folder.mkdir()
    for month in history_36[:6]:
        shutil.copy(month.pdf_path, folder)
    first = [loader.import_file(path) for path in sorted(folder.glob("*.pdf"))]
    assert [r.status for r in first] == [IMPORTED] * 6
    with session_scope(factory) as session:
        before = _table_counts(session)
        cases_before = sorted(
            (c.ticket, c.points, c.charge_amount, c.line_count) for c in session.query(MasterCase)
        )
    second = [loader.import_file(path) for path in sorted(folder.glob("*.pdf"))]
    assert [r.status for r in second] == [DUPLICATE] * 6
    assert all("already imported on" in r.message for r in second)
    with session_scope(factory) as session:
        assert _table_counts(session) == before
        assert (
            sorted(
                (c.ticket, c.points, c.charge_amount, c.line_count)
                for c in session.query(MasterCase)
            )
            == cases_before
        )


def test_line_counts_equal_packet_lines_and_cases_group_tickets(loader, factory, history_36):
    for month in history_36[:12]:
        assert loader.import_file(month.pdf_path).status == IMPORTED
    with session_scope(factory) as session:
        repo = MonthlySummaryRepository(session)
        for month in history_36[:12]:
            (packet,) = repo.find_by_period(month.period)
            assert len(packet.charges) == len(month.truth["charges"])
        tickets = {t for m in history_36[:12] for t in (c["ticket"] for c in m.truth["charges"])}
        assert session.query(MasterCase).count() == len(tickets)
        # A case's minutes are the sum of its lines across every packet they posted in.
        case = session.query(MasterCase).filter(MasterCase.line_count > 1).first()
        lines = [
            c for m in history_36[:12] for c in m.truth["charges"] if c["ticket"] == case.ticket
        ]
        assert case.anes_time_min == pytest.approx(sum(c["anes_time_min"] or 0 for c in lines))
        assert case.line_count == len(lines)


def test_case_points_add_up_to_each_months_f2_points(loader, factory, history_36):
    """With the rules the packets print (0.60 medical units in 2023, 0.50 after), each
    posting month's line points sum to its F2 all-pools M — credits priced at their
    original month's rule."""
    for month in history_36:
        assert loader.import_file(month.pdf_path).ok
    with session_scope(factory) as session:
        assert adopt_rules_from_packets(session) == 2
    with session_scope(factory) as session:
        calculator = calculator_from_rules(session)
        for packet in MonthlySummaryRepository(session).list_all():
            printed_m = next(p.points for p in packet.pool_reports if p.pool == "ALL")
            total = sum(line_points(line, calculator) for line in packet.charges)
            assert total == pytest.approx(printed_m, abs=0.011), packet.period
        cases = sum(c.points for c in session.query(MasterCase))
        months = sum(
            next(p.points for p in pk.pool_reports if p.pool == "ALL")
            for pk in MonthlySummaryRepository(session).list_all()
        )
        assert cases == pytest.approx(months, abs=0.5)
        assert all(
            c.ok for pk in MonthlySummaryRepository(session).list_all() for c in pk.check_results
        ), "every check passes once the rules are right"


def test_regrouping_is_idempotent(loader, factory, history_36):
    for month in history_36[:4]:
        loader.import_file(month.pdf_path)
    with session_scope(factory) as session:
        result = CaseGrouper(session).regroup_all()
        assert result.created == result.changed == result.removed == 0
        assert result.unchanged == session.query(MasterCase).count()


def test_same_month_from_another_file_needs_replace(loader, factory, history_36, tmp_path):
    original = history_36[3]
    other = generate_history(
        tmp_path / "alt", months=4, start="2023-01", seed=1, layout=LayoutOptions.random(7)
    )[3]
    assert other.period == original.period
    assert file_sha256(other.pdf_path) != file_sha256(original.pdf_path)
    assert loader.import_file(original.pdf_path).status == IMPORTED

    refused = loader.import_file(other.pdf_path)
    assert refused.status == NEEDS_REPLACE and not refused.ok
    assert "Replace" in refused.message and original.pdf_path.name in refused.message
    with session_scope(factory) as session:
        (packet,) = MonthlySummaryRepository(session).find_by_period(original.period)
        assert packet.source_file == original.pdf_path.name

    replaced = loader.import_file(other.pdf_path, replace=True)
    assert replaced.status == REPLACED
    with session_scope(factory) as session:
        (packet,) = MonthlySummaryRepository(session).find_by_period(original.period)
        assert packet.source_file == other.pdf_path.name
        assert session.query(ChargeTransaction).count() == len(other.truth["charges"])
        actions = [
            (a.action_type, a.entity_type) for a in session.query(AuditLog).order_by(AuditLog.id)
        ]
        assert actions == [("insert", "packet"), ("delete", "packet"), ("update", "packet")]


def test_failed_cross_checks_are_imported_and_kept(loader, factory, history_36):
    data = copy.deepcopy(history_36[0].truth)
    net = next(
        line
        for line in data["compensation"]["lines"]
        if line["section"] == "Net Compensation/Net Pay"
    )
    net["period_to_date"] += 100.0
    data["checks"] = compute_checks(data)
    assert not all(check["ok"] for check in data["checks"])
    result = loader.import_extracted(data, source_file="tampered.pdf", sha256="f" * 64)
    assert result.status == IMPORTED
    assert result.failed_checks and "failed" in result.message
    with session_scope(factory) as session:
        (packet,) = MonthlySummaryRepository(session).find_by_period(data["period"])
        assert any(not check.ok for check in packet.check_results)


def test_checks_across_months_out_of_order_and_failures(loader, factory, history_36):
    jan, feb, mar = history_36[0], history_36[1], history_36[2]
    loader.import_file(mar.pdf_path)
    loader.import_file(jan.pdf_path)
    with session_scope(factory) as session:
        (packet,) = MonthlySummaryRepository(session).find_by_period(mar.period)
        assert not any(c.name.startswith("YTD carries over") for c in packet.check_results)
    # February arrives last; March is now checked against it, February against January.
    feb_data = copy.deepcopy(feb.truth)
    gross = next(line for line in feb_data["payroll"]["lines"] if line["label"] == "Gross Earnings")
    gross["ytd"] += 50.0  # a YTD that does not carry over
    loader.import_extracted(feb_data, source_file=feb.pdf_path.name, sha256="e" * 64)
    with session_scope(factory) as session:
        repo = MonthlySummaryRepository(session)
        (march,) = repo.find_by_period(mar.period)
        (february,) = repo.find_by_period(feb.period)
        carry_mar = next(c for c in march.check_results if c.name.startswith("YTD carries"))
        carry_feb = next(c for c in february.check_results if c.name.startswith("YTD carries"))
        assert not carry_feb.ok and "Gross Earnings" in carry_feb.detail
        assert not carry_mar.ok and "Gross Earnings" in carry_mar.detail
        section4 = next(c for c in march.check_results if c.name.startswith("F2 Section 4"))
        assert section4.ok


def test_section_history_mismatch_is_reported(loader, factory, history_36):
    for month in history_36[:2]:
        loader.import_file(month.pdf_path)
    data = copy.deepcopy(history_36[2].truth)
    pool = next(p for p in data["pools"] if p["pool"] != "ALL" and p["prior_allocations"])
    pool["prior_allocations"][-1]["amount"] += 10.0
    loader.import_extracted(data, source_file="x.pdf", sha256="d" * 64)
    with session_scope(factory) as session:
        (packet,) = MonthlySummaryRepository(session).find_by_period(data["period"])
        section4 = next(c for c in packet.check_results if c.name.startswith("F2 Section 4"))
        assert not section4.ok and pool["pool"] in section4.detail


def test_delete_packet_removes_rows_and_regroups_cases(loader, factory, history_36):
    for month in history_36[:3]:
        loader.import_file(month.pdf_path)
    with session_scope(factory) as session:
        (packet,) = MonthlySummaryRepository(session).find_by_period(history_36[1].period)
        packet_id = packet.id
        only_here = {c.ticket for c in packet.charges} - {
            c["ticket"] for m in (history_36[0], history_36[2]) for c in m.truth["charges"]
        }
    result = loader.delete_packet(packet_id)
    assert result is not None and "deleted" in result.message
    with session_scope(factory) as session:
        assert session.get(Packet, packet_id) is None
        remaining = {c.ticket for c in session.query(MasterCase)}
        assert not (only_here & remaining)
        expected = len(history_36[0].truth["charges"]) + len(history_36[2].truth["charges"])
        assert session.query(ChargeTransaction).count() == expected
        last = session.query(AuditLog).order_by(AuditLog.id.desc()).first()
        assert (last.action_type, last.entity_type, last.entity_id) == (
            "delete",
            "packet",
            packet_id,
        )
        assert "patient" not in (last.old_value or "").lower()
        assert json.loads(last.old_value)["period"] == history_36[1].period
    assert loader.delete_packet(packet_id) is None


def test_bad_file_is_an_error_and_changes_nothing(loader, factory, tmp_path):
    bad = tmp_path / "notes.pdf"
    bad.write_text("these are not the packets you are looking for")
    result = loader.import_file(bad)
    assert result.status == ERROR and result.message
    assert result.prechecks[0].name == "readable" and result.prechecks[0].status == "failed"
    with session_scope(factory) as session:
        assert session.query(Packet).count() == 0


def test_password_protected_packet(loader, history_36, tmp_path):
    (locked,) = generate_history(
        tmp_path / "locked", months=1, start="2023-01", seed=1, password="made-up-pw"
    )
    needs = loader.import_file(locked.pdf_path)
    assert needs.status == ERROR and needs.error_kind == "password_required"
    wrong = loader.import_file(locked.pdf_path, password="nope")
    assert wrong.error_kind == "wrong_password"
    assert loader.import_file(locked.pdf_path, password="made-up-pw").status == IMPORTED
