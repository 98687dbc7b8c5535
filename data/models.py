"""SQLAlchemy models: everything a packet holds, plus the tables the app derives or keeps.

One ``Packet`` row is one imported PDF (one pay period). Every row read from the packet
hangs off it with ``ON DELETE CASCADE`` so deleting a packet removes exactly what it
brought. Column names follow the extraction JSON contract (docs/extraction-json.md) so
the loader can map fields one to one and a figure can be traced back to its packet line.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    """Naive UTC timestamp (SQLite has no time zones; all stored times are UTC)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Declarative base shared by every model and by Alembic's autogenerate."""


# --------------------------------------------------------------------------- packets


class Packet(Base):
    """One imported monthly packet: the pay period it covers and where it came from."""

    __tablename__ = "packets"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_file: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    physician_name: Mapped[str | None] = mapped_column(String(120))
    physician_number: Mapped[str | None] = mapped_column(String(20))
    period: Mapped[str] = mapped_column(String(7), index=True)  # "YYYY-MM", the pay period
    pay_date: Mapped[dt.date | None] = mapped_column(Date)
    page_count: Mapped[int | None] = mapped_column(Integer)
    expense_total: Mapped[float | None] = mapped_column(Float)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    payroll_lines: Mapped[list[PayrollLine]] = relationship(
        back_populates="packet", cascade="all, delete-orphan", order_by="PayrollLine.position"
    )
    compensation_lines: Mapped[list[CompensationLine]] = relationship(
        back_populates="packet", cascade="all, delete-orphan", order_by="CompensationLine.position"
    )
    charges: Mapped[list[ChargeTransaction]] = relationship(
        back_populates="packet", cascade="all, delete-orphan", order_by="ChargeTransaction.position"
    )
    charge_totals: Mapped[ChargeTotals | None] = relationship(
        back_populates="packet", cascade="all, delete-orphan"
    )
    pool_summaries: Mapped[list[PoolSummary]] = relationship(
        back_populates="packet", cascade="all, delete-orphan", order_by="PoolSummary.position"
    )
    pool_reports: Mapped[list[PoolReport]] = relationship(
        back_populates="packet", cascade="all, delete-orphan", order_by="PoolReport.position"
    )
    expense_lines: Mapped[list[ExpenseLine]] = relationship(
        back_populates="packet", cascade="all, delete-orphan", order_by="ExpenseLine.position"
    )
    check_results: Mapped[list[CheckResult]] = relationship(
        back_populates="packet", cascade="all, delete-orphan", order_by="CheckResult.id"
    )

    __table_args__ = (Index("ix_packets_physician_period", "physician_number", "period"),)


class PayrollLine(Base):
    """A label/amount line of the payroll stub, left (earnings) or right (deductions) table."""

    __tablename__ = "payroll_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    packet_id: Mapped[int] = mapped_column(ForeignKey("packets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    side: Mapped[str] = mapped_column(String(12))  # "earnings" | "deductions"
    label: Mapped[str] = mapped_column(String(120))
    current: Mapped[float | None] = mapped_column(Float)
    ytd: Mapped[float | None] = mapped_column(Float)

    packet: Mapped[Packet] = relationship(back_populates="payroll_lines")


class CompensationLine(Base):
    """A line of the physician compensation report; ``subtotal`` lines have no label."""

    __tablename__ = "compensation_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    packet_id: Mapped[int] = mapped_column(ForeignKey("packets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    section: Mapped[str] = mapped_column(String(120), index=True)
    label: Mapped[str | None] = mapped_column(String(120))
    period_to_date: Mapped[float | None] = mapped_column(Float)
    year_to_date: Mapped[float | None] = mapped_column(Float)
    subtotal: Mapped[bool] = mapped_column(Boolean, default=False)

    packet: Mapped[Packet] = relationship(back_populates="compensation_lines")


# --------------------------------------------------------------------------- F3 charges


