"""Part 5, the business and medical expense report: a few lines and a pre-tax total.

Text columns (reimbursement #, invoice, description, vendor) are cut at the x where each title
starts on this page; words of one drawn string, a space apart, stay in the column the string
starts in, so a description running over the vendor column stays one description.
"""

from __future__ import annotations

from data.extraction.pages import Line, Page, Word
from data.extraction.tokens import parse_amount, parse_date

TITLES = ("reimb", "date", "invoice", "description", "vendor", "amount")


def _title_positions(line: Line) -> dict[str, float] | None:
    positions: dict[str, float] = {}
    for word in line.words:
        key = word.text.lower().rstrip("#:")
        if key in TITLES and key not in positions:
            positions[key] = word.x0
    if {"date", "description", "amount"} <= positions.keys():
        return positions
    return None


def _column_of(word: Word, starts: list[tuple[float, str]]) -> str:
    column = starts[0][1]
    for x, name in starts:
        if word.x0 >= x - 0.5 * word.height:
            column = name
    return column


def _parse_line(words: list[Word], starts: list[tuple[float, str]]) -> dict | None:
    if len(words) < 2:
        return None
    amount = parse_amount(words[-1].text)
    if amount is None or isinstance(amount, int) and "." not in words[-1].text:
        return None
    cells: dict[str, list[str]] = {}
    previous: Word | None = None
    previous_column = None
    for word in words[:-1]:
        column = _column_of(word, starts)
        if (
            previous is not None
            and word.phrase == previous.phrase
            and word.obj == previous.obj
            and previous_column in ("description", "vendor", "invoice", "reimb")
        ):
            column = previous_column  # the same string running over the next column
        cells.setdefault(column, []).append(word.text)
        previous, previous_column = word, column
    date_text = " ".join(cells.get("date", []))
    line_date = parse_date(date_text)
    if line_date is None:
        return None

    def text(column: str) -> str | None:
        value = " ".join(cells.get(column, [])).strip()
        return value or None

    return {
        "reimb": text("reimb"),
        "date": line_date,
        "invoice": text("invoice"),
        "description": text("description"),
        "vendor": text("vendor"),
        "amount": amount,
    }


def parse_expenses(pages: list[Page]) -> dict | None:
    lines_out: list[dict] = []
    total = None
    for page in pages:
        starts: list[tuple[float, str]] | None = None
        for line in page.lines:
            if starts is None:
                positions = _title_positions(line)
                if positions:
                    starts = sorted((x, name) for name, x in positions.items())
                continue
            upper = line.text.upper()
            if upper.startswith("TOTAL"):
                value = parse_amount(line.words[-1].text)
                if value is not None and (total is None or "PRE-TAX" in upper):
                    total = value
                continue
            if upper.startswith("SUBTOTAL"):
                continue
            parsed = _parse_line(line.words, starts)
            if parsed:
                lines_out.append(parsed)
    if total is None and not lines_out:
        return {"lines": [], "total": None} if pages else None
    return {"lines": lines_out, "total": total}
