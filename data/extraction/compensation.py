"""Part 2, the physician compensation report: labelled lines with Period/Year to Date amounts.

Sections are told apart by structure, not by a fixed list of names, since line names change
over the years: a line with no amounts is a section header, a line with amounts and no label is
that section's subtotal, and a labelled line after a subtotal (before the next header) is a
stand-alone total such as `W-2 Income`, its own section.
"""

from __future__ import annotations

import re

from data.extraction.columns import label_text, measure_columns, split_amounts
from data.extraction.pages import Line, Page, Word, squash
from data.extraction.tokens import parse_date

# Totals printed on their own (each its own section). Recognised by structure anyway (a labelled
# line after a subtotal); the names also cover a report that omits a one-line section's subtotal.
STANDALONE_TOTALS = {
    "totalcompensation",
    "medicareincome",
    "w-2income",
    "aftertaxcompensation",
    "netcompensation/netpay",
}
FOOTER_RE = re.compile(r"\bpage\s*\d+|\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}:\d{2}", re.IGNORECASE)
NAME_RE = re.compile(r"^(?P<name>.+?)\s+-\s+(?P<number>\d+)$")


def _column_header_index(page: Page) -> int | None:
    """The line titling the amount columns; else the last line of the page's title block."""
    for i, line in enumerate(page.lines):
        compact = line.compact.replace("-", "")
        if "periodtodate" in compact and "yeartodate" in compact:
            return i
    last = None
    for i, line in enumerate(page.lines[:12]):
        lowered = line.text.lower()
        if (
            "payroll issued" in lowered
            or lowered.startswith("for the month of")
            or "compensation report" in lowered
            or "todate" in line.compact.replace("-", "")
            or NAME_RE.match(line.text)
        ):
            last = i
    return last


def _is_header_filler(line: Line) -> bool:
    """`Actual Actual` under the column titles."""
    return all(w.text.lower() in {"actual", "budget", "amount"} for w in line.words)


def _page_info(lines: list[Line], info: dict) -> None:
    for line in lines:
        text = line.text
        if "payroll issued" in text.lower():
            for word in line.words:
                issued = parse_date(word.text)
                if issued:
                    info.setdefault("pay_date", issued)
        match = NAME_RE.match(text)
        if match and "physician" not in text.lower():
            info.setdefault("physician_name", match["name"].strip())
            info.setdefault("physician_number", match["number"])
        if text.lower().startswith("for the month of"):
            info.setdefault("month_name", text[len("for the month of") :].strip())


def parse_compensation(pages: list[Page]) -> tuple[dict, dict]:
    """({"lines": [...]}, info with physician name/number and pay date)."""
    info: dict = {}
    out: list[dict] = []
    section: str | None = None
    closed = False
    measured = None
    for page in pages:
        header = _column_header_index(page)
        start = 0 if header is None else header + 1
        _page_info(page.lines[: start or len(page.lines)], info)
        body = page.lines[start:]
        while body and _is_header_filler(body[0]):
            body = body[1:]
        headers = []
        if header is not None:
            headers = _column_titles(page.lines[header])
        columns = measure_columns([line.words for line in body], 2, headers)
        if columns is not None and columns.measured:
            measured = (columns, [w.xc for w in headers])
        elif measured is not None and _same_titles(measured[1], headers):
            columns = measured[0]  # no full line here: the previous page's columns, same titles
        rows = [split_amounts(line.words, columns, 2) for line in body]
        last_amount_row = max(
            (i for i, (_, cells) in enumerate(rows) if any(c is not None for c in cells)),
            default=-1,
        )
        for i, (label_words, cells) in enumerate(rows):
            label = label_text(label_words)
            has_amount = any(c is not None for c in cells)
            if not has_amount:
                if label is None or (i > last_amount_row and FOOTER_RE.search(label)):
                    continue  # a page footer (`Page 1 of 2`, a print date) after the last line
                section, closed = label, False
                continue
            if label is None:
                out.append(_line(section, None, cells, True))
                closed = True
                continue
            if closed or section is None or squash(label) in STANDALONE_TOTALS:
                out.append(_line(label, label, cells, False))
                closed = True
                continue
            out.append(_line(section, label, cells, False))
    return {"lines": out}, info


def _same_titles(before: list[float], titles: list[Word]) -> bool:
    """The column titles stand where they stood on the previous page (same layout)."""
    now = [w.xc for w in titles]
    return len(now) == len(before) and all(
        abs(a - b) < 2.0 for a, b in zip(before, now, strict=True)
    )


def _line(section: str | None, label: str | None, cells: list, subtotal: bool) -> dict:
    return {
        "section": section,
        "label": label,
        "period_to_date": cells[0],
        "year_to_date": cells[1],
        "subtotal": subtotal,
    }


def _column_titles(line: Line) -> list[Word]:
    """The `Period to Date` and `Year to Date` titles as two pseudo-words (for their x)."""
    words = line.words
    titles = []
    for i in range(len(words)):
        joined = squash(" ".join(w.text for w in words[i : i + 3]))
        if joined in ("periodtodate", "yeartodate"):
            first, last = words[i], words[i + 2]
            titles.append(Word(joined, first.x0, last.x1, first.y0, first.y1, first.order))
    return titles
