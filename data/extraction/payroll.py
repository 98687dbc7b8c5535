"""Part 1, the payroll stub: two side-by-side tables (earnings left, deductions right).

One text line often carries a row of each table and the two can touch, so each line is cut at
the x where the right table's `Description` title starts; each half is a label with up to two
amounts (current, year to date), placed by x like the compensation report's.
"""

from __future__ import annotations

from data.extraction.columns import label_text, measure_columns, split_amounts
from data.extraction.pages import Line, Page, Word
from data.extraction.tokens import parse_amount, parse_date, parse_month_year

SIDES = ("earnings", "deductions")


def _header(page: Page) -> tuple[int, float] | None:
    """Index of the `Description Amount YTD Amt Description ...` line and the x of the cut.

    Without that line, the `Earnings  Deductions ...` titles line gives the cut instead.
    """
    for i, line in enumerate(page.lines):
        descriptions = [w for w in line.words if w.text.lower().startswith("description")]
        if len(descriptions) >= 2:
            return i, descriptions[1].x0
    for i, line in enumerate(page.lines):
        words = [w.text.lower() for w in line.words]
        if words and words[0] == "earnings" and "deductions" in words:
            return i, line.words[words.index("deductions")].x0
    return None


def _period_and_pay_date(lines: list[Line], info: dict) -> None:
    """`Period: March 2026` and `Pay Date: 04/10/2026` (colons optional, any case)."""
    for line in lines:
        words = [w.text for w in line.words]
        lowered = [w.lower().rstrip(":") for w in words]
        for i, word in enumerate(lowered):
            if word == "period" and i + 2 < len(words):
                month = parse_month_year(words[i + 1].rstrip(","), words[i + 2])
                if month:
                    info.setdefault("period", month)
            if word == "date" and i > 0 and lowered[i - 1] == "pay" and i + 1 < len(words):
                paid = parse_date(words[i + 1])
                if paid:
                    info.setdefault("pay_date", paid)


def _amount_titles(line: Line) -> list[Word]:
    """`Amount` and `YTD Amt` titles of both tables as pseudo-words (for their x)."""
    titles = []
    words = line.words
    for i, word in enumerate(words):
        lowered = word.text.lower()
        if lowered in ("amount", "current"):
            titles.append(word)
        elif lowered == "ytd":
            last = words[i + 1] if i + 1 < len(words) and words[i + 1].text.lower() in (
                "amt", "amount") else word  # fmt: skip
            titles.append(Word("ytd", word.x0, last.x1, word.y0, word.y1, word.order))
    return titles


def _halves(words: list[Word], cut: float) -> tuple[list[Word], list[Word]]:
    margin = 0.3 * (words[0].height if words else 8.0)
    left = [w for w in words if w.x0 < cut - margin]
    right = [w for w in words if w.x0 >= cut - margin]
    # a right-hand label touching the left amounts starts a little left of the cut
    amounts = [i for i, w in enumerate(left) if parse_amount(w.text) is not None]
    if amounts and amounts[-1] < len(left) - 1 and amounts[-1] > 0:
        moved = left[amounts[-1] + 1 :]
        left = left[: amounts[-1] + 1]
        right = moved + right
    return left, right


def parse_payroll(pages: list[Page]) -> tuple[dict | None, dict]:
    """The contract's `payroll` (or None if no table was found) and period / pay date."""
    info: dict = {}
    rows: dict[str, list[dict]] = {side: [] for side in SIDES}
    for page in pages:
        _period_and_pay_date(page.lines, info)
        found = _header(page)
        if found is None:
            continue
        index, cut = found
        body = page.lines[index + 1 :]
        halves = [_halves(line.words, cut) for line in body]
        titles = _halves(_amount_titles(page.lines[index]), cut)
        columns = [measure_columns([h[s] for h in halves], 2, titles[s]) for s in range(2)]
        misses = 0
        for half_pair in halves:
            got = False
            for s, side in enumerate(SIDES):
                label_words, cells = split_amounts(half_pair[s], columns[s], 2)
                label = label_text(label_words)
                if label and any(c is not None for c in cells):
                    rows[side].append(
                        {"side": side, "label": label, "current": cells[0], "ytd": cells[1]}
                    )
                    got = True
            misses = 0 if got else misses + 1
            if misses >= 2 and (rows["earnings"] or rows["deductions"]):
                break
    lines = rows["earnings"] + rows["deductions"]
    if not lines:
        return None, info
    payroll = {
        "gross_earnings": _amounts(lines, "gross earnings"),
        "net_pay": _amounts(lines, "net pay"),
        "lines": lines,
    }
    return payroll, info


def _amounts(lines: list[dict], label: str) -> dict | None:
    for line in lines:
        if line["label"].lower() == label:
            return {"current": line["current"], "ytd": line["ytd"]}
    return None
