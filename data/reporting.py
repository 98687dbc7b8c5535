"""Reporting queries for the analytics engine: filter, group and sum, nothing more.

Kept apart from ``data/repositories.py`` (the app's CRUD queries) because these are
read-only aggregates: charge lines and cases summed by month, CPT, pool and payer, the
F2 figures of every stored packet, and the ticket sequence. Rows come back as plain
dicts so the analytics layer never touches ORM objects. Month buckets use SQLite's
``strftime`` (the app's database is SQLite). Which rows count as a case, which month a
figure belongs to and every other rule is the caller's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Integer,
    Row,
    Select,
    String,
    case,
    cast,
    func,
    literal,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from data.models import (
    ChargeTransaction,
    CheckResult,
    CompensationLine,
    MasterCase,
    Packet,
    PayrollLine,
    PoolAdjustedPoints,
    PoolReport,
)
from data.repositories import in_periods

#: Bucket name -> strftime format (SQLite). Weeks and quarters are rolled up from days
#: by the caller, since SQLite has no ISO week or quarter format everywhere.
DATE_FORMATS = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}

_CHARGE_SUMS = {
    "anes_time_min": ChargeTransaction.anes_time_min,
    "anes_base_units": ChargeTransaction.anes_base_units,
    "med_base_units": ChargeTransaction.med_base_units,
    "other_units": ChargeTransaction.other_units,
    "charge_amount": ChargeTransaction.charge_amount,
    "points": ChargeTransaction.points,
}
_CASE_SUMS = {
    "anes_time_min": MasterCase.anes_time_min,
    "anes_base_units": MasterCase.anes_base_units,
    "med_base_units": MasterCase.med_base_units,
    "other_units": MasterCase.other_units,
    "charge_amount": MasterCase.charge_amount,
    "points": MasterCase.points,
}


def _rows(session: Session, stmt: Select) -> list[dict[str, Any]]:
    """The rows as dicts by column name (zipped with the names once read: a fifth of the
    time of a mapping per row, on the 75,000 tickets of an audit's ticket sequence)."""
    result = session.connection().execute(stmt)  # plain Core rows: see core_rows
    names = tuple(result.keys())
    return [dict(zip(names, row, strict=True)) for row in result.all()]


class _DateText(FunctionElement):
    """A date as ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` text in SQL: SQLite's ``strftime``,
    PostgreSQL's ``to_char`` (a group's database, see README). The pattern is one of
    :data:`DATE_FORMATS` and is written into the SQL, so GROUP BY repeats the same text."""

    type = String()
    inherit_cache = True


_PG_FORMATS = {"%Y-%m-%d": "YYYY-MM-DD", "%Y-%m": "YYYY-MM", "%Y": "YYYY"}


@compiles(_DateText)
def _date_text_sqlite(element: _DateText, compiler: Any, **kw: Any) -> str:
    pattern, column = list(element.clauses)
    return f"strftime('{pattern.value}', {compiler.process(column, **kw)})"


@compiles(_DateText, "postgresql")
def _date_text_postgresql(element: _DateText, compiler: Any, **kw: Any) -> str:
    pattern, column = list(element.clauses)
    return f"to_char({compiler.process(column, **kw)}, '{_PG_FORMATS[pattern.value]}')"


def _sql_expression(name: str, type_: Any, sqlite: str, postgresql: str) -> type:
    """A SQL expression element written from a template per database (``{0}``, ``{1}``:
    its arguments), for what SQLite and PostgreSQL spell differently."""
    element = type(name, (FunctionElement,), {"type": type_, "inherit_cache": True})

    def writer(template: str) -> Callable[..., str]:
        def write(element: FunctionElement, compiler: Any, **kw: Any) -> str:
            return template.format(*(compiler.process(arg, **kw) for arg in element.clauses))

        return write

    compiles(element)(writer(sqlite))
    compiles(element, "postgresql")(writer(postgresql))
    return element


#: Whole days from the first date to the second (dates without a time).
_DaysBetween = _sql_expression(
    "_DaysBetween",
    Integer(),
    sqlite="CAST(round(julianday({1}) - julianday({0})) AS INTEGER)",
    postgresql="({1} - {0})",
)
#: True for text made of digits only (a ticket number).
_AllDigits = _sql_expression(
    "_AllDigits",
    Boolean(),
    sqlite="({0} != '' AND {0} NOT GLOB '*[^0-9]*')",
    postgresql="({0} ~ '^[0-9]+$')",
)


def _lag(column: Any, order: tuple[Any, ...]) -> ColumnElement:
    """The row before's ``column`` in ``order`` (typed like the column: dates stay dates)."""
    return func.lag(column, type_=column.type).over(order_by=order)


def _bucket(column: Any, bucket: str) -> ColumnElement:
    return _DateText(literal(DATE_FORMATS[bucket]), column)


def _in_range(stmt: Select, column: Any, start: dt.date | None, end: dt.date | None) -> Select:
    if start is not None:
        stmt = stmt.where(column >= start)
    if end is not None:
        stmt = stmt.where(column <= end)
    return stmt


def _pick_date(by: str, post: Any, service: Any) -> Any:
    if by not in ("post", "service"):
        raise ValueError(f"by must be 'service' or 'post', not {by!r}")
    return post if by == "post" else service


def _grouped(
    date_column: Any,
    groups: dict[str, Any],
    sums: dict[str, Any],
    counts: list[Any],
    group_by: list[str],
    start: dt.date | None,
    end: dt.date | None,
) -> Select:
    """SELECT the ``group_by`` keys (date buckets or ``groups`` columns), ``counts`` and the
    ``sums``, within the date range, grouped and ordered by the keys."""
    keys: list[Any] = []
    for name in group_by:
        column = _bucket(date_column, name) if name in DATE_FORMATS else groups[name]
        keys.append(column.label(name))
    totals = [func.coalesce(func.sum(col), 0.0).label(name) for name, col in sums.items()]
    stmt = _in_range(select(*keys, *counts, *totals), date_column, start, end)
    if keys:
        stmt = stmt.group_by(*keys).order_by(*keys)
    return stmt


class ChargeReportingRepository:
    """F3 charge lines summed by month of service or of post, and by line attributes."""

    GROUPS = {
        "pool": ChargeTransaction.sub_pool,
        "service_type": ChargeTransaction.service_type,
        "cpt": ChargeTransaction.cpt_code,
        "payer": ChargeTransaction.pay_code,
    }

    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def date_column(by: str) -> Any:
        """``by="post"``: date of post; ``by="service"``: date of service."""
        return _pick_date(by, ChargeTransaction.date_of_post, ChargeTransaction.date_of_service)

    def totals(
        self,
        group_by: list[str],
        *,
        by: str = "post",
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> list[dict[str, Any]]:
        """Sums of minutes, units, charges and points, line and distinct-ticket counts,
        grouped by any of ``day``/``month``/``year`` (of ``by``'s date) and ``pool``,
        ``service_type``, ``cpt``, ``payer``."""
        counts = [
            func.count(ChargeTransaction.id).label("lines"),
            func.count(func.distinct(ChargeTransaction.ticket)).label("tickets"),
        ]
        stmt = _grouped(
            self.date_column(by), self.GROUPS, _CHARGE_SUMS, counts, group_by, start, end
        )
        return _rows(self.session, stmt)

    def points_by_service_and_post_month(
        self,
        posted_from: dt.date | None = None,
        *,
        since: dt.date | None = None,
        until: dt.date | None = None,
    ) -> list[dict[str, Any]]:
        """Line points by pool, month of service and month of post (the pay pipeline's
        service-month view); with ``posted_from``, only lines posted on or after that day;
        with ``since``, only lines served or posted on or after it; with ``until``, only
        lines posted on or before it."""
        service = _bucket(ChargeTransaction.date_of_service, "month").label("service_month")
        post = _bucket(ChargeTransaction.date_of_post, "month").label("post_month")
        pool = ChargeTransaction.sub_pool.label("pool")
        stmt = (
            select(
                pool,
                service,
                post,
                func.coalesce(func.sum(ChargeTransaction.points), 0.0).label("points"),
                func.count(ChargeTransaction.id).label("lines"),
            )
            .where(ChargeTransaction.date_of_post.is_not(None))
            .group_by(pool, service, post)
            .order_by(pool, service, post)
        )
        if posted_from is not None:
            stmt = stmt.where(ChargeTransaction.date_of_post >= posted_from)
        if since is not None:
            stmt = stmt.where(
                (ChargeTransaction.date_of_service >= since)
                | (ChargeTransaction.date_of_post >= since)
            )
        if until is not None:
            stmt = stmt.where(ChargeTransaction.date_of_post <= until)
        return _rows(self.session, stmt)

    def last_post_date(self) -> dt.date | None:
        """The newest date of post of any line."""
        return self.session.scalar(select(func.max(ChargeTransaction.date_of_post)))

    def first_posting_lags(
        self,
        *,
        by: str = "post",
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> list[dict[str, Any]]:
        """How many tickets' first posting came how many days after their date of service,
        by month: one row per ``month`` (of that first date of post, or with ``by="service"``
        of the date of service), ``lag_days``, whether that posting has charge lines
        (``charges``) and credit lines (``credits``), with the count of ``tickets``. A
        ticket's first posting is its earliest date of post among lines with both dates;
        its date of service is the earliest of that posting's lines. Only first postings
        whose ``by`` date lies within ``start``..``end`` are counted (those tickets are read
        alone). One aggregate in SQL: the result has a row per month and lag, not per line."""
        c = ChargeTransaction
        amount = c.charge_amount
        postings = select(
            c.ticket,
            c.date_of_post,
            func.min(c.date_of_service).label("date_of_service"),
            func.sum(case((amount > 0, 1), else_=0)).label("charge_lines"),
            func.sum(case((amount < 0, 1), else_=0)).label("credit_lines"),
            func.row_number().over(partition_by=c.ticket, order_by=c.date_of_post).label("nth"),
        ).where(c.date_of_post.is_not(None), c.date_of_service.is_not(None))
        date_column = self.date_column(by)
        if start is not None or end is not None:
            postings = postings.where(
                c.ticket.in_(_in_range(select(c.ticket), date_column, start, end))
            )
        first = postings.group_by(c.ticket, c.date_of_post).subquery()
        when = first.c.date_of_post if by == "post" else first.c.date_of_service
        month = _bucket(when, "month").label("month")
        lag = _DaysBetween(first.c.date_of_service, first.c.date_of_post).label("lag_days")
        charges = (first.c.charge_lines > 0).label("charges")
        credits = (first.c.credit_lines > 0).label("credits")
        stmt = _in_range(
            select(month, lag, charges, credits, func.count().label("tickets")).where(
                first.c.nth == 1
            ),
            when,
            start,
            end,
        )
        stmt = stmt.group_by(month, lag, charges, credits).order_by(month, lag)
        return [
            {**row, "charges": bool(row["charges"]), "credits": bool(row["credits"])}
            for row in _rows(self.session, stmt)
        ]

    def lines(self, filters: dict[str, Any]) -> list[ChargeTransaction]:
        """The lines behind an aggregate (drill-down): ``by``, ``start``, ``end``, any of the
        group keys and ``ticket`` as equality filters, ``ticket_from``..``ticket_to``
        inclusive, ``packet_id``."""
        return list(self.session.scalars(self._lines_statement(filters)))

    def lines_page(
        self, filters: dict[str, Any], offset: int, limit: int
    ) -> tuple[list[ChargeTransaction], dict[str, float]]:
        """One page of :meth:`lines` (same filters and order) and, over every matching
        line, ``lines`` (the count) and the sums of minutes, units, charges and points."""
        stmt = self._lines_statement(filters)
        rows = list(self.session.scalars(stmt.offset(offset).limit(limit)))
        matching = stmt.order_by(None).subquery()
        totals = select(
            func.count().label("lines"),
            *[func.coalesce(func.sum(matching.c[name]), 0.0).label(name) for name in _CHARGE_SUMS],
        )
        sums = {k: float(v) for k, v in self.session.execute(totals).one()._mapping.items()}
        return rows, sums

    def _lines_statement(self, filters: dict[str, Any]) -> Select:
        date_column = self.date_column(filters.get("by", "post"))
        stmt = select(ChargeTransaction).order_by(
            date_column, ChargeTransaction.ticket, ChargeTransaction.position
        )
        stmt = _in_range(stmt, date_column, filters.get("start"), filters.get("end"))
        for name, column in self.GROUPS.items():
            if filters.get(name) is not None:
                stmt = stmt.where(column == filters[name])
        for key, condition in (
            ("ticket", ChargeTransaction.ticket.__eq__),
            ("ticket_from", ChargeTransaction.ticket.__ge__),
            ("ticket_to", ChargeTransaction.ticket.__le__),
            ("packet_id", ChargeTransaction.packet_id.__eq__),
        ):
            if filters.get(key) is not None:
                stmt = stmt.where(condition(filters[key]))
        return stmt


class CaseReportingRepository:
    """Master cases (one per ticket) summed by date of service or of first post."""

    GROUPS = {
        "cpt": MasterCase.primary_cpt,
        "pool": MasterCase.sub_pool,
        "payer": MasterCase.pay_code,
    }

    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def date_column(by: str) -> Any:
        """``by="service"``: date of service; ``by="post"``: the case's first date of post."""
        return _pick_date(by, MasterCase.first_post_date, MasterCase.date_of_service)

    def totals(
        self,
        group_by: list[str],
        *,
        by: str = "service",
        start: dt.date | None = None,
        end: dt.date | None = None,
        min_points: float | None = None,
        min_minutes: float | None = None,
    ) -> list[dict[str, Any]]:
        """Case count and sums grouped by ``day``/``month``/``year`` and ``cpt``, ``pool``,
        ``payer``; only cases with more than ``min_points`` points and more than
        ``min_minutes`` minutes when given."""
        counts = [func.count(MasterCase.id).label("cases")]
        stmt = _grouped(self.date_column(by), self.GROUPS, _CASE_SUMS, counts, group_by, start, end)
        if min_points is not None:
            stmt = stmt.where(MasterCase.points > min_points)
        if min_minutes is not None:
            stmt = stmt.where(MasterCase.anes_time_min > min_minutes)
        return _rows(self.session, stmt)

    def minutes_of_cases(
        self,
        *,
        by: str = "service",
        start: dt.date | None = None,
        end: dt.date | None = None,
        min_minutes: float = 0.0,
    ) -> list[float]:
        """Anesthesia minutes of each case with more than ``min_minutes`` (for medians)."""
        date_column = self.date_column(by)
        stmt = select(MasterCase.anes_time_min).where(MasterCase.anes_time_min > min_minutes)
        stmt = _in_range(stmt, date_column, start, end).order_by(MasterCase.anes_time_min)
        return [float(v) for v in self.session.scalars(stmt)]

    def ticket_sequence(
        self, served_from: dt.date | None = None, served_to: dt.date | None = None
    ) -> list[dict[str, Any]]:
        """Every ticket (served from ``served_from`` to ``served_to``, when given) with its
        date of service and first date of post, by ticket (no more: an audit's window
        reads 75,000 of them, and each date is parsed in Python)."""
        stmt = select(
            MasterCase.ticket,
            MasterCase.date_of_service,
            MasterCase.first_post_date,
        ).order_by(MasterCase.ticket)
        stmt = _in_range(stmt, MasterCase.date_of_service, served_from, served_to)
        return _rows(self.session, stmt)

    def numbered_ticket_span(self) -> dict[str, Any]:
        """Over tickets that are numbers: the earliest and latest first date of post."""
        m = MasterCase
        stmt = select(
            func.min(m.first_post_date).label("first_post"),
            func.max(m.first_post_date).label("last_post"),
        ).where(_AllDigits(m.ticket))
        return _rows(self.session, stmt)[0]

    def first_numbered_ticket_served_from(self, day: dt.date | None) -> str | None:
        """The lowest-numbered ticket (a number) served on or after ``day`` (None: any)."""
        m = MasterCase
        stmt = _in_range(select(m.ticket).where(_AllDigits(m.ticket)), m.date_of_service, day, None)
        return self.session.scalar(stmt.order_by(cast(m.ticket, BigInteger)).limit(1))

    def ticket_number_gaps(self, from_ticket: str | None = None) -> list[dict[str, Any]]:
        """Neighbouring tickets (numbers, in numeric order, from ``from_ticket`` on) whose
        numbers differ by more than one: ``ticket``, ``date_of_service``, ``next_ticket``,
        ``next_date_of_service`` and ``later_first_post``, the earliest first date of post
        of every higher ticket. Found in SQL (window
        functions), so only the gaps come back, not every case."""
        m = MasterCase
        number = cast(m.ticket, BigInteger)
        # Highest number first: the row before is the next higher ticket, and the rows
        # before it are every higher ticket (one sort serves both windows).
        order = (number.desc(),)
        neighbours = select(
            m.ticket,
            number.label("number"),
            m.date_of_service,
            _lag(m.ticket, order).label("next_ticket"),
            _lag(number, order).label("next_number"),
            _lag(m.date_of_service, order).label("next_date_of_service"),
            func.min(m.first_post_date)
            .over(order_by=order, rows=(None, -1))
            .label("later_first_post"),
        ).where(_AllDigits(m.ticket))
        if from_ticket is not None:
            neighbours = neighbours.where(number >= cast(literal(from_ticket), BigInteger))
        rows = neighbours.subquery()
        stmt = (
            select(
                rows.c.ticket,
                rows.c.date_of_service,
                rows.c.next_ticket,
                rows.c.next_date_of_service,
                rows.c.later_first_post,
            )
            .where(rows.c.next_number - rows.c.number > 1)
            .order_by(rows.c.number)
        )
        return _rows(self.session, stmt)

    def cases(self, filters: dict[str, Any]) -> list[MasterCase]:
        """The cases behind an aggregate (drill-down): ``by``, ``start``, ``end``, any of
        ``cpt``, ``pool``, ``payer`` as equality filters, and ``min_points``."""
        date_column = self.date_column(filters.get("by", "service"))
        stmt = select(MasterCase).order_by(date_column, MasterCase.ticket)
        stmt = _in_range(stmt, date_column, filters.get("start"), filters.get("end"))
        for name, column in self.GROUPS.items():
            if filters.get(name) is not None:
                stmt = stmt.where(column == filters[name])
        if filters.get("min_points") is not None:
            stmt = stmt.where(MasterCase.points > filters["min_points"])
        return list(self.session.scalars(stmt))


def _pool_pages(start: str | None = None, end: str | None = None) -> Select:
    """Every F2 page of the packets of ``start``..``end`` with its packet's period."""
    stmt = (
        select(
            Packet.period,
            Packet.id.label("packet_id"),
            PoolReport.pool,
            PoolReport.name,
            PoolReport.points,
            PoolReport.adjusted_points,
            PoolReport.rate,
            PoolReport.pooled_points,
            PoolReport.total_allocation,
            PoolReport.prior_allocation,
            PoolReport.current_allocation,
            PoolReport.multiplier_time,
            PoolReport.multiplier_anes_base,
            PoolReport.multiplier_med_base,
        )
        .join(PoolReport, PoolReport.packet_id == Packet.id)
        .order_by(Packet.period, Packet.id, PoolReport.position)
    )
    return in_periods(stmt, start, end)


class PacketFiguresRepository:
    """The printed pay figures of the packets of a range of pay periods, as read-only
    records (named tuples: ``row.period``), a few queries in all rather than one object
    per stored line: the month-by-month figures read tens of thousands of lines."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _records(self, stmt: Select) -> list[Row]:
        # Plain Core rows through the session's connection: no ORM result processing.
        return list(self.session.connection().execute(stmt))

    def packets(self, start: str | None = None, end: str | None = None) -> list[Row]:
        """``id``, ``period``, ``source_file``, ``pay_date``, ``imported_at`` of each
        packet, by period then id."""
        stmt = select(
            Packet.id, Packet.period, Packet.source_file, Packet.pay_date, Packet.imported_at
        ).order_by(Packet.period, Packet.id)
        return self._records(in_periods(stmt, start, end))

    def compensation_lines(
        self, sections: list[str], start: str | None = None, end: str | None = None
    ) -> list[Row]:
        """The compensation-report lines of ``sections`` that carry a label or are a
        subtotal (``packet_id``, ``section``, ``label``, ``subtotal``, ``period_to_date``,
        ``year_to_date``), by packet and printed order."""
        c = CompensationLine
        stmt = (
            select(c.packet_id, c.section, c.label, c.subtotal, c.period_to_date, c.year_to_date)
            .join(Packet, Packet.id == c.packet_id)
            .where(
                c.section.in_(sections), (c.subtotal.is_(True)) | (func.coalesce(c.label, "") != "")
            )
            .order_by(c.packet_id, c.position)
        )
        return self._records(in_periods(stmt, start, end))

    def payroll_lines(
        self, label: str, start: str | None = None, end: str | None = None
    ) -> list[Row]:
        """The payroll-stub lines labelled ``label`` (``packet_id``, ``label``, ``current``,
        ``ytd``), by packet and printed order."""
        p = PayrollLine
        stmt = (
            select(p.packet_id, p.label, p.current, p.ytd)
            .join(Packet, Packet.id == p.packet_id)
            .where(p.label == label)
            .order_by(p.packet_id, p.position)
        )
        return self._records(in_periods(stmt, start, end))

    def pool_pages(self, start: str | None = None, end: str | None = None) -> list[Row]:
        """The F2 pages (as :meth:`PoolReportingRepository.pool_figures`) of the range."""
        return self._records(_pool_pages(start, end))


class PoolReportingRepository:
    """The F2 figures of every stored packet, as flat rows."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def latest_period(self) -> str | None:
        """The newest pay period of a packet with F2 pages."""
        stmt = select(func.max(Packet.period)).join(PoolReport, PoolReport.packet_id == Packet.id)
        return self.session.scalar(stmt)

    def pool_figures(self) -> list[dict[str, Any]]:
        """One row per packet and F2 page: period, packet id, pool, M, N, O, P, R, Q, S and
        the printed multipliers, oldest period first."""
        return _rows(self.session, _pool_pages())

    def adjusted_rows(self) -> list[dict[str, Any]]:
        """Every F2 Section 2 row: the packet's period and pool, the month it repeats, its
        points, weight and weighted part."""
        stmt = (
            select(
                Packet.period,
                Packet.id.label("packet_id"),
                PoolReport.pool,
                PoolAdjustedPoints.month,
                PoolAdjustedPoints.points,
                PoolAdjustedPoints.weight,
                PoolAdjustedPoints.adjusted,
            )
            .join(PoolReport, PoolReport.packet_id == Packet.id)
            .join(PoolAdjustedPoints, PoolAdjustedPoints.pool_report_id == PoolReport.id)
            .order_by(Packet.period, Packet.id, PoolReport.position, PoolAdjustedPoints.month)
        )
        return _rows(self.session, stmt)


class CheckReportingRepository:
    """Failed cross-checks with the period of their packet."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def failed(self) -> list[dict[str, Any]]:
        stmt = (
            select(
                Packet.period,
                Packet.id.label("packet_id"),
                Packet.source_file,
                CheckResult.scope,
                CheckResult.name,
                CheckResult.detail,
            )
            .join(CheckResult, CheckResult.packet_id == Packet.id)
            .where(CheckResult.ok.is_(False))
            .order_by(Packet.period, Packet.id, CheckResult.id)
        )
        return _rows(self.session, stmt)
