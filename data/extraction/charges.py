"""Part 3, the F3 charge transactions: one line per charge, then totals and a pool summary.

Blank cells print nothing, so a line has a varying number of tokens. Each line is read by the
shape of its cells rather than by fixed columns: the two adjacent dates (service, post) anchor
it; right before them stand pay code, CPT, service type and site (and the optional times and
original charge month), so what lies between ticket and site is the patient name however long
it is. After the dates come an optional OB position and split %, then fixed numeric groups
around the sub-pool and group-pool codes. Only the Note letter needs an x position: it is told
from a one-letter first name word by where the page's names start.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from data.extraction.pages import Line, Page, Word
from data.extraction.tokens import (
    parse_amount,
    parse_date,
    parse_month_year,
    parse_short_month,
    parse_time,
)

NOTES = {"S", "B", "M", "D", "Z"}
OB_POSITIONS = {"S", "E", "SE", "M"}
SERVICE_TYPES = {"An", "Me", "CP", "CC", "Mo", "NP"}
AFTER_DATES = (
    "anes_time_min",
    "anes_base_units",
    "med_base_units",
    "other_units",
    "charge_amount",
)
SUB_POOL = ("sub_pool_percent", "sub_pool_time_min", "sub_pool_anes_base", "sub_pool_med_base")
GROUP_POOL = (
    "group_pool_percent",
    "group_pool_time_min",
    "group_pool_anes_base",
    "group_pool_med_base",
)
TOTALS = (
    "anes_time_min",
    "anes_base_units",
    "med_base_units",
    "other_units",
    "charge_amount",
    "sub_pool_time_min",
    "sub_pool_anes_base",
    "sub_pool_med_base",
    "group_pool_time_min",
    "group_pool_anes_base",
    "group_pool_med_base",
)
SUMMARY = ("anes_time_min", "anes_base_units", "med_base_units", "other_units")


def _is_charge_line(words: list[Word]) -> bool:
    """A ticket number first, and not a line of numbers only (a totals line of 5-digit
    minutes printed without separators starts with digits too)."""
    if not words or not (words[0].text.isdigit() and len(words[0].text) >= 5):
        return False
    return any(parse_amount(w.text) is None for w in words[1:])


def _date_pair(tokens: list[str]) -> int | None:
    for i in range(1, len(tokens) - 1):
        if parse_date(tokens[i]) and parse_date(tokens[i + 1]):
            return i
    return None


@dataclass(slots=True)
class _PageGeometry:
    """Where this page's patient names start (x), to tell a Note letter from a name word."""

    name_x0: float | None
    note_x1: float | None


def _geometry(page: Page, data_lines: list[Line]) -> _PageGeometry:
    note_x1 = None
    name_header = None
    for word in page.vertical_words:
        if word.text.lower() in ("note", "eton"):
            note_x1 = word.x1
    for line in page.lines:
        for word in line.words:
            if word.text.lower() == "note" and note_x1 is None and not word.text.endswith(":"):
                note_x1 = word.x1
            if word.text.lower() == "patient" and name_header is None:
                name_header = word.x0
    starts = []
    for line in data_lines:
        words = line.words
        if len(words) > 2 and not _is_note_text(words[1].text):
            starts.append(round(words[1].x0, 1))
    name_x0 = statistics.median(starts) if starts else name_header
    return _PageGeometry(name_x0, note_x1)


def _is_note_text(text: str) -> bool:
    """`B`, or a combination such as `BM`: letters of the Note legend only."""
    return 0 < len(text) <= 3 and all(ch in NOTES for ch in text)


def _has_note(words: list[Word], geometry: _PageGeometry) -> bool:
    if len(words) < 3 or not _is_note_text(words[1].text):
        return False
    word = words[1]
    if geometry.name_x0 is not None:
        return word.x0 < geometry.name_x0 - 0.3 * word.height
    if geometry.note_x1 is not None:
        return word.x0 < geometry.note_x1 + 0.3 * word.height
    return True


def _numbers(tokens: list[str]) -> list | None:
    values = [parse_amount(t) for t in tokens]
    return None if any(v is None for v in values) else values


