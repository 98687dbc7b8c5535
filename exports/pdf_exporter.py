"""PDF reports with reportlab: a title block, tables that run over pages with their
header repeated, charts drawn by matplotlib (the same PNGs as the analysis page), and
"page N of M" with the generation date on every page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import (
    Image,
    KeepTogether,
    LongTable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from analytics.analysis import Chart
from analytics.browse import Column
from exports.charts import chart_png
from exports.service import DateRange, ExportData, ExportTable, entity_data

NUMERIC = ("money", "points", "number", "int", "percent")
HEADER_BLUE = colors.HexColor("#1F5F8B")
_STYLES = getSampleStyleSheet()
TITLE = ParagraphStyle("ReportTitle", parent=_STYLES["Title"], alignment=0, spaceAfter=4)
SUBTITLE = ParagraphStyle("Sub", parent=_STYLES["Normal"], textColor=colors.HexColor("#555555"))
HEADING = ParagraphStyle("H2", parent=_STYLES["Heading2"], spaceBefore=10, spaceAfter=4)
NOTE = ParagraphStyle("Note", parent=_STYLES["Normal"], fontSize=8, textColor=colors.grey)
CELL = ParagraphStyle("Cell", parent=_STYLES["Normal"], fontSize=7, leading=8.5)
HEAD_CELL = ParagraphStyle(
    "HeadCell", parent=CELL, textColor=colors.white, fontName="Helvetica-Bold"
)


def format_value(value: Any, kind: str) -> str:
    """A value as the pages show it: $1,234.56, 1,234.50, 1,234, 12.3%."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, int | float) or isinstance(value, bool):
        return str(value)
    if kind == "money":
        return f"-${abs(value):,.2f}" if value < 0 else f"${value:,.2f}"
    if kind == "int":
        return f"{value:,.0f}"
    if kind == "percent":
        return f"{value:,.1f}%"
    if kind in ("points", "number"):
        return f"{value:,.2f}"
    return str(value)


class _NumberedDoc(SimpleDocTemplate):
    """A document that prints "Page N of M" (M known after a first pass)."""

    def __init__(self, filename: str, title: str, generated: dt.datetime, **kw: Any) -> None:
        super().__init__(filename, title=title, author="Compensation analysis", **kw)
        self.report_title = title
        self.generated = generated
        self.page_total = 0

    def footer(self, canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.grey)
        width, _height = self.pagesize
        y = 0.4 * inch
        canvas.drawString(
            self.leftMargin,
            y,
            f"{self.report_title}  ·  generated on {self.generated:%Y-%m-%d %H:%M}",
        )
        total = f" of {self.page_total}" if self.page_total else ""
        canvas.drawRightString(width - self.rightMargin, y, f"Page {doc.page}{total}")
        canvas.restoreState()


def _build(path: Path, title: str, generated: dt.datetime, story_factory: Any, wide: bool) -> Path:
    """Lay the story out twice: the first pass counts pages for "of M"."""
    pagesize = landscape(letter) if wide else letter
    margins = {
        "leftMargin": 0.5 * inch,
        "rightMargin": 0.5 * inch,
        "topMargin": 0.5 * inch,
        "bottomMargin": 0.7 * inch,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    counter = _NumberedDoc(str(path), title, generated, pagesize=pagesize, **margins)
    counter.build(story_factory(), onFirstPage=counter.footer, onLaterPages=counter.footer)
    doc = _NumberedDoc(str(path), title, generated, pagesize=pagesize, **margins)
    doc.page_total = counter.page
    doc.build(story_factory(), onFirstPage=doc.footer, onLaterPages=doc.footer)
    return path


def title_block(title: str, date_range: DateRange, generated: dt.datetime, extra: str = "") -> list:
    lines = f"Date range: {date_range.text} &nbsp;·&nbsp; generated on {generated:%Y-%m-%d %H:%M}"
    block: list[Flowable] = [Paragraph(title, TITLE), Paragraph(lines, SUBTITLE)]
    if extra:
        block.append(Paragraph(extra, SUBTITLE))
    block.append(Spacer(1, 10))
    return block


def key_figures(summary: Sequence[tuple[str, Any, str]]) -> list:
    """The key figures as a two-column table."""
    if not summary:
        return []
    rows = [[label, format_value(value, kind)] for label, value, kind in summary]
    table = LongTable(rows, colWidths=[2.8 * inch, 1.8 * inch], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 9),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
            ]
        )
    )
    return [table, Spacer(1, 8)]


