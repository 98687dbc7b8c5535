"""Keep patient data out of every log line.

A log record is rewritten when it is created (``logging.setLogRecordFactory``), so every
handler (the console, a file, a test's capture) sees the same clean text:

- patient names the app has met (read from the stored packets and case logs at start,
  and from every packet or case log read since) become ``[name]``;
- ticket numbers (6 to 12 digits) become ``[ticket]``, dates ``[date]``, CPT codes
  (5 characters, at least 4 of them digits) ``[code]``;
- the parameters SQLAlchemy puts into a database error (``[parameters: ...]``) are
  dropped whole, since they hold a row's values.

Pay periods (``2024-03``), amounts and counts stay: they are what a log needs.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

_TICKET = re.compile(r"(?<![\w.-])\d{6,12}(?![\w-])")
_DATE = re.compile(
    r"\b\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b"
)
_CPT = re.compile(r"(?<![\w.-])(?=(?:[A-Z]*\d){4})[0-9]{4}[0-9A-Z](?![\w-])")
_SQL_PARAMETERS = re.compile(r"\[parameters: .*?\](?=\n|$)", re.S)
_MIN_NAME_LENGTH = 4

_lock = threading.Lock()
_names: set[str] = set()
_name_pattern: re.Pattern | None = None
_installed = False


def remember_names(names: Iterable[str | None]) -> None:
    """Patient names to redact from now on (packet lines, case-log rows)."""
    global _name_pattern
    fresh = {
        " ".join(name.split()).lower()
        for name in names
        if name and len(name.strip()) >= _MIN_NAME_LENGTH
    }
    with _lock:
        if fresh <= _names:
            return
        _names.update(fresh)
        parts = []
        for name in sorted(_names, key=len, reverse=True):
            words = [re.escape(word) for word in re.split(r"[\s,]+", name) if word]
            parts.append(r"[\s,]+".join(words))
        _name_pattern = re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.I)


def redact(text: str) -> str:
    """``text`` without patient names, tickets, dates, CPT codes or SQL parameters."""
    text = _SQL_PARAMETERS.sub("[parameters hidden]", text)
    pattern = _name_pattern
    if pattern is not None:
        text = pattern.sub("[name]", text)
    text = _DATE.sub("[date]", text)
    text = _TICKET.sub("[ticket]", text)
    return _CPT.sub("[code]", text)


def install_log_redaction() -> None:
    """Rewrite every log record from now on (idempotent; the whole process)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    make_record = logging.getLogRecordFactory()

    def clean_record(*args, **kwargs) -> logging.LogRecord:  # noqa: ANN002, ANN003
        record = make_record(*args, **kwargs)
        try:
            record.msg = redact(record.getMessage())
            record.args = None
        except Exception:  # noqa: BLE001 - a record that cannot be formatted keeps its text
            record.msg, record.args = redact(str(record.msg)), None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    logging.setLogRecordFactory(clean_record)
