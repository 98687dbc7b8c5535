"""Repositories: every query the app makes, and nothing but queries.

The analytics layer, the loader and the CLIs read and write through these classes;
no other package builds SQL. Repositories hold no business rules: they filter, sort,
aggregate and persist what they are given. Each takes a ``Session`` owned by the caller,
who decides where the transaction ends (one import is one transaction).
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, delete, func, or_, select
from sqlalchemy.orm import Session, selectinload

from data.models import (
    AsmgRule,
    AuditLog,
    ChargeTransaction,
    CheckResult,
    ExportLog,
    ExportTemplate,
    ForecastSnapshot,
    MasterCase,
    Packet,
    PlannedTimeOff,
    PoolReport,
    UserCaseLog,
)


@dataclass
class ChargeFilters:
    """What a charge-line or case search narrows by; ``None`` means no limit.

    ``text`` matches a ticket number prefix, a CPT code or a part of the patient's name.
    Months are ``YYYY-MM``: ``post_month`` is the posting month (the packet's period),
    ``service_month`` the month of the date of service."""

    text: str | None = None
    ticket: str | None = None
    cpt: str | None = None
    service_from: dt.date | None = None
    service_to: dt.date | None = None
    post_from: dt.date | None = None
    post_to: dt.date | None = None
    post_month: str | None = None
    service_month: str | None = None
    service_type: str | None = None
    pay_code: str | None = None
    pool: str | None = None
    note: str | None = None
    packet_id: int | None = None


@dataclass
class SearchResult:
    """One page of rows, how many match in all, and sums over every match."""

    rows: list[Any]
    total: int
    sums: dict[str, float]


def _month_bounds(month: str) -> tuple[dt.date, dt.date]:
    year, mon = int(month[:4]), int(month[5:7])
    first = dt.date(year, mon, 1)
    following = dt.date(year + (mon == 12), mon % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


def _between(stmt: Select, column: Any, low: dt.date | None, high: dt.date | None) -> Select:
    if low is not None:
        stmt = stmt.where(column >= low)
    if high is not None:
        stmt = stmt.where(column <= high)
    return stmt


def core_rows(session: Session, stmt: Select) -> list[Row]:
    """The rows of a select of columns, run as plain Core on the session's connection (its
    transaction): the same rows without the ORM's result processing, which took about as
    long as SQLite itself on the tens of thousands of rows an audit reads."""
    return session.connection().execute(stmt).all()


def in_periods(stmt: Select, start: str | None, end: str | None) -> Select:
    """Only packets whose pay period (``YYYY-MM``) lies within ``start``..``end``."""
    if start:
        stmt = stmt.where(Packet.period >= start[:7])
    if end:
        stmt = stmt.where(Packet.period <= end[:7])
    return stmt


def _page(
    stmt: Select, sort: Any, descending: bool, tiebreak: Any, offset: int, limit: int | None
) -> Select:
    stmt = stmt.order_by(sort.desc() if descending else sort.asc(), tiebreak)
    if limit is not None:
        stmt = stmt.offset(offset).limit(limit)
    return stmt


class _Repository:
    """Common plumbing: the caller's session, add and flush."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _add(self, obj: Any) -> Any:
        self.session.add(obj)
        self.session.flush()
        return obj

    def _delete(self, model: type, row_id: int) -> bool:
        """Delete one row by id (and, by cascade, what hangs off it). True if it existed."""
        row = self.session.get(model, row_id)
        if row is None:
            return False
        self.session.delete(row)
        self.session.flush()
        return True


