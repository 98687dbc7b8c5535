"""Import packets: one PDF becomes one transaction, all of it or nothing.

Each file passes named pre-checks, each with a status the user sees:

1. ``readable``   the file is a packet the extractor can read (else: its one-line reason);
2. ``duplicate``  the same bytes (SHA-256) were imported before: nothing changes;
3. ``period``     another file for the same physician and pay period is stored: refused
                  unless the user asks to replace it (then replaced in the same transaction);
4. ``checks``     the packet's own cross-checks: a failure does not stop the import, it is
                  stored with the packet and shown.

Then, in one transaction: the packet and every part of it are written, the cases of its
tickets are regrouped, the checks across months are run for it and its stored
neighbours, and an ``AuditLog`` row records what happened.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from analytics.packet_checks import refresh_cross_month_checks
from analytics.privacy import remember_names
from case_grouper import CaseGrouper
from data.db import session_scope
from data.models import (
    ChargeTotals,
    ChargeTransaction,
    CheckResult,
    CompensationLine,
    ExpenseLine,
    Packet,
    PayrollLine,
    PoolAdjustedPoints,
    PoolHistory,
    PoolPriorAllocation,
    PoolReport,
    PoolSummary,
)
from data.repositories import (
    AuditLogRepository,
    MonthlySummaryRepository,
    UserCaseLogRepository,
)
from data_extractor import ExtractionError, extract_packet

log = logging.getLogger(__name__)

IMPORTED = "imported"
REPLACED = "replaced"
DUPLICATE = "duplicate"
NEEDS_REPLACE = "needs_replace"
ERROR = "error"
#: Statuses after which the database holds the file's packet.
STORED = {IMPORTED, REPLACED, DUPLICATE}


@dataclass
class PreCheck:
    """One named pre-check and what it found."""

    name: str
    status: str  # "passed" | "failed" | "skipped" | "warning"
    detail: str = ""


@dataclass
class ImportResult:
    """What happened to one file: shown per file on the web and by the CLI."""

    file_name: str
    status: str
    message: str
    packet_id: int | None = None
    period: str | None = None
    charge_lines: int = 0
    cases_touched: int = 0
    failed_checks: list[str] = field(default_factory=list)
    prechecks: list[PreCheck] = field(default_factory=list)
    error_kind: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in STORED


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def packet_from_extraction(data: dict[str, Any], *, source_file: str, sha256: str) -> Packet:
    """Map the extraction contract (docs/extraction-json.md) onto the models, one to one."""
    physician = data.get("physician") or {}
    packet = Packet(
        source_file=source_file,
        sha256=sha256,
        physician_name=physician.get("name"),
        physician_number=physician.get("number"),
        period=data["period"],
        pay_date=_date(data.get("pay_date")),
        page_count=data.get("page_count"),
    )
    payroll = data.get("payroll") or {}
    packet.payroll_lines = [
        PayrollLine(
            position=i,
            side=line["side"],
            label=line["label"],
            current=line.get("current"),
            ytd=line.get("ytd"),
        )
        for i, line in enumerate(payroll.get("lines") or [])
    ]
    compensation = data.get("compensation") or {}
    packet.compensation_lines = [
        CompensationLine(
            position=i,
            section=line["section"],
            label=line.get("label"),
            period_to_date=line.get("period_to_date"),
            year_to_date=line.get("year_to_date"),
            subtotal=bool(line.get("subtotal")),
        )
        for i, line in enumerate(compensation.get("lines") or [])
    ]
    packet.charges = [_charge(i, line) for i, line in enumerate(data.get("charges") or [])]
    totals = data.get("charge_totals")
    if totals is not None:
        packet.charge_totals = ChargeTotals(
            **{
                key: totals.get(key)
                for key in (
                    "anes_time_min",
                    "anes_base_units",
                    "med_base_units",
                    "other_units",
                    "charge_amount",
                )
            }
        )
    packet.pool_summaries = [
        PoolSummary(
            position=i,
            pool=row["pool"],
            name=row.get("name"),
            anes_time_min=row.get("anes_time_min"),
            anes_base_units=row.get("anes_base_units"),
            med_base_units=row.get("med_base_units"),
            other_units=row.get("other_units"),
        )
        for i, row in enumerate(data.get("pool_summary") or [])
    ]
    packet.pool_reports = [_pool(i, pool) for i, pool in enumerate(data.get("pools") or [])]
    expenses = data.get("expenses")
    if expenses is not None:
        packet.expense_total = expenses.get("total")
        packet.expense_lines = [
            ExpenseLine(
                position=i,
                reimb=line.get("reimb"),
                date=_date(line.get("date")),
                invoice=line.get("invoice"),
                description=line.get("description"),
                vendor=line.get("vendor"),
                amount=line.get("amount"),
            )
            for i, line in enumerate(expenses.get("lines") or [])
        ]
    packet.check_results = [
        CheckResult(
            scope="packet", name=check["name"], ok=bool(check["ok"]), detail=check.get("detail")
        )
        for check in data.get("checks") or []
    ]
    return packet


_CHARGE_COLUMNS = (
    "ticket", "note", "patient_name", "original_charge_month", "site_code", "service_type",
    "cpt_code", "pay_code", "start_time", "stop_time", "ob_case_position", "split_percent",
    "anes_time_min", "anes_base_units", "med_base_units", "other_units", "charge_amount",
    "sub_pool", "sub_pool_percent", "sub_pool_time_min", "sub_pool_anes_base",
    "sub_pool_med_base", "group_pool", "group_pool_percent", "group_pool_time_min",
    "group_pool_anes_base", "group_pool_med_base", "page",
)  # fmt: skip


def _charge(position: int, line: dict[str, Any]) -> ChargeTransaction:
    values = {key: line.get(key) for key in _CHARGE_COLUMNS}
    return ChargeTransaction(
        position=position,
        date_of_service=_date(line.get("date_of_service")),
        date_of_post=_date(line.get("date_of_post")),
        **values,
    )


def _pool(position: int, pool: dict[str, Any]) -> PoolReport:
    multipliers = pool.get("multipliers") or {}
    report = PoolReport(
        position=position, pool=pool["pool"], name=pool.get("name"),
        multiplier_time=multipliers.get("time"),
        multiplier_anes_base=multipliers.get("anes_base"),
        multiplier_med_base=multipliers.get("med_base"),
        points=pool.get("points"), adjusted_points=pool.get("adjusted_points"),
        rate=pool.get("rate"), pooled_points=pool.get("pooled_points"),
        total_allocation=pool.get("total_allocation"),
        prior_allocation=pool.get("prior_allocation"),
        current_allocation=pool.get("current_allocation"), notes=pool.get("notes"),
    )  # fmt: skip
    report.adjusted = [
        PoolAdjustedPoints(
            month=row["month"],
            points=row.get("points"),
            weight=row.get("weight"),
            adjusted=row.get("adjusted"),
        )
        for row in pool.get("adjusted") or []
    ]
    report.history = [
        PoolHistory(
            month=row["month"], rate=row.get("rate"), adjusted_points=row.get("adjusted_points")
        )
        for row in pool.get("history") or []
    ]
    report.prior_allocations = [
        PoolPriorAllocation(month=row["month"], amount=row.get("amount"))
        for row in pool.get("prior_allocations") or []
    ]
    return report


Extractor = Callable[..., dict[str, Any]]


class PacketLoader:
    """Imports packet files into the database behind ``session_factory``."""

    def __init__(
        self, session_factory: sessionmaker[Session], extractor: Extractor = extract_packet
    ) -> None:
        self.session_factory = session_factory
        self.extractor = extractor

    def import_file(
        self,
        path: str | Path,
        *,
        replace: bool = False,
        password: str | None = None,
        display_name: str | None = None,
    ) -> ImportResult:
        """Import one packet file; never raises for a bad file (the result says what failed)."""
        path = Path(path)
        name = display_name or path.name
        result = ImportResult(file_name=name, status=ERROR, message="")
        if not path.is_file():
            result.prechecks.append(PreCheck("readable", "failed", "file not found"))
            result.message = f"{name}: file not found. Check the path and try again."
            return result
        sha256 = file_sha256(path)

        duplicate = self._find_duplicate(sha256)
        if duplicate is not None:
            result.prechecks.append(PreCheck("readable", "skipped", "already imported"))
            result.prechecks.append(PreCheck("duplicate", "failed", duplicate.message))
            return duplicate

        try:
            data = self.extractor(path, password=password)
        except ExtractionError as error:
            result.prechecks.append(PreCheck("readable", "failed", error.message))
            result.message = error.message
            result.error_kind = getattr(error, "kind", None)
            return result
        remember_names(charge.get("patient_name") for charge in data.get("charges") or [])
        if not data.get("period"):  # a damaged packet whose pay period cannot be read
            result.message = (
                f"{name}: no pay period could be read (the pay stub and the reports' month "
                "are missing or damaged); use the packet PDF as the billing company sent it."
            )
            result.prechecks.append(PreCheck("readable", "failed", "no pay period"))
            result.error_kind = "no_period"
            return result
        result.prechecks.append(PreCheck("readable", "passed", f"period {data.get('period')}"))
        result.prechecks.append(PreCheck("duplicate", "passed", "not imported before"))
        try:
            outcome = self.import_extracted(data, source_file=name, sha256=sha256, replace=replace)
        except (OperationalError, OSError) as error:  # disk full, I/O error: rolled back
            reason = getattr(error, "orig", None) or error
            log.error("Import of a packet could not be written: %s", reason)
            result.message = (
                f"{name}: could not be written to the database ({reason}); nothing of it was "
                "stored. Free some disk space (or check the disk) and import it again."
            )
            result.error_kind = "write_failed"
            return result
        outcome.prechecks = result.prechecks + outcome.prechecks
        return outcome

    def _find_duplicate(self, sha256: str) -> ImportResult | None:
        with session_scope(self.session_factory) as session:
            packet = MonthlySummaryRepository(session).find_by_sha256(sha256)
            if packet is None:
                return None
            when = packet.imported_at.strftime("%Y-%m-%d")
            return ImportResult(
                file_name=packet.source_file,
                status=DUPLICATE,
                message=f"already imported on {when} (period {packet.period}); nothing changed",
                packet_id=packet.id,
                period=packet.period,
                charge_lines=len(packet.charges),
            )

    def import_extracted(
        self, data: dict[str, Any], *, source_file: str, sha256: str, replace: bool = False
    ) -> ImportResult:
        """Store one extracted packet in one transaction (see the module docstring)."""
        result = ImportResult(
            file_name=source_file, status=ERROR, message="", period=data.get("period")
        )
        number = (data.get("physician") or {}).get("number")
        with session_scope(self.session_factory) as session:
            months = MonthlySummaryRepository(session)
            if months.find_by_sha256(sha256) is not None:
                result.status, result.message = DUPLICATE, "already imported; nothing changed"
                return result
            existing = months.find_by_period(data["period"], number)
            replaced_tickets: set[str] = set()
            if existing and not replace:
                old = existing[0]
                detail = (
                    f"a packet for {old.period} is already imported from "
                    f"{old.source_file} on {old.imported_at:%Y-%m-%d}"
                )
                result.prechecks.append(PreCheck("period", "failed", detail))
                result.status = NEEDS_REPLACE
                result.message = f"{detail}; import it with Replace to replace that packet"
                return result
            result.prechecks.append(
                PreCheck(
                    "period",
                    "warning" if existing else "passed",
                    "replaces the stored packet" if existing else "new pay period",
                )
            )
            audit = AuditLogRepository(session)
            for old in existing:
                replaced_tickets |= {charge.ticket for charge in old.charges}
                audit.record(
                    "delete",
                    "packet",
                    old.id,
                    old_value=_summary_json(old),
                    notes=f"replaced by {source_file}",
                )
                months.delete(old.id)

            packet = months.save(
                packet_from_extraction(data, source_file=source_file, sha256=sha256)
            )
            tickets = {charge.ticket for charge in packet.charges} | replaced_tickets
            grouped = CaseGrouper(session).regroup(tickets)
            refresh_cross_month_checks(session, packet)
            action = "update" if existing else "insert"
            audit.record(
                action,
                "packet",
                packet.id,
                new_value=_summary_json(packet),
                notes=f"{'replaced' if existing else 'imported'} from {source_file}",
            )

            failed = [
                f"{check.name}: {check.detail}" for check in packet.check_results if not check.ok
            ]
            result.prechecks.append(
                PreCheck(
                    "checks",
                    "failed" if failed else "passed",
                    f"{len(failed)} failed" if failed else "all passed",
                )
            )
            result.status = REPLACED if existing else IMPORTED
            result.packet_id = packet.id
            result.charge_lines = len(packet.charges)
            result.cases_touched = grouped.touched
            result.failed_checks = failed
            verb = "replaced" if existing else "imported"
            result.message = (
                f"{verb}: period {packet.period}, {len(packet.charges)} charge "
                f"lines, {grouped.touched} cases updated"
            )
            if failed:
                result.message += f"; {len(failed)} cross-check(s) failed"
        log.info("Packet %s for %s: %s", result.status, result.period, source_file)
        return result

    def delete_packet(self, packet_id: int) -> ImportResult | None:
        """Delete a packet and regroup the cases it touched, in one transaction."""
        with session_scope(self.session_factory) as session:
            months = MonthlySummaryRepository(session)
            packet = months.find_by_id(packet_id)
            if packet is None:
                return None
            tickets = {charge.ticket for charge in packet.charges}
            period, name = packet.period, packet.source_file
            AuditLogRepository(session).record(
                "delete",
                "packet",
                packet.id,
                old_value=_summary_json(packet),
                notes=f"deleted {name}",
            )
            months.delete(packet_id)
            grouped = CaseGrouper(session).regroup(tickets)
            refresh_cross_month_checks(session, None, periods=[period])
            return ImportResult(
                file_name=name,
                status="deleted",
                period=period,
                cases_touched=grouped.touched,
                message=f"deleted the packet for {period} ({name}); "
                f"{grouped.touched} cases updated",
            )

    def delete_all(self) -> int:
        """Delete every packet, every case and the case log, in one transaction (the v2
        system's "delete all data"). Points rules and the audit log stay. Returns packets."""
        with session_scope(self.session_factory) as session:
            months = MonthlySummaryRepository(session)
            packets = months.list_all()
            audit = AuditLogRepository(session)
            for packet in packets:
                audit.record(
                    "delete",
                    "packet",
                    packet.id,
                    old_value=_summary_json(packet),
                    notes="delete all data",
                )
                months.delete(packet.id)
            CaseGrouper(session).regroup_all()
            UserCaseLogRepository(session).delete_all()
            return len(packets)


def _summary_json(packet: Packet) -> str:
    """What the audit log keeps of a packet: counts and identifiers, no patient data."""
    return json.dumps({
        "period": packet.period,
        "source_file": packet.source_file,
        "sha256": packet.sha256,
        "charge_lines": len(packet.charges),
        "pools": len(packet.pool_reports),
    })  # fmt: skip
