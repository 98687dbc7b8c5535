"""The physician's own case log, read from a CSV or XLSX file: rows in, or rows refused.

Real logs are kept by hand in a spreadsheet, so the reader is tolerant of what such files
look like (header names in any case and their usual synonyms, a BOM, ``;`` or ``,`` or tab
separators, dates as M/D/YY, M/D/YYYY or ISO, CPT codes separated by ``,`` ``;`` or spaces)
and strict about what a row must hold: a valid date, and a ticket or a CPT code. Every
refused row is listed with its reason; the caller stores nothing unless every row is good,
so a log is never half imported. Pure: no database, no Flask.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from analytics.privacy import remember_names

#: Largest case-log file taken (a decade of cases fits in well under 5 MB).
MAX_LOG_BYTES = 5 * 1024 * 1024
MAX_ROWS = 100_000

#: Our field -> the header names (normalised: lower case, letters and digits) that mean it.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "date": (
        "date", "case date", "date of service", "dos", "service date", "surgery date",
        "procedure date", "proc date", "day",
    ),
    "ticket": (
        "ticket", "patient ticket", "ticket number", "ticket no", "ticket ref", "ticket id",
        "phys ticket ref", "ref", "reference", "encounter", "account", "acct",
    ),
    "cpt_codes": (
        "cpt codes", "cpt code", "cpt", "cpts", "codes", "code", "procedure codes",
        "procedure code", "cpt s",
    ),
    "start_time": ("start time", "start", "anes start", "anesthesia start", "begin", "time in"),
    "stop_time": (
        "stop time", "stop", "end time", "end", "anes stop", "anesthesia stop", "anes end",
        "finish", "time out",
    ),
    "patient": (
        "patient", "patient name", "name", "initials", "patient initials", "pt", "pt name",
    ),
    "notes": ("notes", "note", "comments", "comment", "remarks"),
}  # fmt: skip

_CPT = re.compile(r"^(?=(?:\D*\d){4})[0-9A-Z]{5}$")
_TICKET = re.compile(r"^[0-9A-Za-z-]{1,20}$")
_TIME = re.compile(r"^(\d{1,2}):?(\d{2})(?::\d{2})?\s*([AaPp][Mm])?$")
_US_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")


class CaseLogError(Exception):
    """The whole file cannot be read as a case log; ``message`` says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class LogRow:
    """One case as the physician logged it."""

    row_number: int  # line of the file (the header is line 1)
    case_date: dt.date
    ticket: str | None
    cpt_codes: tuple[str, ...]
    start_time: str | None  # "HH:MM"
    stop_time: str | None
    patient: str | None
    notes: str | None

    @property
    def row_key(self) -> str:
        """A hash of the row's content: the same case uploaded again has the same key, so a
        re-upload adds nothing (the row number is not part of it)."""
        parts = (
            self.case_date.isoformat(),
            self.ticket or "",
            ",".join(self.cpt_codes),
            self.start_time or "",
            self.stop_time or "",
            (self.patient or "").strip().lower(),
            (self.notes or "").strip(),
        )
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RejectedRow:
    """A row that was not taken, and why (its values shown without the patient)."""

    row_number: int
    reason: str
    values: str