def _parse_tail(tokens: list[str], charge: dict) -> bool:
    """Everything after the date of post; False if the cells do not fit the F3 shape."""
    i = 0
    if i < len(tokens) and tokens[i] in OB_POSITIONS and parse_amount(tokens[i]) is None:
        charge["ob_case_position"] = tokens[i]
        i += 1
    codes = [j for j in range(i, len(tokens)) if parse_amount(tokens[j]) is None]
    if codes:
        sub_at = codes[0]
        head = _numbers(tokens[i:sub_at])
        charge["sub_pool"] = tokens[sub_at]
        rest_tokens = tokens[sub_at + 1 :]
        group_codes = codes[1:]
    else:  # no pool code printed: split the run of numbers by count
        run = _numbers(tokens[i:])
        if run is None or len(run) not in (13, 14):
            return False
        cut = len(run) - 8
        head, rest = run[:cut], run[cut:]
        rest_tokens = [tokens[i + cut + j] for j in range(len(rest))]
        group_codes = []
    if head is None or len(head) not in (5, 6):
        return False
    if len(head) == 6:
        charge["split_percent"] = head[0]
        head = head[1:]
    charge.update(zip(AFTER_DATES, head, strict=True))
    if group_codes:
        group_at = group_codes[0] - (len(tokens) - len(rest_tokens))
        sub_values = _numbers(rest_tokens[:group_at])
        group_values = _numbers(rest_tokens[group_at + 1 :])
        charge["group_pool"] = rest_tokens[group_at]
        if sub_values is None or group_values is None:
            return False
        if len(sub_values) != 4 or len(group_values) != 4:
            return False
    else:
        values = _numbers(rest_tokens)
        if values is None or len(values) != 8:
            return False
        sub_values, group_values = values[:4], values[4:]
    charge.update(zip(SUB_POOL, sub_values, strict=True))
    charge.update(zip(GROUP_POOL, group_values, strict=True))
    return True


def _looks_like_cpt(token: str) -> bool:
    """`27447`, `0213T`: five characters, mostly digits (pay codes are letters)."""
    return len(token) == 5 and sum(ch.isdigit() for ch in token) >= 4


def _empty_charge(ticket: str, page: int) -> dict:
    charge = {
        "ticket": ticket,
        "note": None,
        "patient_name": None,
        "original_charge_month": None,
        "site_code": None,
        "service_type": None,
        "cpt_code": None,
        "pay_code": None,
        "start_time": None,
        "stop_time": None,
        "date_of_service": None,
        "date_of_post": None,
        "ob_case_position": None,
        "split_percent": None,
    }
    charge.update(dict.fromkeys(AFTER_DATES))
    charge["sub_pool"] = None
    charge.update(dict.fromkeys(SUB_POOL))
    charge["group_pool"] = None
    charge.update(dict.fromkeys(GROUP_POOL))
    charge["page"] = page
    return charge


def parse_charge_line(words: list[Word], geometry: _PageGeometry, page: int) -> dict | None:
    """One F3 data line (ticket first) into a contract charge; None if it does not fit."""
    tokens = [w.text for w in words]
    at = _date_pair(tokens)
    if at is None:
        return None
    charge = _empty_charge(tokens[0], page)
    charge["date_of_service"] = parse_date(tokens[at])
    charge["date_of_post"] = parse_date(tokens[at + 1])
    if not _parse_tail(tokens[at + 2 :], charge):
        return None
    end = at
    times = []
    while end > 1 and parse_time(tokens[end - 1]) and len(times) < 2:
        times.insert(0, parse_time(tokens[end - 1]))
        end -= 1
    if times:
        charge["start_time"] = times[0]
        charge["stop_time"] = times[1] if len(times) > 1 else None
    # pay code, CPT, service type, site: the four cells right before the times
    if end < 4:
        return None
    service_at = end - 3
    if tokens[service_at] not in SERVICE_TYPES:
        # a blank CPT or pay code: the service type is one or two cells before the times
        known = [i for i in (end - 2, end - 1) if tokens[i] in SERVICE_TYPES and i > 1]
        if known:
            service_at = known[0]
    if service_at < 2:
        return None
    between = tokens[service_at + 1 : end]
    if len(between) == 2:
        charge["cpt_code"], charge["pay_code"] = between
    elif len(between) == 1 and _looks_like_cpt(between[0]):
        charge["cpt_code"] = between[0]
    elif len(between) == 1:
        charge["pay_code"] = between[0]
    charge["service_type"] = tokens[service_at]
    site_at = service_at - 1
    charge["site_code"] = tokens[site_at]
    name_end = site_at
    if name_end > 1 and parse_short_month(tokens[name_end - 1]):
        charge["original_charge_month"] = parse_short_month(tokens[name_end - 1])
        name_end -= 1
    name_start = 1
    if _has_note(words, geometry) and name_end > 2:
        charge["note"] = tokens[1]
        name_start = 2
    name = " ".join(tokens[name_start:name_end]).strip()
    charge["patient_name"] = name or None
    return charge


