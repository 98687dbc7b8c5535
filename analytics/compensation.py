"""A pay period's figures, as the packet printed them, with where each one came from.

Every figure here is read from one packet section (never re-derived), so a page can
link it to the section it came from: the compensation report's section subtotals, the
payroll stub, and the F2 pages (points M, adjusted points N, rate O, pay S per pool).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from analytics.cache import cached
from analytics.periods import PeriodWindow, period_window
from data.models import CompensationLine, Packet
from data.reporting import PacketFiguresRepository
from data.repositories import MonthlySummaryRepository

CLINICAL = "Clinical Compensation Subject to Overhead"
ADMINISTRATIVE = "Administrative and Other Compensation Not Subject to Overhead"
TOTAL_COMPENSATION = "Total Compensation"
OVERHEAD = "Overhead"
DEDUCTIONS = "Deductions Before Taxes"
MEDICARE_INCOME = "Medicare Income"
W2_INCOME = "W-2 Income"
TAXES = "Employee Payroll Taxes Withheld"
AFTER_TAX_COMPENSATION = "After Tax Compensation"
AFTER_TAX_ITEMS = "After Tax Items"
NET_PAY = "Net Compensation/Net Pay"
GROSS_EARNINGS = "Gross Earnings"  # the payroll stub's line

#: Figure name -> (report section, human label). The figure is the section's subtotal,
#: or for a stand-alone total line, that line.
SECTION_FIGURES: dict[str, tuple[str, str]] = {
    "clinical_pay": (CLINICAL, "Clinical compensation"),
    "stipends": (ADMINISTRATIVE, "Stipends and other"),
    "total_compensation": (TOTAL_COMPENSATION, "Total compensation"),
    "overhead": (OVERHEAD, "Overhead"),
    "deductions": (DEDUCTIONS, "Deductions before taxes"),
    "w2_income": (W2_INCOME, "W-2 income"),
    "taxes": (TAXES, "Payroll taxes withheld"),
    "after_tax_items": (AFTER_TAX_ITEMS, "After-tax items"),
    "net_pay": (NET_PAY, "Net pay"),
}


@dataclass
class PoolFigures:
    """One F2 pool page's figures for the month."""

    pool: str
    name: str | None
    points: float | None  # M
    adjusted_points: float | None  # N
    rate: float | None  # O, $ per point
    pooled_points: float | None  # P
    total_allocation: float | None  # R
    prior_allocation: float | None  # Q
    pay: float | None  # S


@dataclass
class MonthFigures:
    """A pay period's figures: period-to-date in ``values``, year-to-date in ``ytd``."""

    period: str
    packet_id: int
    source_file: str
    pay_date: str | None
    values: dict[str, float | None] = field(default_factory=dict)
    ytd: dict[str, float | None] = field(default_factory=dict)
    gross_earnings: float | None = None
    gross_earnings_ytd: float | None = None
    pools: list[PoolFigures] = field(default_factory=list)
    all_pools: PoolFigures | None = None
    charge_lines: int = 0
    failed_checks: int = 0

    def get(self, name: str) -> float | None:
        return self.values.get(name)

    @property
    def clinical_by_pool(self) -> dict[str, float | None]:
        return {pool.pool: pool.pay for pool in self.pools}

    @property
    def points(self) -> float | None:
        return self.all_pools.points if self.all_pools else None


def section_figure(lines: Iterable[Any], section: str) -> Any:
    """The line that carries a section's figure: its subtotal, else its only labelled line
    (the stand-alone totals such as Total Compensation are their own section). ``lines`` are
    :class:`CompensationLine` objects or records with the same fields."""
    in_section = [line for line in lines if line.section == section]
    subtotal = next((line for line in in_section if line.subtotal), None)
    if subtotal is not None:
        return subtotal
    labelled = [line for line in in_section if line.label]
    return labelled[0] if len(labelled) == 1 else None


def month_figures(packet: Packet) -> MonthFigures:
    """Read one packet's figures (see the module docstring)."""
    return _figures(packet, packet.compensation_lines, packet.payroll_lines, packet.pool_reports)


def _figures(
    packet: Any, compensation: Iterable[Any], payroll: Iterable[Any], pages: Iterable[Any]
) -> MonthFigures:
    """A packet's figures from its compensation lines, payroll lines and F2 pages, given as
    ORM objects or as records with the same field names (the packet's id as ``id``)."""
    figures = MonthFigures(
        period=packet.period,
        packet_id=packet.id,
        source_file=packet.source_file,
        pay_date=packet.pay_date.isoformat() if packet.pay_date else None,
    )
    by_section: dict[str, list[Any]] = {}
    for line in compensation:
        by_section.setdefault(line.section, []).append(line)
    for name, (section, _label) in SECTION_FIGURES.items():
        line = section_figure(by_section.get(section, []), section)
        figures.values[name] = line.period_to_date if line else None
        figures.ytd[name] = line.year_to_date if line else None
    gross = next((line for line in payroll if line.label == GROSS_EARNINGS), None)
    if gross is not None:
        figures.gross_earnings, figures.gross_earnings_ytd = gross.current, gross.ytd
    for report in pages:
        pool = PoolFigures(
            pool=report.pool,
            name=report.name,
            points=report.points,
            adjusted_points=report.adjusted_points,
            rate=report.rate,
            pooled_points=report.pooled_points,
            total_allocation=report.total_allocation,
            prior_allocation=report.prior_allocation,
            pay=report.current_allocation,
        )
        if report.pool == "ALL":
            figures.all_pools = pool
        else:
            figures.pools.append(pool)
    return figures


