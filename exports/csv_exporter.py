"""CSV exports: rows in, UTF-8 bytes out (with a BOM so spreadsheet programs read accents).

The core turns columns and rows into bytes; the web routes and the CLI send or write
those bytes. Patient names are left out unless the caller asks for them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
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