def data_table(table: ExportTable, available_width: float) -> list:
    """A table over as many pages as it needs, its header row repeated on each."""
    columns: list[Column] = table.columns
    flow: list[Flowable] = [Paragraph(table.title, HEADING)]
    if table.note:
        flow.append(Paragraph(table.note, NOTE))
    if not table.rows:
        flow.append(Paragraph("Nothing in this range.", _STYLES["Normal"]))
        return flow
    header = [Paragraph(c.label, HEAD_CELL) for c in columns]
    body = [[format_value(row.get(c.key), c.kind) for c in columns] for row in table.rows]
    data = [header, *body]
    if table.sums:
        data.append(
            [
                "Total" if i == 0 else format_value(table.sums.get(c.key), c.kind)
                for i, c in enumerate(columns)
            ]
        )
    weights = _column_weights(columns, body)
    unit = available_width / sum(weights)
    grid = LongTable(data, colWidths=[w * unit for w in weights], repeatRows=1)
    style = [
        ("FONT", (0, 1), (-1, -1), "Helvetica", 7),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BLUE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#F2F6F9")]),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, HEADER_BLUE),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
    for index, column in enumerate(columns):
        if column.kind in NUMERIC:
            style.append(("ALIGN", (index, 1), (index, -1), "RIGHT"))
    if table.sums:
        style += [
            ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 7),
            ("LINEABOVE", (0, -1), (-1, -1), 0.75, colors.black),
            ("BACKGROUND", (0, -1), (-1, -1), colors.white),
        ]
    grid.setStyle(TableStyle(style))
    flow.append(grid)
    return flow


def _column_weights(columns: list[Column], body: list[list[str]]) -> list[float]:
    """Column widths in proportion to their longest text (the first 300 rows, and the
    longest word of the heading, which may wrap), within 3 to 40 characters."""
    sample = body[:300]
    weights = []
    for index, column in enumerate(columns):
        longest = max((len(row[index]) for row in sample), default=0)
        word = max((len(w) for w in column.label.split()), default=1)
        weights.append(min(40, max(3, longest, word * 1.2)) + 1.5)
    return weights


def chart_image(chart: Chart, width: float) -> list:
    """A chart as the analysis page's matplotlib PNG, scaled to ``width``."""
    if chart.empty:
        return [Paragraph(f"{chart.title}: no data in this range.", _STYLES["Normal"])]
    import io

    png = chart_png(chart, width=10, height=4.2, dpi=100)
    image = Image(io.BytesIO(png), width=width, height=width * 0.42)
    return [KeepTogether([image, Spacer(1, 6)])]


class PDFExporter:
    """Professional PDF reports from :class:`ExportData` and the design's report methods."""

    def __init__(self, session: Any = None) -> None:
        self.session = session  # for the design's methods that fetch their own data

    def export(self, data: ExportData, filepath: str | Path, *, charts_first: bool = True) -> Path:
        """Title block, key figures, charts, then every table (landscape when wide)."""
        wide = any(len(t.columns) > 8 for t in data.tables)
        width = (landscape(letter) if wide else letter)[0] - inch
        names = "Patient names included (asked for)." if data.include_names else ""

        def story() -> list:
            flow = title_block(data.title, data.date_range, data.generated, names)
            flow += key_figures(data.summary)
            if charts_first:
                for chart in data.charts:
                    flow += chart_image(chart, min(width, 9.5 * inch))
            for table in data.tables:
                flow += data_table(table, width)
            return flow

        return _build(Path(filepath), data.title, data.generated, story, wide)

    # ------------------------------------------------------------------ design's reports

    def generate_asmg_report(self, case_data: DateRange | str | None, filepath: str | Path) -> Path:
        """The ASMG points report of a range: F3 totals per posting month and pool, the
        printed F2 M beside them, and a chart."""
        return self.export(entity_data(self.session, "points", case_data), filepath)

    def generate_audit_report(self, audit_results: ExportData, filepath: str | Path) -> Path:
        """A billing audit: its sections (expected cases, billed cases, discrepancies) as
        tables, the key figures first."""
        return self.export(audit_results, filepath, charts_first=True)

    def generate_monthly_summary(self, month: int, year: int, filepath: str | Path) -> Path:
        """One pay period: pay with YTD, per-pool F2 figures, postings, cases served and
        points earned not yet paid (analytics.reports.monthly_summary)."""
        from exports.monthly import monthly_summary_data

        if self.session is None:
            raise ValueError("the exporter needs a session to fetch its data")
        data = monthly_summary_data(self.session, f"{year:04d}-{month:02d}")
        return self.export(data, filepath)