class MonthlySummaryRepository(_Repository):
    """Imported packets. The design's "monthly summary" is one packet: a pay period's
    compensation report, payroll stub, F2 pages and expenses, with the F3 lines it posted."""

    def find_by_id(self, packet_id: int) -> Packet | None:
        return self.session.get(Packet, packet_id)

    def find_by_date_range(self, start: str | None, end: str | None) -> list[Packet]:
        """Packets whose pay period (``YYYY-MM``) lies within ``start``..``end`` inclusive."""
        stmt = in_periods(select(Packet).order_by(Packet.period, Packet.id), start, end)
        return list(self.session.scalars(stmt))

    def list_all(self) -> list[Packet]:
        return self.find_by_date_range(None, None)

    def find_with_reports(
        self, start: str | None, end: str | None, *, with_history: bool = False
    ) -> list[Packet]:
        """Like :meth:`find_by_date_range`, with compensation, payroll and F2 pool pages
        loaded in a few queries (not one per packet); ``with_history`` also loads each F2
        page's rate history and prior allocations (two more queries, not two per page)."""
        stmt = in_periods(select(Packet).order_by(Packet.period, Packet.id), start, end)
        stmt = stmt.options(
            selectinload(Packet.compensation_lines),
            selectinload(Packet.payroll_lines),
            selectinload(Packet.pool_reports),
        )
        if with_history:
            reports = selectinload(Packet.pool_reports)
            stmt = stmt.options(
                reports.selectinload(PoolReport.history),
                reports.selectinload(PoolReport.prior_allocations),
            )
        return list(self.session.scalars(stmt))

    def latest(self) -> Packet | None:
        stmt = select(Packet).order_by(Packet.period.desc(), Packet.id.desc()).limit(1)
        return self.session.scalars(stmt).first()

    def find_by_sha256(self, sha256: str) -> Packet | None:
        return self.session.scalars(select(Packet).where(Packet.sha256 == sha256)).first()

    def find_by_period(self, period: str, physician_number: str | None = None) -> list[Packet]:
        stmt = select(Packet).where(Packet.period == period)
        if physician_number is not None:
            stmt = stmt.where(Packet.physician_number == physician_number)
        return list(self.session.scalars(stmt.order_by(Packet.id)))

    def load_full(self, packet_id: int) -> Packet | None:
        """A packet with every part it holds loaded, for the month's detail pages."""
        stmt = (
            select(Packet)
            .where(Packet.id == packet_id)
            .options(
                selectinload(Packet.payroll_lines),
                selectinload(Packet.compensation_lines),
                selectinload(Packet.charge_totals),
                selectinload(Packet.pool_summaries),
                selectinload(Packet.pool_reports).selectinload(PoolReport.adjusted),
                selectinload(Packet.pool_reports).selectinload(PoolReport.history),
                selectinload(Packet.pool_reports).selectinload(PoolReport.prior_allocations),
                selectinload(Packet.expense_lines),
                selectinload(Packet.check_results),
            )
        )
        return self.session.scalars(stmt).first()

    def count(self) -> int:
        return self.session.scalar(select(func.count(Packet.id))) or 0

    def save(self, packet: Packet) -> Packet:
        return self._add(packet)

    def delete(self, packet_id: int) -> bool:
        """Delete a packet and (by cascade) every row it brought. True if it existed."""
        return self._delete(Packet, packet_id)

    def charge_line_counts(
        self, start: str | None = None, end: str | None = None
    ) -> dict[int, int]:
        """Number of F3 lines per packet id (packets with none are absent), of the packets of
        pay periods ``start``..``end`` when given."""
        stmt = select(ChargeTransaction.packet_id, func.count(ChargeTransaction.id)).group_by(
            ChargeTransaction.packet_id
        )
        return self._per_packet(stmt, ChargeTransaction.packet_id, start, end)

    def failed_check_counts(
        self, start: str | None = None, end: str | None = None
    ) -> dict[int, int]:
        """Number of failed cross-checks per packet id (packets with none are absent), of the
        packets of pay periods ``start``..``end`` when given."""
        stmt = (
            select(CheckResult.packet_id, func.count(CheckResult.id))
            .where(CheckResult.ok.is_(False))
            .group_by(CheckResult.packet_id)
        )
        return self._per_packet(stmt, CheckResult.packet_id, start, end)

    def _per_packet(
        self, stmt: Select, packet_id: Any, start: str | None, end: str | None
    ) -> dict[int, int]:
        if start or end:
            stmt = stmt.where(packet_id.in_(in_periods(select(Packet.id), start, end)))
        return {packet_id: count for packet_id, count in self.session.execute(stmt)}


#: The columns a line or a case adds up (minutes, units, charges, points): what every
#: table of lines or cases totals.
SUMMED_COLUMNS = (
    "anes_time_min", "anes_base_units", "med_base_units", "other_units",
    "charge_amount", "points",
)  # fmt: skip


