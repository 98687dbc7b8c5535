"""Part 4, the F2 pooled compensation report: one page per pool and one for all pools.

Each page is cut at its `Section N:` titles. Month columns are read from the section's own
month line (`Nov 25 Dec 25 ...`), so a new pool with fewer months, or a January packet whose
history spans two years, needs nothing special; values are matched to months by count, and by
x position when a value is blank (rates on the all-pools page).
"""

from __future__ import annotations

import re

from data.extraction.pages import Line, Page, Word
from data.extraction.tokens import (
    parse_amount,
    parse_month_year,
    parse_percent,
    parse_short_month,
)

SECTION_RE = re.compile(r"^section(\d)(?!\d)")
POOL_RE = re.compile(r"^Pool:\s*(?P<code>\S+)\s*-\s*(?P<name>.+)$")
MULTIPLIER_RE = re.compile(r"\)\s*[*x\u00d7]\s*(\d*\.\d+|\d+)\s*(%?)")
SECTION1_FIELDS = ("anes_time_min", "anes_base_units", "med_base_units")
SECTION1_PARTS = ("actual", "adjustment", "total", "points")
MARKER_RE = re.compile(r"^\*?\([A-Z]\)=?$")


def _sections(page: Page) -> dict[int, list[Line]]:
    sections: dict[int, list[Line]] = {0: []}
    current = 0
    for line in page.lines:
        match = SECTION_RE.match(line.compact)
        if match:
            current = int(match[1])
            sections.setdefault(current, [])
            continue
        sections.setdefault(current, []).append(line)
    return sections


def _values(words: list[Word]) -> list[tuple[Word, int | float]]:
    """Amount words of a line, skipping the `(M)` style markers."""
    out = []
    for word in words:
        if MARKER_RE.match(word.text):
            continue
        value = parse_amount(word.text)
        if value is not None:
            out.append((word, value))
    return out


def _month_columns(line: Line) -> list[tuple[str, float]]:
    """(YYYY-MM, x centre) for each `Mon YY` pair of a month header line, then ("total", x)."""
    words = line.words
    months = []
    totals = [w.xc for w in words if w.text.lower() == "total"]
    i = 0
    while i < len(words):
        single = _single_token_month(words[i].text)
        if single:
            months.append((single, words[i].xc))
            i += 1
            continue
        month = parse_month_year(words[i].text, words[i + 1].text) if i + 1 < len(words) else None
        if month:
            months.append((month, (words[i].x0 + words[i + 1].x1) / 2))
            i += 2
        else:
            i += 1
    if months and totals:
        months.append(("total", totals[-1]))
    return months


def _single_token_month(text: str) -> str | None:
    """`Nov-25`, `Nov'25`, `11/25` or `11/2025` as one token."""
    match = re.match(r"^([A-Za-z]{3,9})[-'.]+(\d{2}|\d{4})$", text)
    if match:
        return parse_month_year(match[1], match[2])
    return parse_short_month(text)


def _find_months(lines: list[Line]) -> tuple[int, list[tuple[str, float]], float | None]:
    """(line index, month columns, x of the Total column) of a section's month header."""
    for i, line in enumerate(lines):
        months = _month_columns(line)
        if months:
            total_x = months.pop()[1] if months[-1][0] == "total" else None
            return i, months, total_x
    return -1, [], None


def _by_month(
    values: list[tuple[Word, int | float]],
    months: list[tuple[str, float]],
    total_x: float | None = None,
) -> tuple[list, list]:
    """(one value or None per month, values after the month columns).

    With a value for every month and a total, by count; with blanks, each value goes to the
    month column nearest its centre and whatever lies past the last month is a total.
    """
    k = len(months)
    if len(values) >= k + 1 or not values or not months:
        return [v for _, v in values[:k]], [v for _, v in values[k:]]
    cells: list = [None] * k
    extra = []
    last_x = months[-1][1]
    step = (last_x - months[0][1]) / (k - 1) if k > 1 else 40.0
    boundary = (last_x + total_x) / 2 if total_x is not None else last_x + step / 2
    for word, value in values:
        if word.xc > boundary:
            extra.append(value)
            continue
        nearest = min(range(k), key=lambda j: abs(months[j][1] - word.xc))
        cells[nearest] = value
    return cells, extra