@dataclass
class ParsedLog:
    """What a file held: good rows, refused rows, rows repeated within the file."""

    source_file: str
    columns: dict[str, str]  # our field -> the header it was read from
    rows: list[LogRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    repeated: list[int] = field(default_factory=list)  # row numbers identical to an earlier row

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.rejected

    @property
    def date_span(self) -> tuple[dt.date, dt.date] | None:
        if not self.rows:
            return None
        days = [row.case_date for row in self.rows]
        return min(days), max(days)


# --------------------------------------------------------------------------- cells


def _norm_header(text: Any) -> str:
    cleaned = re.sub(r"[^a-z0-9]+", " ", str(text or "").replace("\ufeff", "").lower())
    return cleaned.strip()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def parse_date(value: Any, today: dt.date | None = None) -> dt.date:
    """A log date: M/D/YY, M/D/YYYY, ISO, or a spreadsheet date cell. Raises ValueError
    with the reason."""
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        text = _cell_text(value)
        if not text:
            raise ValueError("the date is empty")
        us, iso = _US_DATE.match(text), _ISO_DATE.match(text)
        try:
            if us:
                month, dom, year = int(us[1]), int(us[2]), int(us[3])
                day = dt.date(year + 2000 if year < 100 else year, month, dom)
            elif iso:
                day = dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
            else:
                raise ValueError
        except ValueError:
            raise ValueError(
                f"'{text[:20]}' is not a date (use M/D/YY, M/D/YYYY or YYYY-MM-DD)"
            ) from None
    if day.year < 1990:
        raise ValueError(f"{day.isoformat()} is before 1990")
    if day > (today or dt.date.today()) + dt.timedelta(days=1):
        raise ValueError(f"{day.isoformat()} is in the future")
    return day


def parse_time(value: Any) -> str | None:
    """A clock time as "HH:MM" (07:03, 7:03, 0703, 7:03 PM, a time cell); None when blank."""
    if isinstance(value, dt.datetime):
        value = value.time()
    if isinstance(value, dt.time):
        return f"{value.hour:02d}:{value.minute:02d}"
    text = _cell_text(value)
    if not text:
        return None
    match = _TIME.match(text)
    if not match:
        raise ValueError(f"'{text[:20]}' is not a time (use HH:MM)")
    hour, minute, ampm = int(match[1]), int(match[2]), (match[3] or "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            raise ValueError(f"'{text[:20]}' is not a time")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ValueError(f"'{text[:20]}' is not a time (hours 0-23, minutes 0-59)")
    return f"{hour:02d}:{minute:02d}"


def parse_cpt_codes(value: Any) -> tuple[str, ...]:
    """CPT codes separated by commas, semicolons or spaces; each five characters, at least
    four of them digits. Order kept, repeats dropped."""
    text = _cell_text(value).upper()
    codes: list[str] = []
    for code in re.split(r"[,;\s/|]+", text):
        if not code:
            continue
        if not _CPT.match(code):
            raise ValueError(f"'{code[:12]}' is not a CPT code (five characters, e.g. 45380)")
        if code not in codes:
            codes.append(code)
    return tuple(codes)


def _ticket(value: Any) -> str | None:
    text = _cell_text(value).replace(" ", "")
    if not text:
        return None
    if not _TICKET.match(text):
        raise ValueError(f"'{text[:24]}' is not a ticket number")
    return text


# --------------------------------------------------------------------------- files


def _text_rows(data: bytes, name: str) -> list[list[str]]:
    head = data[:4096]
    if b"\x00" in head:
        raise CaseLogError(
            f"{name} is not a text CSV file (it holds binary data). Save the log as CSV "
            "(comma or semicolon separated) or as an Excel .xlsx workbook."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if sum(1 for ch in text[:4096] if not ch.isprintable() and ch not in "\r\n\t") > 8:
        raise CaseLogError(f"{name} is not a text CSV file. Save the log as CSV or .xlsx.")
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = max((",", ";", "\t"), key=lambda d: first.count(d))
    if first.count(delimiter) == 0:
        delimiter = ","
    try:
        return [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as error:  # e.g. a stray carriage return inside a field
        raise CaseLogError(
            f"{name} is not a readable CSV file ({error}). Open it in a spreadsheet and "
            "save it again as CSV or .xlsx."
        ) from None


def _xlsx_rows(data: bytes, name: str) -> list[list[Any]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise CaseLogError(
            f"{name} looks like an Excel workbook but cannot be read "
            f"({type(error).__name__}). Open it in Excel and save it again as .xlsx or CSV."
        ) from None
    try:
        sheet = book.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True, max_col=40):
            rows.append(list(row))
            if len(rows) > MAX_ROWS + 1:  # a log is never this long: stop reading
                break
        return rows
    finally:
        book.close()


def read_table(data: bytes, filename: str) -> list[list[Any]]:
    """The file's rows as lists of cells, from a CSV/text file or an .xlsx workbook (by
    content, not by name)."""
    name = filename or "the file"
    if not data or not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise CaseLogError(f"{name} is empty. Choose your case log (CSV or .xlsx).")
    if len(data) > MAX_LOG_BYTES:
        raise CaseLogError(
            f"{name} is larger than {MAX_LOG_BYTES // (1024 * 1024)} MB, far more than a case "
            "log. Check that it is the right file."
        )
    if data.startswith(b"PK\x03\x04"):
        return _xlsx_rows(data, name)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise CaseLogError(
            f"{name} is an old Excel .xls file. Save it as .xlsx or CSV and upload that."
        )
    if data.startswith(b"%PDF-"):
        raise CaseLogError(
            f"{name} is a PDF. Packets go on the dashboard; here upload your own case log "
            "(CSV or .xlsx)."
        )
    return _text_rows(data, name)


def map_columns(header: Sequence[Any]) -> dict[str, int]:
    """Our field -> column index, from a header row (synonyms, any case, BOM ignored)."""
    found: dict[str, int] = {}
    names = [_norm_header(cell) for cell in header]
    for fieldname, synonyms in SYNONYMS.items():
        for synonym in synonyms:
            if synonym in names and names.index(synonym) not in found.values():
                found[fieldname] = names.index(synonym)
                break
    return found


def _row_values(cells: Sequence[Any], columns: dict[str, int]) -> dict[str, Any]:
    return {key: cells[index] if index < len(cells) else None for key, index in columns.items()}


def _shown(values: dict[str, Any]) -> str:
    shown = [
        f"{key}={_cell_text(value)[:30]}"
        for key, value in values.items()
        if key != "patient" and _cell_text(value)
    ]
    return ", ".join(shown)


def parse_row(row_number: int, values: dict[str, Any], today: dt.date | None = None) -> LogRow:
    """One row's cells -> a LogRow; raises ValueError with every reason it is refused."""
    reasons: list[str] = []

    def take(parser: Any, key: str) -> Any:
        try:
            return parser(values.get(key))
        except ValueError as error:
            reasons.append(str(error))
            return None

    case_date = take(lambda v: parse_date(v, today), "date")
    ticket = take(_ticket, "ticket")
    cpts = take(parse_cpt_codes, "cpt_codes") or ()
    start = take(parse_time, "start_time")
    stop = take(parse_time, "stop_time")
    if not reasons and not ticket and not cpts:
        reasons.append("neither a ticket nor a CPT code")
    if not reasons and stop and not start:
        reasons.append("a stop time without a start time")
    if reasons:
        raise ValueError("; ".join(reasons))
    patient = _cell_text(values.get("patient"))[:200] or None
    notes = _cell_text(values.get("notes"))[:2000] or None
    return LogRow(row_number, case_date, ticket, cpts, start, stop, patient, notes)


def parse_case_log(data: bytes, filename: str, today: dt.date | None = None) -> ParsedLog:
    """Read a case-log file. Raises CaseLogError when the file as a whole is unusable
    (empty, binary, no date column, no ticket or CPT column, no rows)."""
    table = read_table(data, filename)
    rows = iter(enumerate(table, start=1))
    header: list[Any] = []
    header_line = 0
    for line, cells in rows:
        if any(_cell_text(cell) for cell in cells):
            header, header_line = list(cells), line
            break
    columns = map_columns(header)
    missing = [
        label
        for label, present in (
            ("a date column (date, DOS, date of service)", "date" in columns),
            ("a ticket or CPT codes column", "ticket" in columns or "cpt_codes" in columns),
        )
        if not present
    ]
    if missing:
        got = ", ".join(_cell_text(cell)[:30] for cell in header if _cell_text(cell)) or "none"
        raise CaseLogError(
            f"{filename} lacks {' and '.join(missing)} in its first row (columns found: "
            f"{got}). The first row must name the columns: date, ticket, cpt_codes, and "
            "optionally start_time, stop_time, patient, notes."
        )
    parsed = ParsedLog(
        source_file=filename,
        columns={key: _cell_text(header[index]) for key, index in columns.items()},
    )
    seen: dict[str, int] = {}
    for line, cells in rows:
        if not any(_cell_text(cell) for cell in cells):
            continue
        if len(parsed.rows) + len(parsed.rejected) >= MAX_ROWS:
            raise CaseLogError(f"{filename} has more than {MAX_ROWS} rows. Split the file.")
        values = _row_values(cells, columns)
        try:
            row = parse_row(line, values, today)
        except ValueError as error:
            parsed.rejected.append(RejectedRow(line, str(error), _shown(values)))
            continue
        if row.row_key in seen:
            parsed.repeated.append(line)
            continue
        seen[row.row_key] = line
        parsed.rows.append(row)
    if not parsed.rows and not parsed.rejected:
        raise CaseLogError(
            f"{filename} has a header (line {header_line}) but no case rows below it."
        )
    remember_names(row.patient for row in parsed.rows)  # kept out of every log line
    return parsed


def rows_as_dicts(rows: Iterable[LogRow], include_names: bool = False) -> list[dict[str, Any]]:
    """Log rows as plain dicts (patient only when asked)."""
    out = []
    for row in rows:
        item = {
            "row_number": row.row_number,
            "date": row.case_date.isoformat(),
            "ticket": row.ticket,
            "cpt_codes": list(row.cpt_codes),
            "start_time": row.start_time,
            "stop_time": row.stop_time,
            "notes": row.notes,
        }
        if include_names:
            item["patient"] = row.patient
        out.append(item)
    return out
