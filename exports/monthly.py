"""The monthly summary report and its scheduled generation after a month is imported.

``monthly_summary_data`` turns :func:`analytics.reports.monthly_summary` into an
:class:`ExportData` (pay with YTD, the F2 pools, postings, cases served, points not yet
paid). ``generate_after_import`` writes that PDF into the export folder and records it
in ExportLog with its stored path, so the Exports page lists and serves it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from analytics.analysis import Chart, Series
from analytics.browse import Column
from analytics.compensation import SECTION_FIGURES, monthly_figures
from analytics.reports import monthly_summary
from data.db import session_scope
from exports.service import DateRange, ExportData, ExportError, ExportTable, record_export

log = logging.getLogger(__name__)

SCHEDULED_TEMPLATE = "monthly_summary (automatic)"


def monthly_summary_data(session: Session, period: str) -> ExportData:
    """The pay period ``period``'s summary as export data; ExportError if not imported."""
    summary = monthly_summary(session, period)
    if summary is None:
        raise ExportError(f"No packet for the pay period {period} is imported.")
    pay_rows = [
        {"figure": label, "month": summary.pay.get(key), "ytd": summary.pay_ytd.get(key)}
        for key, (_section, label) in SECTION_FIGURES.items()
    ]
    pay_rows.insert(
        0,
        {
            "figure": "Gross earnings (payroll stub)",
            "month": summary.gross_earnings,
            "ytd": summary.gross_earnings_ytd,
        },
    )
    pay = ExportTable(
        "Pay",
        [
            Column("figure", "Figure"),
            Column("month", "Period to date", "money"),
            Column("ytd", "Year to date", "money"),
        ],
        pay_rows,
        {},
        "As printed in the compensation report and the payroll stub.",
    )
    pools = ExportTable(
        "F2 pools",
        [
            Column("pool", "Pool"),
            Column("name", "Name"),
            Column("points", "Points M", "points"),
            Column("adjusted_points", "Adjusted N", "points"),
            Column("rate", "Rate O ($/pt)", "money"),
            Column("pooled_points", "Pooled P", "points"),
            Column("total_allocation", "Total R", "money"),
            Column("prior_allocation", "Prior Q", "money"),
            Column("pay", "Current S (pay)", "money"),
        ],
        summary.pools,
        {},
        "Pooled Compensation Report (F2), one row per pool; ALL is the all-pools page.",
    )
    work = ExportTable(
        "Postings and cases",
        [
            Column("what", "What"),
            Column("count", "Lines / cases", "int"),
            Column("anes_time_min", "Minutes", "int"),
            Column("points", "Points", "points"),
            Column("charge_amount", "Charges", "money"),
        ],
        [
            {
                "what": "Charge lines posted in the period",
                "count": summary.posted.get("lines"),
                **{k: summary.posted.get(k) for k in ("anes_time_min", "points", "charge_amount")},
            },
            {
                "what": "Cases served in the month",
                "count": summary.served.get("cases"),
                **{k: summary.served.get(k) for k in ("anes_time_min", "points", "charge_amount")},
            },
        ],
        {},
        "Posted: F3 lines of this packet. Served: cases with a date of service in the month.",
    )
    tables = [pay, pools, work]
    if summary.failed_checks:
        tables.append(
            ExportTable(
                "Failed cross-checks",
                [Column("scope", "Scope"), Column("name", "Check"), Column("detail", "Detail")],
                summary.failed_checks,
            )
        )
    year = monthly_figures(session, f"{period[:4]}-01", period)
    chart = Chart(
        "year_pay",
        f"Pay in {period[:4]} through {period}",
        "How does this month compare with the year so far?",
        "bar",
        "Pay period",
        [f.period for f in year],
        [
            Series("Total compensation", [f.values.get("total_compensation") for f in year]),
            Series("Net pay", [f.values.get("net_pay") for f in year]),
        ],
        "money",
        "Dollars",
    )
    pending = summary.earned_not_yet_paid
    key = [
        ("Pay date", summary.pay_date or "", "text"),
        ("Total compensation", summary.pay.get("total_compensation"), "money"),
        ("Net pay", summary.pay.get("net_pay"), "money"),
        ("Net pay, year to date", summary.pay_ytd.get("net_pay"), "money"),
        ("Points posted (M)", summary.posted.get("points"), "points"),
        ("Points earned, not yet paid", pending.get("points"), "points"),
        ("Their estimated value", pending.get("estimated_value"), "money"),
        ("Failed cross-checks", len(summary.failed_checks), "int"),
    ]
    data = ExportData(
        "monthly_summary",
        f"Monthly summary, pay period {period}",
        DateRange(period, period),
        tables,
        [chart],
        key,
    )
    return data


def export_dir_for(database_url: str, configured: str | Path | None = None) -> Path:
    """Where kept exports go: the configured folder, else ``exports/`` beside the
    SQLite database (so each database keeps its own), else ``instance/exports``."""
    if configured:
        return Path(configured)
    from data.db import INSTANCE_DIR, sqlite_path

    path = sqlite_path(database_url)
    return (path.parent if path else Path(INSTANCE_DIR)) / "exports"


def generate_after_import(
    factory: sessionmaker[Session], period: str, export_dir: Path
) -> Path | None:
    """Write the monthly summary PDF of ``period`` and record it in ExportLog. Returns
    its path, or None when it could not be made (logged; the import itself stands)."""
    from exports.pdf_exporter import PDFExporter

    name = f"monthly_summary-{period}.pdf"
    path = Path(export_dir) / name
    try:
        with session_scope(factory) as session:
            data = monthly_summary_data(session, period)
            PDFExporter(session).export(data, path)
            record_export(
                session,
                data,
                "pdf",
                name,
                path.stat().st_size,
                template=SCHEDULED_TEMPLATE,
                stored_path=path,
            )
    except (OSError, ExportError) as error:
        log.warning("Monthly summary for %s not generated: %s", period, type(error).__name__)
        return None
    return path


def generate_missing(factory: sessionmaker[Session], export_dir: Path) -> int:
    """Make the monthly summary of every imported month that has no kept one (the
    Exports page's button, for months imported before scheduling, e.g. by the CLI)."""
    from data.repositories import ExportLogRepository

    with session_scope(factory) as session:
        periods = [f.period for f in monthly_figures(session)]
        kept = {
            entry.filename
            for entry in ExportLogRepository(session).recent(100_000)
            if entry.stored_path and Path(entry.stored_path).is_file()
        }
    made = 0
    for period in periods:
        if f"monthly_summary-{period}.pdf" not in kept:
            made += generate_after_import(factory, period, export_dir) is not None
    return made


def summary_after_cli_import(
    factory: sessionmaker[Session], periods: list[str], database_url: str
) -> Path | None:
    """The command-line import's share of the schedule: the monthly summary of the newest
    month it stored (older ones: the Exports page's button). ``EXPORT_DIR`` may name the
    folder, as for the app."""
    import os

    if not periods:
        return None
    folder = export_dir_for(database_url, os.environ.get("EXPORT_DIR"))
    return generate_after_import(factory, max(periods), folder)
