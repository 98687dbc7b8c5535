"""Excel workbooks: a summary sheet, one formatted sheet per table, native Excel charts.

Written with openpyxl in write-only mode (rows stream to the file, so 45,000 charge
lines take seconds and little memory): styled header, number and date formats per
column kind, frozen header, filter, column widths, a totals row, and charts made of
Excel chart objects (openpyxl.chart) over cells of the Charts sheet, not pictures.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from analytics.analysis import Chart
from analytics.browse import Column
from exports.service import ExportData, ExportRequest, ExportTable, build_export

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

    # ------------------------------------------------------------------ public

    def export(self, data: ExportData, filepath: str | Path) -> Path:
        """The whole export: Summary, one sheet per table, Charts (native charts)."""
        parts: dict[str, Any] = {"Summary": data}
        for table in data.tables:
            parts[table.title] = table
        if data.charts:
            parts["Charts"] = data.charts
        return self.export_workbook(parts, filepath)

    def export_workbook(self, data_dict: Mapping[str, Any], filepath: str | Path) -> Path:
        """A multi-sheet workbook, one sheet per entry, in order. A value may be an
        :class:`ExportData` (its summary sheet), an :class:`ExportTable`, a list of row
        dicts, a :class:`Chart` or a list of charts (a Charts sheet)."""
        self._workbook = Workbook(write_only=True)
        self._sheet_names = set()
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
        from exports.service import DateRange, parse_date_range

        if self.session is None:
            raise ValueError("ExcelExporter(session) is needed to fetch data")
        dr = date_range if isinstance(date_range, DateRange) else parse_date_range(date_range)
        request = ExportRequest(date_range=dr, filters=dict(filters or {}))
        return self.export(build_export(self.session, entity, request), filepath)

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
        for values in _rows(sheet, columns, table.rows):
            sheet.append(values)
        if table.sums and table.rows:
            totals = []
            for index, column in enumerate(columns):
                value = "Total" if index == 0 else table.sums.get(column.key)
                fmt = NUMBER_FORMATS.get(column.kind, "General")
                totals.append(
                    self._cell(
                        sheet, value, font=TOTAL_FONT, border=TOTAL_BORDER, number_format=fmt
                    )
                )
            sheet.append(totals)

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


def _rows(sheet: Any, columns: list[Column], rows: Iterable[dict[str, Any]]) -> Iterable[list]:
    """Row values for ``sheet.append``; one styled cell per formatted column, reused row
    after row (write-only sheets write a row as it is appended, so reuse is safe)."""
    formatted = [
        (i, c.key, c.kind == "date", WriteOnlyCell(sheet))
        for i, c in enumerate(columns)
        if c.kind in NUMBER_FORMATS
    ]
    for _i, _key, _is_date, cell in formatted:
        cell.number_format = NUMBER_FORMATS[columns[_i].kind]
    plain = [(i, c.key) for i, c in enumerate(columns) if c.kind not in NUMBER_FORMATS]
    width = len(columns)
    for row in rows:
        values: list[Any] = [None] * width
        for i, key in plain:
            values[i] = row.get(key)
        for i, key, is_date, cell in formatted:
            value = row.get(key)
            if value is None:
                continue
            cell.value = _date_value(value) if is_date else value
            values[i] = cell
        yield values


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
