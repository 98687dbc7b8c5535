"""The dashboard's at-a-glance figures: what is imported and the latest month."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from analytics.cache import cached
from analytics.compensation import MonthFigures, read_monthly_figures
from data.reporting import PacketFiguresRepository
from data.repositories import ChargeFilters, ChargeTransactionRepository, MonthlySummaryRepository


@dataclass
class PacketRow:
    """One imported packet as the dashboard lists it."""

    id: int
    period: str
    source_file: str
    pay_date: str | None
    imported_at: str
    failed_checks: int
    charge_lines: int


@dataclass
class Overview:
    """Everything the dashboard shows; ``packets`` is empty before the first import."""

    packet_count: int
    latest_period: str | None
    packets: list[PacketRow] = field(default_factory=list)
    latest: MonthFigures | None = None
    latest_cases: int = 0  # tickets with lines posted in the latest pay period

    @property
    def is_empty(self) -> bool:
        return self.packet_count == 0

    def failing_before(self, newest: int) -> int:
        """How many packets older than the ``newest`` few have failed checks (the dashboard
        lists only the newest, and says how many older ones need a look)."""
        return sum(1 for row in self.packets[newest:] if row.failed_checks)

    def packet(self, packet_id: int) -> PacketRow | None:
        return next((row for row in self.packets if row.id == packet_id), None)


def build_overview(session: Session) -> Overview:
    """Imported packets, newest first, with how many of their cross-checks failed.
    Every page asks for it (is anything imported?), so it is read once per data version."""
    return cached(session, "overview", lambda: _read_overview(session))


def _read_overview(session: Session) -> Overview:
    # Every page pays for this the first time after an import: a few aggregate queries
    # and the latest month's figures alone, never all of them.
    repo = MonthlySummaryRepository(session)
    packets = PacketFiguresRepository(session).packets()
    failed = repo.failed_check_counts()
    lines = repo.charge_line_counts()
    rows = [
        PacketRow(
            id=p.id,
            period=p.period,
            source_file=p.source_file,
            pay_date=p.pay_date.isoformat() if p.pay_date else None,
            imported_at=p.imported_at.strftime("%Y-%m-%d %H:%M"),
            failed_checks=failed.get(p.id, 0),
            charge_lines=lines.get(p.id, 0),
        )
        for p in reversed(packets)
    ]
    overview = Overview(
        packet_count=len(rows),
        latest_period=rows[0].period if rows else None,
        packets=rows,
    )
    if overview.latest_period:
        (overview.latest,) = read_monthly_figures(
            session, overview.latest_period, overview.latest_period
        )[-1:]
        posted = ChargeTransactionRepository(session).search_totals(
            ChargeFilters(post_month=overview.latest_period)
        )
        overview.latest_cases = int(posted["tickets"])
    return overview