class ChargeTransaction(Base):
    """One F3 charge line: all 29 printed columns, plus where it was printed."""

    __tablename__ = "charge_transactions"
    __table_args__ = (
        # Covers what the forecast and pay pipeline sum by service and posting day: read
        # from the index, not the wide rows (schema 0005).
        Index(
            "ix_charge_transactions_post_service_pool_points",
            "date_of_post",
            "date_of_service",
            "sub_pool",
            "points",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    packet_id: Mapped[int] = mapped_column(ForeignKey("packets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # order within the packet's F3
    page: Mapped[int | None] = mapped_column(Integer)  # 1-based page of the PDF file

    ticket: Mapped[str] = mapped_column(String(20), index=True)
    note: Mapped[str | None] = mapped_column(String(4), index=True)
    patient_name: Mapped[str | None] = mapped_column(String(200))
    original_charge_month: Mapped[str | None] = mapped_column(String(7))
    site_code: Mapped[str | None] = mapped_column(String(10))
    service_type: Mapped[str | None] = mapped_column(String(4), index=True)
    cpt_code: Mapped[str | None] = mapped_column(String(10), index=True)
    pay_code: Mapped[str | None] = mapped_column(String(20), index=True)
    start_time: Mapped[str | None] = mapped_column(String(5))
    stop_time: Mapped[str | None] = mapped_column(String(5))
    date_of_service: Mapped[dt.date | None] = mapped_column(Date, index=True)
    date_of_post: Mapped[dt.date | None] = mapped_column(Date, index=True)
    ob_case_position: Mapped[str | None] = mapped_column(String(4))
    split_percent: Mapped[float | None] = mapped_column(Float)
    anes_time_min: Mapped[float | None] = mapped_column(Float)
    anes_base_units: Mapped[float | None] = mapped_column(Float)
    med_base_units: Mapped[float | None] = mapped_column(Float)
    other_units: Mapped[float | None] = mapped_column(Float)
    charge_amount: Mapped[float | None] = mapped_column(Float)
    sub_pool: Mapped[str | None] = mapped_column(String(10), index=True)
    sub_pool_percent: Mapped[float | None] = mapped_column(Float)
    sub_pool_time_min: Mapped[float | None] = mapped_column(Float)
    sub_pool_anes_base: Mapped[float | None] = mapped_column(Float)
    sub_pool_med_base: Mapped[float | None] = mapped_column(Float)
    group_pool: Mapped[str | None] = mapped_column(String(10))
    group_pool_percent: Mapped[float | None] = mapped_column(Float)
    group_pool_time_min: Mapped[float | None] = mapped_column(Float)
    group_pool_anes_base: Mapped[float | None] = mapped_column(Float)
    group_pool_med_base: Mapped[float | None] = mapped_column(Float)
    # Derived, not printed: the line's points under the rules in force (kept by the case
    # grouper, recomputed when a rule changes) so pages can sum and drill down in SQL.
    points: Mapped[float | None] = mapped_column(Float)

    packet: Mapped[Packet] = relationship(back_populates="charges")


class ChargeTotals(Base):
    """The F3 printed totals line: the check that an extraction lost no line."""

    __tablename__ = "charge_totals"

    id: Mapped[int] = mapped_column(primary_key=True)
    packet_id: Mapped[int] = mapped_column(
        ForeignKey("packets.id", ondelete="CASCADE"), unique=True
    )
    anes_time_min: Mapped[float | None] = mapped_column(Float)
    anes_base_units: Mapped[float | None] = mapped_column(Float)
    med_base_units: Mapped[float | None] = mapped_column(Float)
    other_units: Mapped[float | None] = mapped_column(Float)
    charge_amount: Mapped[float | None] = mapped_column(Float)

    packet: Mapped[Packet] = relationship(back_populates="charge_totals")


class PoolSummary(Base):
    """A row of the per-pool summary printed at the end of the F3."""

    __tablename__ = "pool_summaries"

    id: Mapped[int] = mapped_column(primary_key=True)
    packet_id: Mapped[int] = mapped_column(ForeignKey("packets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    pool: Mapped[str] = mapped_column(String(10), index=True)
    name: Mapped[str | None] = mapped_column(String(120))
    anes_time_min: Mapped[float | None] = mapped_column(Float)
    anes_base_units: Mapped[float | None] = mapped_column(Float)
    med_base_units: Mapped[float | None] = mapped_column(Float)
    other_units: Mapped[float | None] = mapped_column(Float)

    packet: Mapped[Packet] = relationship(back_populates="pool_summaries")


# --------------------------------------------------------------------------- F2 pooling


class PoolReport(Base):
    """One F2 page: a pool's points and pay for the packet's month (``pool == 'ALL'`` for the
    all-pools page). Letters are the report's own: M, N, O, P, Q, R, S."""

    __tablename__ = "pool_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    packet_id: Mapped[int] = mapped_column(ForeignKey("packets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    pool: Mapped[str] = mapped_column(String(10), index=True)
    name: Mapped[str | None] = mapped_column(String(120))
    multiplier_time: Mapped[float | None] = mapped_column(Float)
    multiplier_anes_base: Mapped[float | None] = mapped_column(Float)
    multiplier_med_base: Mapped[float | None] = mapped_column(Float)
    points: Mapped[float | None] = mapped_column(Float)  # M
    adjusted_points: Mapped[float | None] = mapped_column(Float)  # N
    rate: Mapped[float | None] = mapped_column(Float)  # O, $ per point
    pooled_points: Mapped[float | None] = mapped_column(Float)  # P
    total_allocation: Mapped[float | None] = mapped_column(Float)  # R
    prior_allocation: Mapped[float | None] = mapped_column(Float)  # Q
    current_allocation: Mapped[float | None] = mapped_column(Float)  # S
    notes: Mapped[str | None] = mapped_column(Text)

    packet: Mapped[Packet] = relationship(back_populates="pool_reports")
    adjusted: Mapped[list[PoolAdjustedPoints]] = relationship(
        back_populates="pool_report",
        cascade="all, delete-orphan",
        order_by="PoolAdjustedPoints.month",
    )
    history: Mapped[list[PoolHistory]] = relationship(
        back_populates="pool_report", cascade="all, delete-orphan", order_by="PoolHistory.month"
    )
    prior_allocations: Mapped[list[PoolPriorAllocation]] = relationship(
        back_populates="pool_report",
        cascade="all, delete-orphan",
        order_by="PoolPriorAllocation.month",
    )


class PoolAdjustedPoints(Base):
    """F2 Section 2: one month's points, its weight and its weighted (adjusted) points."""

    __tablename__ = "pool_adjusted_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_report_id: Mapped[int] = mapped_column(
        ForeignKey("pool_reports.id", ondelete="CASCADE"), index=True
    )
    month: Mapped[str] = mapped_column(String(7))
    points: Mapped[float | None] = mapped_column(Float)
    weight: Mapped[float | None] = mapped_column(Float)
    adjusted: Mapped[float | None] = mapped_column(Float)

    pool_report: Mapped[PoolReport] = relationship(back_populates="adjusted")


class PoolHistory(Base):
    """F2 Section 3: one of the last twelve months' adjusted points and pooled rate."""

    __tablename__ = "pool_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_report_id: Mapped[int] = mapped_column(
        ForeignKey("pool_reports.id", ondelete="CASCADE"), index=True
    )
    month: Mapped[str] = mapped_column(String(7))
    rate: Mapped[float | None] = mapped_column(Float)
    adjusted_points: Mapped[float | None] = mapped_column(Float)

    pool_report: Mapped[PoolReport] = relationship(back_populates="history")


class PoolPriorAllocation(Base):
    """F2 Section 4: what the pool paid in one of the previous eleven months."""

    __tablename__ = "pool_prior_allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_report_id: Mapped[int] = mapped_column(
        ForeignKey("pool_reports.id", ondelete="CASCADE"), index=True
    )
    month: Mapped[str] = mapped_column(String(7))
    amount: Mapped[float | None] = mapped_column(Float)

    pool_report: Mapped[PoolReport] = relationship(back_populates="prior_allocations")


# --------------------------------------------------------------------------- expenses, checks


class ExpenseLine(Base):
    """A line of the physician business and medical expense report."""

    __tablename__ = "expense_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    packet_id: Mapped[int] = mapped_column(ForeignKey("packets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    reimb: Mapped[str | None] = mapped_column(String(60))
    date: Mapped[dt.date | None] = mapped_column(Date)
    invoice: Mapped[str | None] = mapped_column(String(60))
    description: Mapped[str | None] = mapped_column(String(200))
    vendor: Mapped[str | None] = mapped_column(String(120))
    amount: Mapped[float | None] = mapped_column(Float)

    packet: Mapped[Packet] = relationship(back_populates="expense_lines")


class CheckResult(Base):
    """A cross-check computed for a packet: inside the packet, or against other months."""

    __tablename__ = "check_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    packet_id: Mapped[int] = mapped_column(ForeignKey("packets.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(20), default="packet")  # "packet" | "across_months"
    name: Mapped[str] = mapped_column(String(120))
    ok: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[str | None] = mapped_column(Text)

    packet: Mapped[Packet] = relationship(back_populates="check_results")


# --------------------------------------------------------------------------- derived


class MasterCase(Base):
    """A case (one ticket) with totals over all its lines across packets, and its points."""

    __tablename__ = "master_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket: Mapped[str] = mapped_column(String(20), unique=True)
    patient_name: Mapped[str | None] = mapped_column(String(200))
    date_of_service: Mapped[dt.date | None] = mapped_column(Date, index=True)
    first_start_time: Mapped[str | None] = mapped_column(String(5))
    cpt_codes: Mapped[str | None] = mapped_column(String(200))  # comma-separated, in line order
    primary_cpt: Mapped[str | None] = mapped_column(String(10), index=True)
    pay_code: Mapped[str | None] = mapped_column(String(20))
    sub_pool: Mapped[str | None] = mapped_column(String(10), index=True)
    line_count: Mapped[int] = mapped_column(Integer, default=0)
    anes_time_min: Mapped[float] = mapped_column(Float, default=0.0)
    anes_base_units: Mapped[float] = mapped_column(Float, default=0.0)
    med_base_units: Mapped[float] = mapped_column(Float, default=0.0)
    other_units: Mapped[float] = mapped_column(Float, default=0.0)
    charge_amount: Mapped[float] = mapped_column(Float, default=0.0)
    points: Mapped[float] = mapped_column(Float, default=0.0)
    first_post_date: Mapped[dt.date | None] = mapped_column(Date)
    last_post_date: Mapped[dt.date | None] = mapped_column(Date)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    # The cases page's default order (date of service, then ticket) read straight from an
    # index: its last page no longer sorts every case (schema 0004).
    __table_args__ = (Index("ix_master_cases_service_ticket", "date_of_service", "ticket"),)


class AsmgRule(Base):
    """Points multipliers in force from ``effective_date`` until the next rule's date."""

    __tablename__ = "asmg_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    effective_date: Mapped[dt.date] = mapped_column(Date, unique=True)
    time_multiplier: Mapped[float] = mapped_column(Float)  # points per anesthesia minute
    anes_base_multiplier: Mapped[float] = mapped_column(Float)  # points per anes base unit
    med_base_multiplier: Mapped[float] = mapped_column(Float)  # points per medical base unit
    description: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


# --------------------------------------------------------------------------- design's new tables


class UserCaseLog(Base):
    """The physician's own record of a case, to check billing against (design §2)."""

    __tablename__ = "user_case_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_date: Mapped[dt.date] = mapped_column(Date, index=True)
    patient_ticket: Mapped[str | None] = mapped_column(String(20), index=True)
    cpt_codes: Mapped[str | None] = mapped_column(String(200))  # comma-separated
    notes: Mapped[str | None] = mapped_column(Text)
    verified_in_billing: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # Added in schema 0003 (billing audit):
    start_time: Mapped[str | None] = mapped_column(String(5))
    stop_time: Mapped[str | None] = mapped_column(String(5))
    patient: Mapped[str | None] = mapped_column(String(200))  # initials or name: private
    source_file: Mapped[str | None] = mapped_column(String(255))
    row_number: Mapped[int | None] = mapped_column(Integer)
    row_key: Mapped[str | None] = mapped_column(String(64))  # re-upload dedupe (unique)
    matched_ticket: Mapped[str | None] = mapped_column(String(20), index=True)
    match_reason: Mapped[str | None] = mapped_column(String(200))
    match_confidence: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (UniqueConstraint("row_key", name="uq_user_case_log_row_key"),)


class AuditLog(Base):
    """What changed the data, and when: imports, replacements, deletes, rule changes."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    timestamp: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    action_type: Mapped[str] = mapped_column(String(20))  # insert | update | delete
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(Integer)
    old_value: Mapped[str | None] = mapped_column(Text)  # JSON snapshot
    new_value: Mapped[str | None] = mapped_column(Text)  # JSON snapshot
    notes: Mapped[str | None] = mapped_column(Text)


class ForecastSnapshot(Base):
    """A forecast as it was made, kept so its accuracy can be measured once actuals arrive."""

    __tablename__ = "forecast_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_date: Mapped[dt.date] = mapped_column(Date)
    forecast_date: Mapped[dt.date] = mapped_column(Date, index=True)
    predicted_amount: Mapped[float] = mapped_column(Float)
    actual_amount: Mapped[float | None] = mapped_column(Float)
    confidence_level: Mapped[float | None] = mapped_column(Float)
    model_used: Mapped[str | None] = mapped_column(String(40))
    # Added in schema 0003 (forecasting): what was forecast and its intervals.
    horizon: Mapped[int | None] = mapped_column(Integer)  # months ahead of the origin
    metric: Mapped[str | None] = mapped_column(String(40))  # e.g. clinical_pay, net_pay
    pool: Mapped[str | None] = mapped_column(String(10))  # None: all pools
    lower_80: Mapped[float | None] = mapped_column(Float)
    upper_80: Mapped[float | None] = mapped_column(Float)
    lower_95: Mapped[float | None] = mapped_column(Float)
    upper_95: Mapped[float | None] = mapped_column(Float)


class ExportLog(Base):
    """Download history: what was exported, when, and how big the file was."""

    __tablename__ = "export_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    export_date: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    export_type: Mapped[str] = mapped_column(String(10))  # csv | excel | pdf
    entity_type: Mapped[str] = mapped_column(String(40))
    date_range_start: Mapped[dt.date | None] = mapped_column(Date)
    date_range_end: Mapped[dt.date | None] = mapped_column(Date)
    filename: Mapped[str] = mapped_column(String(255))
    file_size: Mapped[int | None] = mapped_column(Integer)
    # Added in schema 0003: the template used, and where a kept file is (scheduled exports).
    template_name: Mapped[str | None] = mapped_column(String(80))
    stored_path: Mapped[str | None] = mapped_column(String(500))


class ExportTemplate(Base):
    """A named, user-editable export recipe (the design's ``tax_prep``, ``billing_audit``)."""

    __tablename__ = "export_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str | None] = mapped_column(String(300))
    export_format: Mapped[str] = mapped_column(String(10))  # csv | excel | pdf
    entity_type: Mapped[str] = mapped_column(String(40))
    fields: Mapped[str | None] = mapped_column(Text)  # JSON list of field keys
    sections: Mapped[str | None] = mapped_column(Text)  # JSON list (sheets / report parts)
    date_range: Mapped[str | None] = mapped_column(String(40))  # "2024", "2024-01:2024-06", "all"
    include_names: Mapped[bool] = mapped_column(Boolean, default=False)
    built_in: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class PlannedTimeOff(Base):
    """Weeks the physician plans not to work, entered once and used by every forecast."""

    __tablename__ = "planned_time_off"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), unique=True)  # "YYYY-MM"
    weeks: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(String(200))


__all__ = [
    "AsmgRule",
    "AuditLog",
    "Base",
    "ChargeTotals",
    "ChargeTransaction",
    "CheckResult",
    "CompensationLine",
    "ExpenseLine",
    "ExportLog",
    "ExportTemplate",
    "ForecastSnapshot",
    "MasterCase",
    "Packet",
    "PayrollLine",
    "PlannedTimeOff",
    "PoolAdjustedPoints",
    "PoolHistory",
    "PoolPriorAllocation",
    "PoolReport",
    "PoolSummary",
    "UserCaseLog",
]
