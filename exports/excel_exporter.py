"""Excel workbooks: a summary sheet, one formatted sheet per table, native Excel charts.

Written with openpyxl in write-only mode (rows stream to the file, so 45,000 charge
lines take seconds and little memory): styled header, number and date formats per
column kind, frozen header, filter, column widths, a totals row, and charts made of
Excel chart objects (openpyxl.chart) over cells of the Charts sheet, not pictures.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from analytics.analysis import Chart
from analytics.browse import Column
from exports.service import ExportData, ExportTable, entity_data

NUMBER_FORMATS = {
    "money": '"$"#,##0.00;-"$"#,##0.00',
    "points": "#,##0.00",
    "number": "#,##0.00",
    "int": "#,##0",
    "date": "yyyy-mm-dd",
    "percent": '0.0"%"',
}
WIDTHS = {"money": 14, "points": 12, "number": 11, "int": 10, "date": 12, "percent": 11}
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F5F8B")
TOTAL_FONT = Font(bold=True)
TOTAL_BORDER = Border(top=Side(style="thin"))
TITLE_FONT = Font(bold=True, size=14)
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _date_value(value: Any) -> Any:
    """ISO date strings become dates, so Excel shows and sorts them as dates."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


class ExcelExporter:
    """Writes :class:`ExportData` (or the design's ``data_dict``) to ``.xlsx`` files."""

    def __init__(self, session: Any = None) -> None:
        self.session = session  # only for the design's convenience methods
        self._workbook: Workbook | None = None
        self._sheet_names: set[str] = set()
        self._pending: dict[str, _PendingRows] = {}

    # ------------------------------------------------------------------ public

    def export(self, data: ExportData, filepath: str | Path) -> Path:
        """The whole export: Summary, one sheet per table, Charts (native charts)."""
        parts: dict[str, Any] = {"Summary": data}
        for table in data.tables:
            parts[table.sheet or table.title] = table
        if data.charts:
            parts["Charts"] = data.charts
        return self.export_workbook(parts, filepath)

    def export_workbook(self, data_dict: Mapping[str, Any], filepath: str | Path) -> Path:
        """A multi-sheet workbook, one sheet per entry, in order. A value may be an
        :class:`ExportData` (its summary sheet), an :class:`ExportTable`, a list of row
        dicts, a :class:`Chart` or a list of charts (a Charts sheet)."""
        self._workbook = Workbook(write_only=True)
        self._sheet_names = set()
        self._pending = {}
        for name, value in data_dict.items():
            if isinstance(value, ExportData):
                self._summary_sheet(name, value)
            elif isinstance(value, ExportTable):
                self._table_sheet(value, name)
            elif isinstance(value, Chart) or (
                isinstance(value, list) and value and isinstance(value[0], Chart)
            ):
                self._charts_sheet(name, [value] if isinstance(value, Chart) else value)
            elif isinstance(value, list):
                self._table_sheet(_table_from_dicts(name, value), name)
            else:
                raise TypeError(f"cannot put a {type(value).__name__} on sheet {name!r}")
        path = Path(filepath)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._workbook.save(path)
        self._workbook = None
        if self._pending:
            _inject(path, self._pending)
        return path

    def add_chart_to_sheet(
        self,
        sheet: Any,
        chart_type: str,
        data_range: tuple[int, int, int, int],
        *,
        title: str = "",
        anchor: str = "A1",
        y_title: str = "",
        x_title: str = "",
        value_format: str = "number",
    ) -> LineChart | BarChart:
        """A native line or bar chart over ``data_range`` = (first column, first row, last
        column, last row) of ``sheet``: the first column holds the categories, the first
        row the series names."""
        first_col, first_row, last_col, last_row = data_range
        chart = LineChart() if chart_type == "line" else BarChart()
        if isinstance(chart, BarChart):
            chart.type = "col"
        chart.title = title or None
        chart.y_axis.title = y_title or None
        chart.x_axis.title = x_title or None
        chart.y_axis.numFmt = NUMBER_FORMATS.get(value_format, "#,##0")
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.height, chart.width = 8.5, 22
        values = Reference(
            sheet, min_col=first_col + 1, min_row=first_row, max_col=last_col, max_row=last_row
        )
        categories = Reference(sheet, min_col=first_col, min_row=first_row + 1, max_row=last_row)
        chart.add_data(values, titles_from_data=True)
        chart.set_categories(categories)
        sheet.add_chart(chart, anchor)
        return chart

    # design's convenience methods (they fetch through the analytics layer)

    def export_compensation_summary(self, date_range: Any, filepath: str | Path) -> Path:
        return self._entity("compensation", date_range, filepath)

    def export_transactions(self, filters: Mapping[str, str], filepath: str | Path) -> Path:
        return self._entity("transactions", None, filepath, filters)

    def export_master_cases(self, filters: Mapping[str, str], filepath: str | Path) -> Path:
        return self._entity("cases", None, filepath, filters)

    def _entity(
        self, entity: str, date_range: Any, filepath: str | Path, filters: Any = None
    ) -> Path:
        return self.export(entity_data(self.session, entity, date_range, filters), filepath)

    # ------------------------------------------------------------------ sheets

    def _new_sheet(self, name: str) -> Any:
        clean = _BAD_SHEET_CHARS.sub(" ", name).strip()[:31] or "Sheet"
        candidate, n = clean, 2
        while candidate.lower() in self._sheet_names:
            suffix = f" ({n})"
            candidate, n = clean[: 31 - len(suffix)] + suffix, n + 1
        self._sheet_names.add(candidate.lower())
        return self._workbook.create_sheet(candidate)

    def _cell(self, sheet: Any, value: Any, **style: Any) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=value)
        for key, item in style.items():
            setattr(cell, key, item)
        return cell

    def _summary_sheet(self, name: str, data: ExportData) -> None:
        sheet = self._new_sheet(name)
        sheet.column_dimensions["A"].width = 36
        sheet.column_dimensions["B"].width = 22
        sheet.append([self._cell(sheet, data.title, font=TITLE_FONT)])
        sheet.append(["Date range", data.date_range.text])
        generated = self._cell(sheet, data.generated, number_format="yyyy-mm-dd hh:mm")
        sheet.append(["Generated on", generated])
        names = "included (asked for)" if data.include_names else "left out"
        sheet.append(["Patient names", names])
        sheet.append([])
        if data.summary:
            sheet.append([self._cell(sheet, "Key figures", font=TOTAL_FONT)])
            for label, value, kind in data.summary:
                fmt = NUMBER_FORMATS.get(kind, "General")
                sheet.append([label, self._cell(sheet, value, number_format=fmt)])
            sheet.append([])
        sheet.append([self._cell(sheet, "Sheets", font=TOTAL_FONT)])
        for table in data.tables:
            sheet.append([table.title, f"{len(table.rows):,} rows"])
            if table.note:
                sheet.append(["", table.note])

    def _table_sheet(self, table: ExportTable, name: str) -> None:
        sheet = self._new_sheet(name)
        columns = table.columns
        for index, column in enumerate(columns, 1):
            width = WIDTHS.get(column.kind, max(10, min(30, len(column.label) + 4)))
            sheet.column_dimensions[get_column_letter(index)].width = max(
                width, len(column.label) + 2
            )
        sheet.freeze_panes = "A2"
        if columns:
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(table.rows) + 1}"
        header = [
            self._cell(
                sheet,
                c.label,
                font=HEADER_FONT,
                fill=HEADER_FILL,
                alignment=Alignment(horizontal="center", wrap_text=True),
            )
            for c in columns
        ]
        sheet.append(header)
        # The data rows and the totals row are streamed into the saved file (see _inject).
        styles = {k: self._style_id(sheet, number_format=f) for k, f in NUMBER_FORMATS.items()}
        total_styles = {
            k: self._style_id(sheet, font=TOTAL_FONT, border=TOTAL_BORDER, number_format=f)
            for k, f in {**NUMBER_FORMATS, "text": "General"}.items()
        }
        self._pending[sheet.title] = _PendingRows(table, styles, total_styles)

    def _style_id(self, sheet: Any, **style: Any) -> int:
        """The workbook's index of a cell style (registered now, written on save)."""
        return self._cell(sheet, None, **style).style_id

    def _charts_sheet(self, name: str, charts: list[Chart]) -> None:
        """Each chart's values as a block of cells, and a native chart beside them."""
        sheet = self._new_sheet(name)
        sheet.column_dimensions["A"].width = 14
        row = 1
        for chart in charts:
            series = [s for s in chart.series if s.drawn] or chart.series
            sheet.append([self._cell(sheet, chart.title, font=TITLE_FONT)])
            first = row + 1
            sheet.append([chart.x_label] + [s.name for s in series])
            fmt = NUMBER_FORMATS.get(chart.value_format, "#,##0.00")
            for i, x in enumerate(chart.x):
                sheet.append(
                    [x] + [self._cell(sheet, s.values[i], number_format=fmt) for s in series]
                )
            last = first + len(chart.x)
            if chart.x and series:
                self.add_chart_to_sheet(
                    sheet,
                    chart.kind,
                    (1, first, 1 + len(series), last),
                    title=chart.title,
                    anchor=f"{get_column_letter(len(series) + 3)}{row}",
                    x_title=chart.x_label,
                    y_title=chart.y_label,
                    value_format=chart.value_format,
                )
            block = max(len(chart.x) + 2, 18)  # a chart is ~17 rows high
            for _ in range(block - len(chart.x) - 1):
                sheet.append([])
            row += block + 1


