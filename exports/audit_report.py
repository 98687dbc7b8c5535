"""The billing-audit report for the billing company: PDF, Excel and CSV bytes.

Each finding carries what a dispute needs to cite it: the ticket, the date of service,
the CPT codes, the packet (pay period) and the page of its PDF, and the row of the case
log. Patient names are left out unless the user ticks to include them. No Flask, no SQL:
the rows come from ``analytics.audit.AuditReport.report_rows``.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from typing import Any, Protocol

from analytics.audit import KIND_LABELS, KINDS, REPORT_COLUMNS
from exports.csv_exporter import rows_to_csv

FORMATS = ("pdf", "xlsx", "csv")
#: Findings per table in the PDF (each table repeats the header over its pages).
PDF_TABLE_ROWS = 200
MIMETYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}


class _Report(Protocol):
    start: Any
    end: Any
    log_rows: int
    billed_cases: int
    matches: list
    expected: dict

    def counts(self) -> dict[str, int]: ...

    def report_rows(self, include_names: bool = False) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Column:
    key: str
    label: str


def columns(include_names: bool = False) -> list[Column]:
    """The report's columns, in order (the patient only when asked)."""
    cols = [Column(key, label) for key, label in REPORT_COLUMNS]
    if include_names:
        cols.insert(2, Column("patient", "Patient"))
    return cols


def _money(value: float) -> str:
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def summary_lines(report: _Report) -> list[tuple[str, str]]:
    """The report's header facts, as (label, value) pairs."""
    lines = [
        ("Dates of service audited", f"{report.start} to {report.end}"),
        ("Cases in the case log", str(report.log_rows)),
        ("Cases billed in those dates", str(report.billed_cases)),
        ("Logged cases matched to billing", str(len(report.matches))),
    ]
    lines += [(KIND_LABELS[k], str(n)) for k, n in report.counts().items() if n]
    for name, income in report.expected.items():
        label = {"mismatches": "Mismatched cases"}.get(name, KIND_LABELS.get(name, name))
        lines.append((f"{label}: worth", f"{income.points:,.2f} points, {_money(income.dollars)}"))
    return lines


def audit_csv(report: _Report, include_names: bool = False) -> bytes:
    return rows_to_csv(columns(include_names), report.report_rows(include_names))


def audit_xlsx(report: _Report, include_names: bool = False) -> bytes:
    """A workbook: Summary, then Findings (one row per finding, filterable)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    summary.append(["Billing audit"])
    summary["A1"].font = Font(bold=True, size=14)
    for label, value in summary_lines(report):
        summary.append([label, value])
    summary.column_dimensions["A"].width = 40
    summary.column_dimensions["B"].width = 40

    sheet = book.create_sheet("Findings")
    cols = columns(include_names)
    sheet.append([c.label for c in cols])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in report.report_rows(include_names):
        sheet.append([row.get(c.key, "") for c in cols])
    widths = {"detail": 90, "what": 30, "cpt_codes": 16, "date_of_service": 14}
    for index, col in enumerate(cols, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = widths.get(col.key, 12)
        if col.key == "detail":
            for cell in sheet[letter][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def audit_pdf(report: _Report, include_names: bool = False) -> bytes:
    """A landscape PDF: the summary, then the findings grouped by kind, each with its
    ticket, date of service, CPT codes, packet, page and detail."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import landscape, letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=7.5, leading=9)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(letter),
        leftMargin=0.5 * inch,
        rightMargin=0.5 * inch,
        topMargin=0.5 * inch,
        bottomMargin=0.5 * inch,
        title="Billing audit",
        invariant=1,
    )
    story: list[Any] = [
        Paragraph("Billing audit: case log against billed charges", styles["Title"]),
        Table(
            [[label, value] for label, value in summary_lines(report)],
            colWidths=[3.2 * inch, 4 * inch],
            style=TableStyle([("FONTSIZE", (0, 0), (-1, -1), 9)]),
            hAlign="LEFT",
        ),
        Spacer(1, 10),
    ]
    rows = report.report_rows(include_names)
    by_kind = Counter(row["kind"] for row in rows)
    head = ["Ticket", "Date of service", "CPT codes", "Packet", "Page", "Log row", "Detail"]
    widths = [0.8, 0.85, 0.9, 0.6, 0.45, 0.55, 5.85]
    if include_names:
        head.insert(1, "Patient")
        widths = [0.8, 1.2, 0.85, 0.9, 0.6, 0.45, 0.55, 4.65]
    for kind in KINDS:
        if not by_kind[kind]:
            continue
        story.append(Paragraph(f"{escape(KIND_LABELS[kind])} ({by_kind[kind]})", styles["h3"]))
        data: list[list[Any]] = []
        for row in rows:
            if row["kind"] != kind:
                continue
            cells = [
                row["ticket"],
                row["date_of_service"],
                row["cpt_codes"],
                row["period"],
                row["page"],
                row["log_row"],
                Paragraph(escape(str(row["detail"])), small),
            ]
            if include_names:
                cells.insert(1, Paragraph(escape(str(row.get("patient", ""))), small))
            data.append(cells)
        style = TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), 7.5),
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf3")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
        # Tables of PDF_TABLE_ROWS rows, each with the header: reportlab splits a long table
        # page by page over all its remaining rows (8,000 findings took 3 s, 100,000 minutes).
        sizes = [w * inch for w in widths]
        for first in range(0, len(data), PDF_TABLE_ROWS):
            chunk = [head, *data[first : first + PDF_TABLE_ROWS]]
            story.append(Table(chunk, colWidths=sizes, repeatRows=1, hAlign="LEFT", style=style))
        story.append(Spacer(1, 8))
    if not rows:
        story.append(Paragraph("No findings: every logged case was billed as logged.", small))
    doc.build(story)
    return buffer.getvalue()


def audit_report_bytes(report: _Report, fmt: str, include_names: bool = False) -> bytes:
    """The report in ``fmt`` (pdf, xlsx or csv)."""
    builders = {"pdf": audit_pdf, "xlsx": audit_xlsx, "csv": audit_csv}
    if fmt not in builders:
        raise ValueError(f"unknown report format '{fmt}': use pdf, xlsx or csv")
    return builders[fmt](report, include_names)