class _Searchable(_Repository, ABC):
    """Search shared by the line and case tables: one page of matching rows (sorted in
    SQL), and the count and sums over every match (a separate query, so callers can keep
    it while paging)."""

    MODEL: Any
    SORTABLE: tuple[str, ...] = ()
    DEFAULT_SORT: str
    TIEBREAK: str  # a unique column, so pages never overlap
    COUNT_KEY: str  # the key of ``search_totals`` that counts rows

    @abstractmethod
    def _filtered(self, stmt: Select, filters: ChargeFilters) -> Select:
        """``stmt`` narrowed to the rows matching ``filters``."""

    @abstractmethod
    def _counts(self) -> list[tuple[str, Any]]:
        """(key, SQL expression) pairs counting the matching rows; the first is COUNT_KEY's."""

    def search(
        self,
        filters: ChargeFilters,
        sort: str | None = None,
        descending: bool = False,
        offset: int = 0,
        limit: int | None = 50,
    ) -> SearchResult:
        """Rows matching ``filters``, one page of them, and sums over all matches."""
        totals = self.search_totals(filters)
        rows = self.search_rows(filters, sort, descending, offset, limit)
        return SearchResult(rows, int(totals[self.COUNT_KEY]), totals)

    def search_rows(
        self,
        filters: ChargeFilters,
        sort: str | None = None,
        descending: bool = False,
        offset: int = 0,
        limit: int | None = 50,
    ) -> list[Any]:
        """One page of the rows matching ``filters``, sorted by ``sort`` (if sortable)."""
        model = self.MODEL
        sort_column = getattr(model, sort if sort in self.SORTABLE else self.DEFAULT_SORT)
        tiebreak = getattr(model, self.TIEBREAK)
        stmt = _page(self._filtered(select(model), filters), sort_column, descending, tiebreak,
                     offset, limit)  # fmt: skip
        return list(self.session.scalars(stmt))

    def search_totals(self, filters: ChargeFilters) -> dict[str, float]:
        """How many rows match ``filters``, and the sums of :data:`SUMMED_COLUMNS`."""
        columns = self._counts() + [
            (key, func.coalesce(func.sum(getattr(self.MODEL, key)), 0.0)) for key in SUMMED_COLUMNS
        ]
        row = self.session.execute(self._filtered(select(*(c for _k, c in columns)), filters))
        return {key: float(value) for (key, _c), value in zip(columns, row.one(), strict=True)}