def _read(line: Line | None, months: list, total_x: float | None) -> tuple[list, list]:
    """A section line's values by month, and what follows the months (totals)."""
    return _by_month(_values(line.words), months, total_x) if line else ([], [])


def _at(values: list, j: int):
    return values[j] if j < len(values) else None


def _labelled(lines: list[Line], label: str) -> Line | None:
    for line in lines:
        if line.compact.startswith(label):
            return line
    return None


def _section1(lines: list[Line], pool: dict) -> None:
    text = " ".join(line.text for line in lines)
    multipliers = [
        round(float(number) / 100, 6) if percent else float(number)
        for number, percent in MULTIPLIER_RE.findall(text)
    ]
    if len(multipliers) >= 3:
        pool["multipliers"] = dict(
            zip(("time", "anes_base", "med_base"), multipliers[:3], strict=True)
        )
    for line in lines:
        values = _values(line.words)
        if len(values) >= 13:
            numbers = [v for _, v in values]
            section1 = {}
            for f, field in enumerate(SECTION1_FIELDS):
                group = numbers[4 * f : 4 * f + 4]
                section1[field] = dict(zip(SECTION1_PARTS, group, strict=True))
            pool["section1"] = section1
            pool["points"] = numbers[12]
            if pool["multipliers"] is None:
                pool["multipliers"] = _implied_multipliers(section1)
            return


def _implied_multipliers(section1: dict) -> dict | None:
    """Multipliers not printed in the header: points / total of each column, if all billed."""
    ratios = []
    for field in SECTION1_FIELDS:
        column = section1[field]
        if not column.get("total"):
            return None
        ratios.append(round(column["points"] / column["total"], 2))
    return dict(zip(("time", "anes_base", "med_base"), ratios, strict=True))


def _section2(lines: list[Line], pool: dict) -> None:
    at, months, total_x = _find_months(lines)
    if at < 0:
        return
    rest = lines[at + 1 :]
    valued = [ln for ln in rest if _values(ln.words) and not _percents(ln)]
    points_line = _labelled(rest, "points") or (valued[0] if valued else None)
    points, _ = _read(points_line, months, total_x)
    weights_line = next((ln for ln in rest if _percents(ln)), None)
    weights = _percents(weights_line) if weights_line is not None else []
    # the weighted points: the next line with values after the weights (or after the points)
    after = rest.index(weights_line) if weights_line is not None else -1
    adjusted_line = next(
        (ln for ln in rest[after + 1 :] if ln in valued and ln is not points_line), None
    )
    adjusted, extra = _read(adjusted_line, months, total_x)
    pool["adjusted"] = [
        {
            "month": month,
            "points": _at(points, j),
            "weight": _at(weights, j),
            "adjusted": _at(adjusted, j),
        }
        for j, (month, _) in enumerate(months)
    ]
    if extra:
        pool["adjusted_points"] = extra[0]


def _percents(line: Line) -> list[float]:
    """The weights of a `10% 15% 25% 40% 10% 100%` line."""
    weights = [parse_percent(w.text) for w in line.words if w.text.endswith("%")]
    return [w for w in weights if w is not None]


def _section3(lines: list[Line], pool: dict) -> None:
    at, months, total_x = _find_months(lines)
    if at < 0:
        return
    rest = lines[at + 1 :]
    rate_line = _labelled(rest, "pooledrate")
    rates, rate_extra = _read(rate_line, months, total_x)
    points_line = next((ln for ln in rest if ln is not rate_line and _values(ln.words)), None)
    points, extra = _read(points_line, months, total_x)
    pool["history"] = [
        {
            "month": month,
            "rate": _at(rates, j),
            "adjusted_points": _at(points, j),
        }
        for j, (month, _) in enumerate(months)
    ]
    pool["rate"] = rate_extra[0] if rate_extra else None
    if extra:
        # the current month's N is marked `(N)` before the totals: skip a repeat of it
        pool["pooled_points"] = extra[0]