def _data_lines(page: Page) -> list[Line]:
    return [line for line in page.lines if _is_charge_line(line.words)]


def _is_totals(line: Line) -> list | None:
    words = [w.text for w in line.words if w.text.lower() not in ("total:", "total", "totals:")]
    values = _numbers(words) if words else None
    return values if values is not None and len(values) >= 5 else None


def parse_charges(pages: list[Page]) -> tuple[list[dict], dict | None, list[dict], dict]:
    """(charges, charge_totals, pool_summary, info with the period).

    The totals are the last all-number line of the report (a writer may print page subtotals
    before it); pool summary rows follow the first such line.
    """
    charges: list[dict] = []
    totals: list[list] = []
    summary: list[dict] = []
    info: dict = {}
    for page in pages:
        _period(page, info)
        data_lines = _data_lines(page)
        geometry = _geometry(page, data_lines)
        pending: list[Word] | None = None
        joined = 0
        last: dict | None = None
        for line in page.lines:
            words = line.words
            if _is_charge_line(words):
                pending, last = _take(words, geometry, page.number, charges)
                joined = 0
                continue
            if pending is not None and joined < 2:  # a wrapped line whose cells continue below
                merged = parse_charge_line(pending + words, geometry, page.number)
                joined += 1
                if merged is not None:
                    charges.append(merged)
                    pending, last = None, merged
                    continue
                if _is_totals(line) is None:
                    pending = pending + words
                    continue
            values = _is_totals(line)
            if values is not None:
                totals.append(values)
                pending = last = None
                continue
            if totals:
                row = _summary_row(words)
                if row:
                    summary.append(row)
                    continue
            if last is not None and _is_name_continuation(words, last, geometry):
                last["patient_name"] = _join_wrapped(last["patient_name"] or "", line.text)
            else:
                last = None  # a wrapped name continues right under its line, nowhere else
    charge_totals = dict(zip(TOTALS, totals[-1], strict=False)) if totals else None
    return charges, charge_totals, summary, info


def _take(words: list[Word], geometry, page: int, charges: list[dict]):
    charge = parse_charge_line(words, geometry, page)
    if charge is None:
        return words, None
    charges.append(charge)
    return None, charge


def _is_name_continuation(words: list[Word], last: dict, geometry: _PageGeometry) -> bool:
    """A wrapped patient name: letters only, starting in the name column."""
    if any(parse_amount(w.text) is not None or parse_date(w.text) for w in words):
        return False
    if geometry.name_x0 is None:
        return False
    return abs(words[0].x0 - geometry.name_x0) < 2 * words[0].height


def _join_wrapped(first: str, rest: str) -> str:
    """A name wrapped at a space gets its space back; one cut inside a word does not.

    A cut inside a word leaves a one-word first part and a continuation in lower case (name
    words start with a capital); anything else was wrapped at a space.
    """
    if " " not in first.strip() and rest[:1].islower():
        return first + rest
    return f"{first} {rest}".strip()


def _summary_row(words: list[Word]) -> dict | None:
    """`UTC SURGICAL CENTER 9,395.00 611.00 301.00 4.0 UTCS`."""
    if len(words) < 6 or parse_amount(words[-1].text) is not None:
        return None
    values = _numbers([w.text for w in words[-5:-1]])
    name_words = words[:-5]
    if values is None or not name_words:
        return None
    if any(parse_amount(w.text) is not None for w in name_words[:1]):
        return None
    row = {"pool": words[-1].text, "name": " ".join(w.text for w in name_words)}
    row.update(zip(SUMMARY, values, strict=True))
    return row


def _period(page: Page, info: dict) -> None:
    for line in page.lines[:6]:
        tokens = [w.text for w in line.words]
        for first, second in zip(tokens, tokens[1:], strict=False):
            month = parse_month_year(first.rstrip(","), second)
            if month:
                info.setdefault("period", month)
                return
