"""CSV exports: rows in, UTF-8 bytes out (with a BOM so spreadsheet programs read accents).

The core turns columns and rows into bytes; the web routes and the CLI send or write
those bytes. Patient names are left out unless the caller asks for them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol


class _Column(Protocol):
    key: str
    label: str


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value - round(value, 2)) < 1e-9 else repr(round(value, 6))
    return value


def rows_to_csv(columns: Sequence[_Column], rows: Iterable[dict[str, Any]]) -> bytes:
    """A CSV file: a header of column labels, then one line per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.label for column in columns])
    for row in rows:
        writer.writerow([_cell(row.get(column.key)) for column in columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


class CSVExporter:
    """CSV files of an export's main table (the design's methods fetch through the
    analytics layer, so a session is needed for those; ``export`` takes ready data)."""

    def __init__(self, session: Any = None) -> None:
        self.session = session

    def export(self, data: Any, filepath: str | Path) -> Path:
        """The main table of an :class:`exports.service.ExportData`, with a totals line."""
        table = data.main
        rows = list(table.rows)
        if table.sums and rows:
            first = table.columns[0].key if table.columns else ""
            rows.append({first: "Total", **{k: v for k, v in table.sums.items() if k != first}})
        path = Path(filepath)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rows_to_csv(table.columns, rows))
        return path

    def export_compensation_summary(self, date_range: Any, filepath: str | Path) -> Path:
        return self._entity("compensation", filepath, date_range=date_range)

    def export_transactions(self, filters: dict[str, str], filepath: str | Path) -> Path:
        return self._entity("transactions", filepath, filters=filters)

    def export_master_cases(self, filters: dict[str, str], filepath: str | Path) -> Path:
        return self._entity("cases", filepath, filters=filters)

    def export_forecast(self, forecast_data: Any, filepath: str | Path) -> Path:
        """Forecast rows (dicts or dataclasses with ``to_dict``/fields) as CSV."""
        rows = [_plain(row) for row in forecast_data]
        keys: list[str] = []
        for row in rows:
            keys.extend(k for k in row if k not in keys)
        columns = [_Named(k, k) for k in keys]
        path = Path(filepath)
        path.write_bytes(rows_to_csv(columns, rows))
        return path

    def _entity(
        self, entity: str, filepath: str | Path, date_range: Any = None, filters: Any = None
    ) -> Path:
        from exports.service import entity_data

        return self.export(entity_data(self.session, entity, date_range, filters), filepath)


class _Named:
    def __init__(self, key: str, label: str) -> None:
        self.key, self.label = key, label


def _plain(row: Any) -> dict[str, Any]:
    if isinstance(row, dict):
        return row
    if hasattr(row, "to_dict"):
        return row.to_dict()
    from dataclasses import asdict

    return asdict(row)