def monthly_figures(
    session: Session, start: str | None = None, end: str | None = None
) -> list[MonthFigures]:
    """Figures of every stored pay period from ``start`` to ``end`` (``YYYY-MM``), oldest
    first, with each packet's charge-line and failed-check counts. Read once per data
    version (see ``analytics/cache.py``): the figures are shared, do not change them."""
    months = cached(session, "monthly_figures", lambda: read_monthly_figures(session))
    low, high = (start or "")[:7], (end or "9999-99")[:7]
    return [month for month in months if low <= month.period <= high]


def read_monthly_figures(
    session: Session, start: str | None = None, end: str | None = None
) -> list[MonthFigures]:
    """:func:`monthly_figures` of ``start``..``end`` read afresh (not cached): a page that
    needs one month (the dashboard's latest) reads that month alone."""
    repo = MonthlySummaryRepository(session)
    lines = repo.charge_line_counts(start, end)
    failed = repo.failed_check_counts(start, end)
    figures_repo = PacketFiguresRepository(session)
    sections = [section for section, _label in SECTION_FIGURES.values()]
    compensation = _by_packet(figures_repo.compensation_lines(sections, start, end))
    payroll = _by_packet(figures_repo.payroll_lines(GROSS_EARNINGS, start, end))
    pages = _by_packet(figures_repo.pool_pages(start, end))
    months = []
    for packet in figures_repo.packets(start, end):
        figures = _figures(
            packet,
            compensation.get(packet.id, []),
            payroll.get(packet.id, []),
            pages.get(packet.id, []),
        )
        figures.charge_lines = lines.get(packet.id, 0)
        figures.failed_checks = failed.get(packet.id, 0)
        months.append(figures)
    return months


def _by_packet(records: Iterable[Any]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = {}
    for record in records:
        grouped.setdefault(record.packet_id, []).append(record)
    return grouped


def stored_period_window(session: Session, params: Mapping[str, str]) -> PeriodWindow:
    """The pay periods a month-by-month page shows for these query parameters: the last
    few years of what is stored unless ``from``/``to`` or ``years`` say otherwise."""
    months = monthly_figures(session)
    return period_window(params, months[-1].period if months else None)


def pool_codes(months: list[MonthFigures]) -> list[str]:
    """Every pool seen in these months, in order of first appearance."""
    codes: list[str] = []
    for month in months:
        for pool in month.pools:
            if pool.pool not in codes:
                codes.append(pool.pool)
    return codes


# --------------------------------------------------------------------------- pages


def section_anchor(section: str) -> str:
    """The HTML id of a compensation-report section on the month page."""
    return "sec-" + "".join(ch if ch.isalnum() else "-" for ch in section.lower()).strip("-")


def compensation_rows(
    session: Session, start: str | None = None, end: str | None = None
) -> tuple[list[str], list[dict]]:
    """One row per pay period for the compensation page and its exports: the pool codes
    seen (for the per-pool clinical columns) and the rows, newest first."""
    months = monthly_figures(session, start, end)
    pools = pool_codes(months)
    rows = []
    for month in reversed(months):
        row: dict = {
            "period": month.period,
            "pay_date": month.pay_date,
            "points": month.points,
            "charge_lines": month.charge_lines,
            "failed_checks": month.failed_checks,
            "gross_earnings": month.gross_earnings,
        }
        row.update(month.values)
        for code in pools:
            row[f"pool_{code}"] = month.clinical_by_pool.get(code)
        row["ytd_total_compensation"] = month.ytd.get("total_compensation")
        row["ytd_net_pay"] = month.ytd.get("net_pay")
        rows.append(row)
    return pools, rows


@dataclass
class SectionView:
    """A compensation-report section as printed: its lines and its subtotal."""

    name: str
    anchor: str
    lines: list[CompensationLine]
    subtotal: CompensationLine | None


@dataclass
class PacketView:
    """Everything one packet says, part by part, for the month page."""

    packet: Packet
    figures: MonthFigures
    sections: list[SectionView]
    earnings: list
    deductions: list
    pools: list
    checks_packet: list
    checks_months: list

    @property
    def failed(self) -> int:
        return sum(1 for c in self.checks_packet + self.checks_months if not c.ok)


def packet_view(session: Session, period: str) -> PacketView | None:
    """The stored packet of pay period ``period`` with all its parts, or None."""
    repo = MonthlySummaryRepository(session)
    found = repo.find_by_period(period)
    if not found:
        return None
    packet = repo.load_full(found[-1].id)
    sections: list[SectionView] = []
    for line in packet.compensation_lines:
        if not sections or sections[-1].name != line.section:
            sections.append(SectionView(line.section, section_anchor(line.section), [], None))
        if line.subtotal:
            sections[-1].subtotal = line
        else:
            sections[-1].lines.append(line)
    figures = month_figures(packet)
    figures.charge_lines = len(packet.charges)
    checks = packet.check_results
    return PacketView(
        packet=packet,
        figures=figures,
        sections=sections,
        earnings=[line for line in packet.payroll_lines if line.side == "earnings"],
        deductions=[line for line in packet.payroll_lines if line.side == "deductions"],
        pools=list(packet.pool_reports),
        checks_packet=[c for c in checks if c.scope == "packet"],
        checks_months=[c for c in checks if c.scope != "packet"],
    )