def _section4(lines: list[Line], pool: dict) -> None:
    at, months, total_x = _find_months(lines)
    rest = lines[at + 1 :] if at >= 0 else lines
    line = _labelled(rest, "prioralloc") or next((ln for ln in rest if _values(ln.words)), None)
    values = [v for _, v in _values(line.words)] if line else []
    k = len(months)
    pool["prior_allocations"] = [
        {"month": month, "amount": _at(values, j)} for j, (month, _) in enumerate(months)
    ]
    if len(values) > k:
        pool["prior_allocation"] = values[k]
    elif line is not None and k == 0:
        pool["prior_allocation"] = values[0] if values else 0


def _section5(lines: list[Line], pool: dict) -> None:
    for line in lines:
        values = _values(line.words)
        if len(values) == 3:
            r, q, s = (v for _, v in values)
            pool["total_allocation"], pool["current_allocation"] = r, s
            pool.setdefault("prior_allocation", q)
            if pool.get("prior_allocation") is None:
                pool["prior_allocation"] = q
            return


def _section6(lines: list[Line], pool: dict) -> None:
    text = " ".join(line.text for line in lines if not _is_footer(line)).strip()
    pool["notes"] = text or None


def _is_footer(line: Line) -> bool:
    return bool(re.match(r"^page\d+(of\d+)?$", line.compact))


def _empty_pool() -> dict:
    return {
        "pool": None,
        "name": None,
        "multipliers": None,
        "points": None,
        "adjusted": [],
        "adjusted_points": None,
        "history": [],
        "rate": None,
        "pooled_points": None,
        "prior_allocations": [],
        "total_allocation": None,
        "prior_allocation": None,
        "current_allocation": None,
        "notes": None,
    }


def _read_sections(sections: dict[int, list[Line]], pool: dict) -> None:
    steps = (_section1, _section2, _section3, _section4, _section5, _section6)
    for number, step in enumerate(steps, start=1):
        if number in sections:
            step(sections[number], pool)


def parse_pool_page(page: Page) -> dict | None:
    """One F2 page into a contract `pools` entry (None for a page without a pool title)."""
    sections = _sections(page)
    pool = _empty_pool()
    for line in sections.get(0, []):
        match = POOL_RE.match(line.text)
        if match:
            pool["pool"], pool["name"] = match["code"], match["name"].strip()
        elif "allpools" in line.compact:
            pool["pool"], pool["name"] = "ALL", "TOTAL FOR ALL POOLS"
    if pool["pool"] is None:
        return None
    _read_sections(sections, pool)
    return pool


def _continue_pool(page: Page, pool: dict) -> None:
    """A pool's page ran over: fill what the first page lacked, and go on with its notes."""
    sections = _sections(page)
    more = _empty_pool()
    _read_sections(sections, more)
    for key, value in more.items():
        if key != "notes" and value not in (None, []) and pool.get(key) in (None, []):
            pool[key] = value
    if len(sections) == 1:  # no section titles: after the page header, all is notes
        lines = sections[0]
        start = next(
            (i + 1 for i, ln in enumerate(lines) if ln.text.lower().startswith("physician:")), 0
        )
        _section6(lines[start:], more)
    if more["notes"]:
        pool["notes"] = f"{pool['notes']} {more['notes']}" if pool["notes"] else more["notes"]


def parse_pools(pages: list[Page]) -> list[dict]:
    """One entry per pool title; a page without one continues the pool before it."""
    pools: list[dict] = []
    for page in pages:
        pool = parse_pool_page(page)
        if pool is not None:
            pools.append(pool)
        elif pools:
            _continue_pool(page, pools[-1])
    return pools