def _table_from_dicts(title: str, rows: list[dict[str, Any]]) -> ExportTable:
    keys: list[str] = []
    for row in rows:
        keys.extend(k for k in row if k not in keys and not k.startswith("_"))
    columns = [
        Column(k, k.replace("_", " ").capitalize(), "number" if _numeric(rows, k) else "text")
        for k in keys
    ]
    return ExportTable(title, columns, rows)


def _numeric(rows: list[dict[str, Any]], key: str) -> bool:
    values = [r.get(key) for r in rows if r.get(key) is not None]
    return bool(values) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in values
    )


# --------------------------------------------------------------------------- fast rows

_EXCEL_EPOCH = dt.date(1899, 12, 30)
_NUMERIC_KINDS = ("money", "points", "number", "int", "percent")
_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "p": "http://schemas.openxmlformats.org/package/2006/relationships",
}


@dataclass
class _PendingRows:
    """A table sheet's rows, written after openpyxl saved the workbook around them."""

    table: ExportTable
    styles: dict[str, int]
    total_styles: dict[str, int]


def _text_cell(ref: str, value: Any, style: str) -> str:
    text = str(value)
    if ILLEGAL_CHARACTERS_RE.search(text):
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if "&" in text or "<" in text or ">" in text:
        text = escape(text)
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _cell_xml(ref: str, value: Any, kind: str, style: str) -> str:
    """One ``<c>`` element: numbers as numbers, dates as Excel serial days, text inline."""
    if isinstance(value, bool):
        return _text_cell(ref, "yes" if value else "", style)
    if kind == "date":
        day = _date_value(value)
        if isinstance(day, dt.date):
            return f'<c r="{ref}"{style}><v>{(day - _EXCEL_EPOCH).days}</v></c>'
        return _text_cell(ref, value, style)
    if isinstance(value, int | float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        return f'<c r="{ref}"{style}><v>{value!r}</v></c>'
    return _text_cell(ref, value, style)


def _row_chunks(pending: _PendingRows) -> Iterable[bytes]:
    """The ``<row>`` elements of the data rows and the totals row, a block at a time.
    Writing them as text is ~4x faster than a cell object each (45,000 lines in ~1 s)."""
    table = pending.table
    spec = []
    for index, column in enumerate(table.columns, 1):
        style_id = pending.styles.get(column.kind)
        spec.append(
            (
                column.key,
                column.kind,
                get_column_letter(index),
                f' s="{style_id}"' if style_id else "",
            )
        )
    block: list[str] = []
    append = block.append
    number = 1
    for number, row in enumerate(table.rows, 2):
        get = row.get
        append(f'<row r="{number}">')
        for key, kind, letter, style in spec:
            value = get(key)
            if value is None:
                continue
            kind_of = type(value)
            if (kind_of is float and value == value) or kind_of is int:  # the common cases
                append(f'<c r="{letter}{number}"{style}><v>{value!r}</v></c>')
            elif kind_of is str and kind != "date":
                if value:
                    append(_text_cell(f"{letter}{number}", value, style))
            else:
                append(_cell_xml(f"{letter}{number}", value, kind, style))
        append("</row>")
        if len(block) > 20_000:
            yield "".join(block).encode("utf-8")
            block.clear()
    if table.sums and table.rows:
        number += 1
        block.append(f'<row r="{number}">')
        for index, (key, kind, letter, _style) in enumerate(spec):
            style = f' s="{pending.total_styles.get(kind, pending.total_styles["text"])}"'
            value = "Total" if index == 0 else table.sums.get(key)
            if value is None:
                value = ""
            cell_kind = "text" if index == 0 else kind
            block.append(
                _cell_xml(f"{letter}{number}", value, cell_kind, style)
                if value != ""
                else f'<c r="{letter}{number}"{style}/>'
            )
        block.append("</row>")
    yield "".join(block).encode("utf-8")


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title -> its part in the archive, from workbook.xml and its relationships."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target") for rel in rels.findall("p:Relationship", _NS)}
    paths = {}
    for sheet in workbook.find("m:sheets", _NS):
        target = targets[sheet.get(f"{{{_NS['r']}}}id")]
        paths[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return paths


def _inject(path: Path, pending: dict[str, _PendingRows]) -> None:
    """Put each table's rows into its sheet of the saved workbook (before ``</sheetData>``),
    streaming them into a copy of the archive."""
    temporary = path.with_suffix(".tmp.xlsx")
    with (
        zipfile.ZipFile(path) as source,
        zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED, compresslevel=3) as target,
    ):
        by_part = {
            part: pending[title] for title, part in _sheet_paths(source).items() if title in pending
        }
        for info in source.infolist():
            data = source.read(info.filename)
            rows = by_part.get(info.filename)
            if rows is None:
                target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
                continue
            head, tail = data.split(b"</sheetData>", 1)
            with target.open(info.filename, "w", force_zip64=True) as out:
                out.write(head)
                for chunk in _row_chunks(rows):
                    out.write(chunk)
                out.write(b"</sheetData>" + tail)
    temporary.replace(path)