class ChargeTransactionRepository(_Searchable):
    """F3 charge lines across all packets."""

    MODEL = ChargeTransaction
    DEFAULT_SORT = "date_of_post"
    TIEBREAK = "id"
    COUNT_KEY = "lines"

    def _counts(self) -> list[tuple[str, Any]]:
        c = ChargeTransaction
        return [("lines", func.count(c.id)), ("tickets", func.count(func.distinct(c.ticket)))]

    def find_by_ticket(self, ticket_number: str) -> list[ChargeTransaction]:
        stmt = (
            select(ChargeTransaction)
            .where(ChargeTransaction.ticket == ticket_number)
            .order_by(ChargeTransaction.date_of_post, ChargeTransaction.id)
        )
        return list(self.session.scalars(stmt))

    def find_by_date_range(
        self, start: dt.date | None, end: dt.date | None, by: str = "service"
    ) -> list[ChargeTransaction]:
        """Lines whose date of service (``by="service"``) or of post (``by="post"``) is in range."""
        column = (
            ChargeTransaction.date_of_post if by == "post" else ChargeTransaction.date_of_service
        )
        stmt = select(ChargeTransaction).order_by(column, ChargeTransaction.ticket)
        if start:
            stmt = stmt.where(column >= start)
        if end:
            stmt = stmt.where(column <= end)
        return list(self.session.scalars(stmt))

    def find_by_cpt_code(self, cpt_code: str) -> list[ChargeTransaction]:
        stmt = (
            select(ChargeTransaction)
            .where(ChargeTransaction.cpt_code == cpt_code)
            .order_by(ChargeTransaction.date_of_service, ChargeTransaction.ticket)
        )
        return list(self.session.scalars(stmt))

    def find_by_packet(self, packet_id: int) -> list[ChargeTransaction]:
        stmt = (
            select(ChargeTransaction)
            .where(ChargeTransaction.packet_id == packet_id)
            .order_by(ChargeTransaction.position)
        )
        return list(self.session.scalars(stmt))

    def tickets_of_packet(self, packet_id: int) -> set[str]:
        stmt = select(ChargeTransaction.ticket).where(ChargeTransaction.packet_id == packet_id)
        return set(self.session.scalars(stmt))

    def find_by_tickets(self, tickets: Iterable[str]) -> list[ChargeTransaction]:
        tickets = list(tickets)
        if not tickets:
            return []
        stmt = (
            select(ChargeTransaction)
            .where(ChargeTransaction.ticket.in_(tickets))
            .order_by(
                ChargeTransaction.ticket, ChargeTransaction.date_of_post, ChargeTransaction.id
            )
        )
        return list(self.session.scalars(stmt))

    def all_tickets(self) -> set[str]:
        return set(self.session.scalars(select(ChargeTransaction.ticket).distinct()))

    #: Columns a charge search may sort by (the model's own attribute names).
    SORTABLE = (
        "ticket", "note", "patient_name", "original_charge_month", "site_code",
        "service_type", "cpt_code", "pay_code", "start_time", "stop_time", "date_of_service",
        "date_of_post", "ob_case_position", "split_percent", "anes_time_min",
        "anes_base_units", "med_base_units", "other_units", "charge_amount", "sub_pool",
        "points", "page",
    )  # fmt: skip

    def _filtered(self, stmt: Select, filters: ChargeFilters) -> Select:
        c = ChargeTransaction
        if filters.text:
            text = filters.text.strip()
            stmt = stmt.where(
                or_(
                    c.ticket.startswith(text), c.cpt_code == text, c.patient_name.ilike(f"%{text}%")
                )
            )
        for column, value in (
            (c.ticket, filters.ticket),
            (c.cpt_code, filters.cpt),
            (c.service_type, filters.service_type),
            (c.pay_code, filters.pay_code),
            (c.sub_pool, filters.pool),
            (c.note, filters.note),
            (c.packet_id, filters.packet_id),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        stmt = _between(stmt, c.date_of_service, filters.service_from, filters.service_to)
        stmt = _between(stmt, c.date_of_post, filters.post_from, filters.post_to)
        if filters.post_month:
            stmt = _between(stmt, c.date_of_post, *_month_bounds(filters.post_month))
        if filters.service_month:
            stmt = _between(stmt, c.date_of_service, *_month_bounds(filters.service_month))
        return stmt

    def distinct_values(self, column: str) -> list[str]:
        """The values a filter can take (service types, pay codes, pools, notes)."""
        attribute = getattr(ChargeTransaction, column)
        stmt = select(attribute).where(attribute.is_not(None)).distinct().order_by(attribute)
        return [value for value in self.session.scalars(stmt) if value != ""]

    def per_cpt(self, filters: ChargeFilters) -> list[dict[str, Any]]:
        """Per CPT code: lines, cases (tickets), minutes, units, charges, points."""
        c = ChargeTransaction
        stmt = self._filtered(
            select(
                c.cpt_code,
                func.count(c.id),
                func.count(func.distinct(c.ticket)),
                *(func.coalesce(func.sum(getattr(c, key)), 0.0) for key in SUMMED_COLUMNS),
            ),
            filters,
        ).group_by(c.cpt_code)
        keys = ("cpt_code", "lines", "cases", *SUMMED_COLUMNS)
        return [dict(zip(keys, row, strict=True)) for row in self.session.execute(stmt)]

    def count_without_points(self) -> int:
        stmt = select(func.count(ChargeTransaction.id)).where(ChargeTransaction.points.is_(None))
        return self.session.scalar(stmt) or 0

    def count(self) -> int:
        return self.session.scalar(select(func.count(ChargeTransaction.id))) or 0


class MasterCaseRepository(_Searchable):
    """Cases: one per ticket, with totals kept by the case grouper."""

    MODEL = MasterCase
    DEFAULT_SORT = "date_of_service"
    TIEBREAK = "ticket"
    COUNT_KEY = "cases"

    def _counts(self) -> list[tuple[str, Any]]:
        m = MasterCase
        return [("cases", func.count(m.id)), ("lines", func.coalesce(func.sum(m.line_count), 0))]

    def find_by_patient_ticket(self, ticket: str) -> MasterCase | None:
        return self.session.scalars(select(MasterCase).where(MasterCase.ticket == ticket)).first()

    def find_by_tickets(self, tickets: Iterable[str]) -> dict[str, MasterCase]:
        tickets = list(tickets)
        if not tickets:
            return {}
        stmt = select(MasterCase).where(MasterCase.ticket.in_(tickets))
        return {case.ticket: case for case in self.session.scalars(stmt)}

    def find_by_date_range(self, start: dt.date | None, end: dt.date | None) -> list[MasterCase]:
        stmt = select(MasterCase).order_by(MasterCase.date_of_service, MasterCase.ticket)
        if start:
            stmt = stmt.where(MasterCase.date_of_service >= start)
        if end:
            stmt = stmt.where(MasterCase.date_of_service <= end)
        return list(self.session.scalars(stmt))

    SORTABLE = (
        "ticket", "patient_name", "date_of_service", "first_start_time", "primary_cpt",
        "cpt_codes", "pay_code", "sub_pool", "line_count", "anes_time_min", "anes_base_units",
        "med_base_units", "other_units", "charge_amount", "points", "first_post_date",
        "last_post_date",
    )  # fmt: skip

    def _filtered(self, stmt: Select, filters: ChargeFilters) -> Select:
        m = MasterCase
        if filters.text:
            text = filters.text.strip()
            stmt = stmt.where(
                or_(
                    m.ticket.startswith(text),
                    m.cpt_codes.contains(text),
                    m.patient_name.ilike(f"%{text}%"),
                )
            )
        for column, value in (
            (m.ticket, filters.ticket),
            (m.pay_code, filters.pay_code),
            (m.sub_pool, filters.pool),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if filters.cpt:
            stmt = stmt.where(or_(m.primary_cpt == filters.cpt, m.cpt_codes.contains(filters.cpt)))
        stmt = _between(stmt, m.date_of_service, filters.service_from, filters.service_to)
        stmt = _between(stmt, m.first_post_date, filters.post_from, filters.post_to)
        if filters.service_month:
            stmt = _between(stmt, m.date_of_service, *_month_bounds(filters.service_month))
        if filters.post_month:
            stmt = _between(stmt, m.first_post_date, *_month_bounds(filters.post_month))
        return stmt

    def get_statistics(self, filters: dict[str, Any] | None = None) -> dict[str, float]:
        """Count and totals of the cases matching ``filters`` (``start``, ``end``, ``cpt``,
        ``pool``): sums only, no interpretation."""
        filters = filters or {}
        stmt = select(
            func.count(MasterCase.id),
            func.coalesce(func.sum(MasterCase.anes_time_min), 0.0),
            func.coalesce(func.sum(MasterCase.anes_base_units), 0.0),
            func.coalesce(func.sum(MasterCase.med_base_units), 0.0),
            func.coalesce(func.sum(MasterCase.other_units), 0.0),
            func.coalesce(func.sum(MasterCase.charge_amount), 0.0),
            func.coalesce(func.sum(MasterCase.points), 0.0),
        )
        if filters.get("start"):
            stmt = stmt.where(MasterCase.date_of_service >= filters["start"])
        if filters.get("end"):
            stmt = stmt.where(MasterCase.date_of_service <= filters["end"])
        if filters.get("cpt"):
            stmt = stmt.where(MasterCase.primary_cpt == filters["cpt"])
        if filters.get("pool"):
            stmt = stmt.where(MasterCase.sub_pool == filters["pool"])
        row = self.session.execute(stmt).one()
        keys = (
            "cases",
            "anes_time_min",
            "anes_base_units",
            "med_base_units",
            "other_units",
            "charge_amount",
            "points",
        )
        return dict(zip(keys, (float(v) for v in row), strict=True))

    def save(self, case: MasterCase) -> MasterCase:
        return self._add(case)

    def delete_tickets(self, tickets: Iterable[str]) -> int:
        tickets = list(tickets)
        if not tickets:
            return 0
        result = self.session.execute(delete(MasterCase).where(MasterCase.ticket.in_(tickets)))
        return result.rowcount or 0

    def all_tickets(self) -> set[str]:
        return set(self.session.scalars(select(MasterCase.ticket)))

    def count(self) -> int:
        return self.session.scalar(select(func.count(MasterCase.id))) or 0


class AsmgRuleRepository(_Repository):
    """Dated points multipliers."""

    def list_all(self) -> list[AsmgRule]:
        return list(self.session.scalars(select(AsmgRule).order_by(AsmgRule.effective_date)))

    def find_by_id(self, rule_id: int) -> AsmgRule | None:
        return self.session.get(AsmgRule, rule_id)

    def find_by_effective_date(self, effective_date: dt.date) -> AsmgRule | None:
        stmt = select(AsmgRule).where(AsmgRule.effective_date == effective_date)
        return self.session.scalars(stmt).first()

    def save(self, rule: AsmgRule) -> AsmgRule:
        return self._add(rule)

    def delete(self, rule_id: int) -> bool:
        return self._delete(AsmgRule, rule_id)

    def count(self) -> int:
        return self.session.scalar(select(func.count(AsmgRule.id))) or 0


class AuditLogRepository(_Repository):
    """The record of what changed the data."""

    def record(
        self,
        action_type: str,
        entity_type: str,
        entity_id: int,
        *,
        old_value: str | None = None,
        new_value: str | None = None,
        notes: str | None = None,
    ) -> AuditLog:
        return self._add(
            AuditLog(
                action_type=action_type,
                entity_type=entity_type,
                entity_id=entity_id,
                old_value=old_value,
                new_value=new_value,
                notes=notes,
            )
        )

    def recent(self, limit: int = 50) -> list[AuditLog]:
        stmt = select(AuditLog).order_by(AuditLog.timestamp.desc(), AuditLog.id.desc()).limit(limit)
        return list(self.session.scalars(stmt))


class UserCaseLogRepository(_Repository):
    """The physician's own case log."""

    def add_all(self, entries: Sequence[UserCaseLog]) -> None:
        self.session.add_all(entries)
        self.session.flush()

    def find_by_date_range(self, start: dt.date | None, end: dt.date | None) -> list[UserCaseLog]:
        stmt = select(UserCaseLog).order_by(UserCaseLog.case_date, UserCaseLog.id)
        if start:
            stmt = stmt.where(UserCaseLog.case_date >= start)
        if end:
            stmt = stmt.where(UserCaseLog.case_date <= end)
        return list(self.session.scalars(stmt))

    def count(self) -> int:
        return self.session.scalar(select(func.count(UserCaseLog.id))) or 0

    def delete_all(self) -> int:
        return self.session.execute(delete(UserCaseLog)).rowcount or 0


class ForecastSnapshotRepository(_Repository):
    """Forecasts as made, for accuracy tracking."""

    def save(self, snapshot: ForecastSnapshot) -> ForecastSnapshot:
        return self._add(snapshot)

    def list_all(self) -> list[ForecastSnapshot]:
        stmt = select(ForecastSnapshot).order_by(
            ForecastSnapshot.forecast_date, ForecastSnapshot.created_date
        )
        return list(self.session.scalars(stmt))


class ExportTemplateRepository(_Repository):
    """Named export recipes."""

    def list_all(self) -> list[ExportTemplate]:
        return list(self.session.scalars(select(ExportTemplate).order_by(ExportTemplate.name)))

    def find_by_name(self, name: str) -> ExportTemplate | None:
        stmt = select(ExportTemplate).where(ExportTemplate.name == name)
        return self.session.scalars(stmt).first()

    def save(self, template: ExportTemplate) -> ExportTemplate:
        return self._add(template)

    def delete(self, template_id: int) -> bool:
        return self._delete(ExportTemplate, template_id)


class PlannedTimeOffRepository(_Repository):
    """Weeks off the physician plans, by month."""

    def list_all(self) -> list[PlannedTimeOff]:
        return list(self.session.scalars(select(PlannedTimeOff).order_by(PlannedTimeOff.month)))

    def find_by_month(self, month: str) -> PlannedTimeOff | None:
        stmt = select(PlannedTimeOff).where(PlannedTimeOff.month == month)
        return self.session.scalars(stmt).first()

    def save(self, entry: PlannedTimeOff) -> PlannedTimeOff:
        return self._add(entry)

    def delete(self, entry_id: int) -> bool:
        return self._delete(PlannedTimeOff, entry_id)


class ExportLogRepository(_Repository):
    """Download history."""

    def save(self, entry: ExportLog) -> ExportLog:
        return self._add(entry)

    def recent(self, limit: int = 50) -> list[ExportLog]:
        stmt = select(ExportLog).order_by(ExportLog.export_date.desc(), ExportLog.id.desc())
        return list(self.session.scalars(stmt.limit(limit)))


class AuditRepository(_Repository):
    """What the billing audit reads and writes: charge lines with their packet's period,
    and the stored case-log rows by their content keys."""

    #: The charge-line columns the audit reads (rows, not ORM objects: several times faster).
    AUDIT_LINE_COLUMNS = (
        "ticket", "note", "patient_name", "service_type", "cpt_code", "start_time",
        "stop_time", "date_of_service", "date_of_post", "ob_case_position", "split_percent",
        "anes_time_min", "anes_base_units", "charge_amount", "sub_pool", "points", "page",
    )  # fmt: skip

    def charge_line_rows(self, start: dt.date | None, end: dt.date | None) -> list[Any]:
        """Rows with ``AUDIT_LINE_COLUMNS`` and ``period`` (the packet's) for lines whose date
        of service is in range, by ticket and date of post."""
        columns = [getattr(ChargeTransaction, name) for name in self.AUDIT_LINE_COLUMNS]
        stmt = (
            select(*columns, Packet.period)
            .join(Packet, Packet.id == ChargeTransaction.packet_id)
            .order_by(
                ChargeTransaction.ticket, ChargeTransaction.date_of_post, ChargeTransaction.id
            )
        )
        stmt = _between(stmt, ChargeTransaction.date_of_service, start, end)
        return core_rows(self.session, stmt)

    def anesthesia_units(self, start: dt.date, end: dt.date) -> list[Any]:
        """Per ticket with charged anesthesia lines served in range (``An`` lines that are
        not credits, negative charge or minutes, nor ``D`` reposts; each segment, same CPT,
        times and split, once: its first posting): ``ticket``, ``date_of_service`` (the
        earliest), ``cpt`` (of its first such line), ``units`` (their anesthesia base units
        summed) and ``shared`` (1 if one is an ``S`` line or an OB middle/end segment); by
        date of service and ticket. One aggregate query, for the audit's base-unit check."""
        line = ChargeTransaction
        order = (line.date_of_post, line.id)
        segment = (line.ticket, line.cpt_code, line.start_time, line.stop_time)
        charged = select(
            line.ticket,
            line.date_of_service,
            line.anes_base_units,
            func.first_value(line.cpt_code).over(partition_by=line.ticket, order_by=order),
            func.row_number()
            .over(partition_by=(*segment, line.split_percent), order_by=order)
            .label("copy"),
            line.note,
            line.ob_case_position,
        ).where(
            line.service_type == "An",
            func.coalesce(line.charge_amount, 0) >= 0,
            func.coalesce(line.anes_time_min, 0) >= 0,
            or_(line.note.is_(None), line.note != "D"),
        )
        charged = _between(charged, line.date_of_service, start, end).subquery()
        ticket, served, units, cpt, copy, note, ob_position = charged.c
        shared = or_(note == "S", ob_position.in_(("E", "M")))
        stmt = (
            select(
                ticket.label("ticket"),
                func.min(served).label("date_of_service"),
                func.min(cpt).label("cpt"),
                func.sum(func.coalesce(units, 0)).label("units"),
                func.count().filter(shared).label("shared"),
            )
            .where(copy == 1)
            .group_by(ticket)
            .order_by(func.min(served), ticket)
        )
        return core_rows(self.session, stmt)

    def service_dates(self, tickets: Iterable[str]) -> dict[str, dt.date | None]:
        """Each stored ticket's date of service (its first line's that has one)."""
        out: dict[str, dt.date | None] = {}
        wanted = sorted(set(tickets))
        for i in range(0, len(wanted), 500):
            stmt = (
                select(ChargeTransaction.ticket, ChargeTransaction.date_of_service)
                .where(ChargeTransaction.ticket.in_(wanted[i : i + 500]))
                .order_by(
                    ChargeTransaction.ticket, ChargeTransaction.date_of_post, ChargeTransaction.id
                )
            )
            for ticket, served in self.session.execute(stmt):
                if out.get(ticket) is None:
                    out[ticket] = served
        return out

    def median_case_points(self, start: dt.date, end: dt.date) -> dict[str, float]:
        """Median points of the cases served in range that have points, per primary CPT (one
        aggregate query: each CPT's middle case, or the mean of its two middle ones)."""
        by_cpt = {"partition_by": MasterCase.primary_cpt}
        ranked = select(
            MasterCase.primary_cpt.label("cpt"),
            MasterCase.points.label("points"),
            func.row_number().over(**by_cpt, order_by=MasterCase.points).label("rank"),
            func.count().over(**by_cpt).label("cases"),
        ).where(MasterCase.points > 0, MasterCase.primary_cpt.is_not(None))
        ranked = _between(ranked, MasterCase.date_of_service, start, end).subquery()
        middle = or_(
            ranked.c.rank == (ranked.c.cases + 1) // 2, ranked.c.rank == (ranked.c.cases + 2) // 2
        )
        stmt = select(ranked.c.cpt, func.avg(ranked.c.points)).where(middle).group_by(ranked.c.cpt)
        return {cpt: float(median) for cpt, median in self.session.execute(stmt) if cpt}

    def latest_post_date(self) -> dt.date | None:
        """The latest date of post of any stored line."""
        return self.session.scalar(select(func.max(ChargeTransaction.date_of_post)))

    def service_date_span(self) -> tuple[dt.date | None, dt.date | None]:
        """The first and last date of service of any stored line (two index look-ups)."""
        served = ChargeTransaction.date_of_service
        return (
            self.session.scalar(select(func.min(served))),
            self.session.scalar(select(func.max(served))),
        )

    def first_period(self) -> str | None:
        return self.session.scalar(select(func.min(Packet.period)))

    def last_period(self) -> str | None:
        return self.session.scalar(select(func.max(Packet.period)))

    def case_log_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of these row keys are stored already."""
        keys = list(keys)
        found: set[str] = set()
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            stmt = select(UserCaseLog.row_key).where(UserCaseLog.row_key.in_(chunk))
            found |= set(self.session.scalars(stmt))
        return found

    def case_log_span(self) -> tuple[dt.date | None, dt.date | None]:
        row = self.session.execute(
            select(func.min(UserCaseLog.case_date), func.max(UserCaseLog.case_date))
        ).one()
        return row[0], row[1]


class ForecastInputRepository(_Repository):
    """Charge points by pool and day, for the forecast's posting-backlog estimate."""

    def points_by_service_and_post_date(
        self, posted_from: dt.date | None = None
    ) -> list[tuple[str | None, Any, Any, float]]:
        """(sub pool, date of service, date of post, points) summed, oldest post first; with
        ``posted_from``, only lines posted on or after that day (the forecast reads a
        bounded window of recent months, not a whole career)."""
        stmt = (
            select(
                ChargeTransaction.sub_pool,
                ChargeTransaction.date_of_service,
                ChargeTransaction.date_of_post,
                func.coalesce(func.sum(ChargeTransaction.points), 0.0),
            )
            .where(
                ChargeTransaction.date_of_post.is_not(None),
                ChargeTransaction.date_of_service.is_not(None),
            )
            .group_by(
                ChargeTransaction.sub_pool,
                ChargeTransaction.date_of_service,
                ChargeTransaction.date_of_post,
            )
            .order_by(ChargeTransaction.date_of_post, ChargeTransaction.date_of_service)
        )
        if posted_from is not None:
            stmt = stmt.where(ChargeTransaction.date_of_post >= posted_from)
        return [tuple(row) for row in self.session.execute(stmt)]


class DataVersionRepository(_Repository):
    """A cheap fingerprint of the stored data: it changes whenever an import, a delete, a
    rules change or a case-log upload changes what the derived figures are computed from.
    Used as the key of cached figures (see ``analytics/cache.py``)."""

    def fingerprint(self) -> tuple[Any, ...]:
        """Counts and newest ids of the tables figures are derived from (one query)."""

        def tail(model: Any) -> list[Any]:
            return [
                select(func.count()).select_from(model).scalar_subquery(),
                select(func.max(model.id)).scalar_subquery(),
            ]

        stmt = select(
            *tail(Packet),
            select(func.max(Packet.imported_at)).scalar_subquery(),
            *tail(CheckResult),
            *tail(AsmgRule),
            select(
                func.sum(
                    AsmgRule.time_multiplier
                    + AsmgRule.anes_base_multiplier
                    + AsmgRule.med_base_multiplier
                )
            ).scalar_subquery(),
            select(func.max(AsmgRule.effective_date)).scalar_subquery(),
            *tail(UserCaseLog),
            # A log removed and another of as many rows stored gets the same ids again.
            select(func.max(UserCaseLog.created_at)).scalar_subquery(),
            *tail(PlannedTimeOff),
            select(func.sum(PlannedTimeOff.weeks)).scalar_subquery(),
        )
        return tuple(self.session.execute(stmt).one())


class PatientNameRepository(_Repository):
    """The patient names stored anywhere, so the logs can leave them out."""

    def all_names(self) -> set[str]:
        """Distinct names of charge lines, master cases and case-log rows (three queries)."""
        names: set[str] = set()
        for column in (
            ChargeTransaction.patient_name,
            MasterCase.patient_name,
            UserCaseLog.patient,
        ):
            stmt = select(column).where(column.is_not(None)).distinct()
            names.update(self.session.scalars(stmt))
        return names
