"""Cross-checks inside one packet (report-packet.md, "Cross-checks inside one packet").

The printed packet repeats most figures in two or three places (F3 lines and their totals, the
F3 pool summary and F2 Section 1, F2 allocations and the compensation report, ...). When an
extraction agrees with itself on all of them, a lost or misread line is very unlikely, so these
checks are the extractor's own proof of correctness. They work on the contract dict only, so
the generator can run them on its truth and the importer on stored packets.

Each check is `{"name", "ok", "detail"}`; a check whose inputs are missing is left out.
Tolerances follow the doc: printed figures are rounded, so recomputed sums may differ by a cent
or two per line item; the F3 charge total is printed in whole dollars.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

CENT = 0.01
# The same figure printed in two places: equal once both are read to the cent.
SAME = 0.005
# A sum of n printed (rounded) items may drift by half a cent per item, plus float noise.
PER_ITEM = 0.006

CLINICAL = "Clinical Compensation Subject to Overhead"
TOTAL_COMPENSATION = "Total Compensation"
OVERHEAD = "Overhead"
DEDUCTIONS_BEFORE_TAXES = "Deductions Before Taxes"
W2_INCOME = "W-2 Income"
TAXES_WITHHELD = "Employee Payroll Taxes Withheld"
AFTER_TAX_COMPENSATION = "After Tax Compensation"
AFTER_TAX_ITEMS = "After Tax Items"
NET_COMPENSATION = "Net Compensation/Net Pay"
ADMINISTRATIVE = "Administrative and Other Compensation Not Subject to Overhead"

CHARGE_TOTAL_FIELDS = {
    "anes_time_min": "min",
    "anes_base_units": "anes units",
    "med_base_units": "med units",
    "other_units": "other units",
    "sub_pool_time_min": "sub-pool min",
    "sub_pool_anes_base": "sub-pool anes units",
    "sub_pool_med_base": "sub-pool med units",
    "group_pool_time_min": "group-pool min",
    "group_pool_anes_base": "group-pool anes units",
    "group_pool_med_base": "group-pool med units",
}
POOL_SUMMARY_SOURCES = {
    "anes_time_min": "sub_pool_time_min",
    "anes_base_units": "sub_pool_anes_base",
    "med_base_units": "sub_pool_med_base",
    "other_units": "other_units",
}


def _num(value: Any) -> float:
    """A blank cell counts as zero in sums."""
    return float(value) if value is not None else 0.0


def _fmt(value: float) -> str:
    return f"{value:,.2f}"


def _check(name: str, differences: list[str], agreed: str) -> dict:
    ok = not differences
    return {"name": name, "ok": ok, "detail": agreed if ok else "; ".join(differences)}


def _compare(label: str, expected: float, actual: float, tolerance: float) -> str | None:
    """One line saying what differed, or None when within tolerance."""
    if abs(expected - actual) <= tolerance + 1e-9:
        return None
    return f"{label}: {_fmt(actual)} vs {_fmt(expected)} (off by {_fmt(actual - expected)})"


def _sums_vs_printed(
    lines: list[dict], printed: dict, fields: dict[str, tuple[str, str]], tolerance: float
) -> list[str]:
    """For each printed field (source column, label): the sum of the lines' source column."""
    differences = []
    for field, (source, label) in fields.items():
        if printed.get(field) is None:
            continue
        line_sum = sum(_num(line.get(source)) for line in lines)
        diff = _compare(label, float(printed[field]), line_sum, tolerance)
        if diff:
            differences.append(diff)
    return differences


def _charge_totals(packet: dict) -> list[dict]:
    totals = packet.get("charge_totals")
    if not totals:
        return []
    charges = packet.get("charges") or []
    tolerance = PER_ITEM * max(len(charges), 1)
    fields = {field: (field, f"{label} lines sum") for field, label in CHARGE_TOTAL_FIELDS.items()}
    differences = _sums_vs_printed(charges, totals, fields, tolerance)
    if totals.get("charge_amount") is not None:
        line_sum = sum(_num(c.get("charge_amount")) for c in charges)
        diff = _compare("charged lines sum", float(totals["charge_amount"]), line_sum, 1.0)
        if diff:
            differences.append(diff)
    agreed = (
        f"{len(charges)} lines: {_num(totals.get('anes_time_min')):g} min, "
        f"{_num(totals.get('anes_base_units')):.2f} anes units, "
        f"{_num(totals.get('charge_amount')):,.2f} charged"
    )
    return [_check("charge totals", differences, agreed)]


def _pool_summary(packet: dict) -> list[dict]:
    charges = packet.get("charges") or []
    results = []
    for row in packet.get("pool_summary") or []:
        pool = row.get("pool")
        lines = [c for c in charges if c.get("sub_pool") == pool]
        tolerance = PER_ITEM * max(len(lines), 1)
        fields = {
            field: (source, f"{field} of {len(lines)} lines")
            for field, source in POOL_SUMMARY_SOURCES.items()
        }
        differences = _sums_vs_printed(lines, row, fields, tolerance)
        agreed = f"{len(lines)} lines credited to {pool} match its summary row"
        results.append(_check(f"pool summary {pool}", differences, agreed))
    return results


def _pool_pages(packet: dict) -> list[dict]:
    return [p for p in packet.get("pools") or [] if p.get("pool") not in (None, "ALL")]


def _f2_section1(packet: dict) -> list[dict]:
    summary = {row.get("pool"): row for row in packet.get("pool_summary") or []}
    results = []
    for pool in _pool_pages(packet):
        section1 = pool.get("section1")
        if not section1:
            continue
        code = pool["pool"]
        row = summary.get(code)
        if row is None:
            if packet.get("pool_summary"):
                actual = {
                    k: _num((section1.get(k) or {}).get("actual")) for k in POOL_SUMMARY_SOURCES
                }
                empty = all(abs(v) < CENT for v in actual.values())
                detail = (
                    f"pool {code} has no F3 summary row"
                    if not empty
                    else f"pool {code} billed nothing this month and has no F3 summary row"
                )
                results.append({"name": f"F2 section 1 {code}", "ok": empty, "detail": detail})
            continue
        differences = []
        for field in ("anes_time_min", "anes_base_units", "med_base_units"):
            column = section1.get(field) or {}
            if column.get("actual") is None or row.get(field) is None:
                continue
            diff = _compare(f"{field} actual", float(row[field]), float(column["actual"]), SAME)
            if diff:
                differences.append(diff)
        results.append(
            _check(f"F2 section 1 {code}", differences, f"{code} Section 1 matches the F3 summary")
        )
    return results


def _section1_points(pool: dict) -> float | None:
    """M recomputed from Section 1: the printed D + H + L, or totals times multipliers."""
    section1 = pool.get("section1")
    if not section1:
        return None
    fields = ("anes_time_min", "anes_base_units", "med_base_units")
    columns = [section1.get(f) or {} for f in fields]
    if all(c.get("points") is not None for c in columns):
        return sum(float(c["points"]) for c in columns)
    multipliers = pool.get("multipliers") or {}
    keys = ("time", "anes_base", "med_base")
    if all(c.get("total") is not None for c in columns) and all(
        multipliers.get(k) is not None for k in keys
    ):
        return sum(
            float(c["total"]) * float(multipliers[k]) for c, k in zip(columns, keys, strict=True)
        )
    return None


def _f2_section2(packet: dict) -> list[dict]:
    period = packet.get("period")
    results = []
    for pool in _pool_pages(packet) + [
        p for p in packet.get("pools") or [] if p.get("pool") == "ALL"
    ]:
        code = pool.get("pool")
        adjusted = pool.get("adjusted") or []
        differences = []
        computed = _section1_points(pool)
        if computed is not None and pool.get("points") is not None:
            diff = _compare("M vs Section 1 D+H+L", computed, float(pool["points"]), 2 * CENT)
            if diff:
                differences.append(diff)
        if computed is None:
            computed = pool.get("points")
        current = [a for a in adjusted if a.get("month") == period]
        if computed is not None and current:
            diff = _compare(
                f"Section 2 {period} points",
                float(computed),
                _num(current[0].get("points")),
                2 * CENT,
            )
            if diff:
                differences.append(diff)
        elif computed is not None and adjusted and abs(float(computed)) >= CENT:
            differences.append(f"Section 2 has no column for {period} though M = {_fmt(computed)}")
        for entry in adjusted:
            if entry.get("weight") is None or entry.get("adjusted") is None:
                continue
            expected = _num(entry.get("points")) * float(entry["weight"])
            diff = _compare(
                f"{entry.get('month')} weighted", expected, float(entry["adjusted"]), 2 * CENT
            )
            if diff:
                differences.append(diff)
        if adjusted and pool.get("adjusted_points") is not None:
            weighted = sum(_num(a.get("adjusted")) for a in adjusted)
            tolerance = 2 * CENT * len(adjusted)
            diff = _compare(
                "N vs sum of weighted months", weighted, float(pool["adjusted_points"]), tolerance
            )
            if diff:
                differences.append(diff)
        if computed is None and not adjusted:
            continue
        results.append(_check(f"F2 section 2 {code}", differences, f"{code} M and N agree"))
    return results


def _f2_allocation(packet: dict) -> list[dict]:
    """Sections 3 to 5: P = sum of history, Q = sum of prior allocations, S = R - Q, R = O * P."""
    results = []
    for pool in packet.get("pools") or []:
        code = pool.get("pool")
        differences = []
        history = pool.get("history") or []
        if history and pool.get("pooled_points") is not None:
            total = sum(_num(h.get("adjusted_points")) for h in history)
            diff = _compare(
                "P vs sum of 12 months",
                total,
                float(pool["pooled_points"]),
                2 * CENT * len(history),
            )
            if diff:
                differences.append(diff)
        priors = pool.get("prior_allocations")
        if priors is not None and pool.get("prior_allocation") is not None:
            total = sum(_num(p.get("amount")) for p in priors)
            diff = _compare(
                "Q vs sum of prior allocations",
                total,
                float(pool["prior_allocation"]),
                CENT * max(len(priors), 1),
            )
            if diff:
                differences.append(diff)
        r, q, s = (
            pool.get(k) for k in ("total_allocation", "prior_allocation", "current_allocation")
        )
        if None not in (r, q, s):
            diff = _compare("S vs R - Q", float(r) - float(q), float(s), 2 * CENT)
            if diff:
                differences.append(diff)
        rate, points = pool.get("rate"), pool.get("pooled_points")
        if None not in (rate, points, r):
            # O is printed to the cent, so R = O * P only to within half a cent per point.
            tolerance = 0.005 * abs(float(points)) + 2 * CENT
            diff = _compare("R vs O * P", float(rate) * float(points), float(r), tolerance)
            if diff:
                differences.append(diff)
        if not differences and None in (r, q, s) and not history:
            continue
        results.append(_check(f"F2 allocation {code}", differences, f"{code} P, Q, R and S agree"))
    return results


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _label_matches_pool(label: str, pool: dict) -> float:
    """How well a clinical line label names a pool: the share of label words found in the pool.

    Labels are cut at a fixed width, so a label word may be a prefix of a pool word; the pool
    code (`UTCS`) also counts as a word of the pool.
    """
    label_words = _words(label)
    if not label_words:
        return 0.0
    pool_words = _words(pool.get("name") or "") + _words(pool.get("pool") or "")
    found = sum(
        1
        for w in label_words
        if any(p == w or (len(w) >= 3 and p.startswith(w)) for p in pool_words)
    )
    return found / len(label_words)


def _clinical_lines(packet: dict) -> list[dict]:
    compensation = packet.get("compensation") or {}
    return [
        line
        for line in compensation.get("lines") or []
        if line.get("section") == CLINICAL and not line.get("subtotal") and line.get("label")
    ]


def _clinical_vs_pools(packet: dict) -> list[dict]:
    lines = _clinical_lines(packet)
    if not packet.get("compensation"):
        return []
    results = []
    taken: set[int] = set()
    pools = sorted(_pool_pages(packet), key=lambda p: -len(_words(p.get("name") or "")))
    for pool in pools:
        s = pool.get("current_allocation")
        if s is None:
            continue
        code = pool["pool"]
        scored = [
            (_label_matches_pool(line["label"], pool), i)
            for i, line in enumerate(lines)
            if i not in taken
        ]
        scored = [(score, i) for score, i in scored if score >= 0.6]
        name = f"clinical line {code}"
        if not scored:
            ok = abs(float(s)) < CENT
            detail = f"no clinical line names pool {code} ({pool.get('name')}); its S is {_fmt(s)}"
            results.append({"name": name, "ok": ok, "detail": detail})
            continue
        # Best match; among equals the one whose amount agrees (two lines may share words).
        best = max(
            scored, key=lambda si: (si[0], abs(_num(lines[si[1]].get("period_to_date")) - s) < CENT)
        )
        taken.add(best[1])
        line = lines[best[1]]
        diff = _compare(
            f"'{line['label']}' period to date", float(s), _num(line.get("period_to_date")), SAME
        )
        results.append(_check(name, [diff] if diff else [], f"'{line['label']}' = S of {code}"))
    return results


def _section_lines(lines: Iterable[dict], section: str) -> list[dict]:
    return [line for line in lines if line.get("section") == section]


def _subtotal_of(lines: list[dict], section: str) -> dict | None:
    """The section's (last) subtotal line, or for a stand-alone total section its only line."""
    own = _section_lines(lines, section)
    subtotals = [line for line in own if line.get("subtotal")]
    if subtotals:
        return subtotals[-1]
    if len(own) == 1:
        return own[0]
    return None


def _section_subtotals(packet: dict) -> list[dict]:
    compensation = packet.get("compensation") or {}
    lines = compensation.get("lines") or []
    results = []
    sections: list[str] = []
    for line in lines:
        if line.get("section") not in sections:
            sections.append(line.get("section"))
    for section in sections:
        own = _section_lines(lines, section)
        if not any(line.get("subtotal") for line in own):
            continue
        differences = []
        pending: list[dict] = []
        for line in own:
            if not line.get("subtotal"):
                pending.append(line)
                continue
            for column in ("period_to_date", "year_to_date"):
                total = sum(_num(item.get(column)) for item in pending)
                tolerance = PER_ITEM * max(len(pending), 1)
                diff = _compare(column.replace("_", " "), _num(line.get(column)), total, tolerance)
                if diff:
                    differences.append(diff)
            pending = []
        results.append(_check(f"subtotal {section}", differences, f"{section} adds up"))
    return results


def _formula(packet: dict, name: str, result: str, terms: list[tuple[int, str]]) -> list[dict]:
    """result = sum(sign * term), in both columns, over section subtotals / total lines."""
    compensation = packet.get("compensation") or {}
    lines = compensation.get("lines") or []
    result_line = _subtotal_of(lines, result)
    term_lines = [(sign, _subtotal_of(lines, section)) for sign, section in terms]
    if result_line is None or any(line is None for _, line in term_lines):
        return []
    differences = []
    for column in ("period_to_date", "year_to_date"):
        computed = sum(sign * _num(line.get(column)) for sign, line in term_lines)
        diff = _compare(column.replace("_", " "), computed, _num(result_line.get(column)), 2 * CENT)
        if diff:
            differences.append(diff)
    formula = " ".join(("+ " if sign > 0 else "- ") + section for sign, section in terms)[2:]
    return [_check(name, differences, f"{result} = {formula}")]


def _find_line(packet: dict, section: str, label_start: str) -> dict | None:
    """The first line whose label starts with label_start, preferring one in `section`."""
    compensation = packet.get("compensation") or {}
    found = [
        line
        for line in compensation.get("lines") or []
        if (line.get("label") or "").lower().startswith(label_start.lower())
    ]
    in_section = [line for line in found if line.get("section") == section]
    return (in_section or found or [None])[0]


def _net_pay(packet: dict) -> list[dict]:
    payroll = packet.get("payroll") or {}
    net = payroll.get("net_pay")
    line = _find_line(packet, NET_COMPENSATION, "Net Compensation")
    if not net or line is None:
        return []
    differences = []
    for stub_key, report_key in (("current", "period_to_date"), ("ytd", "year_to_date")):
        if net.get(stub_key) is None:
            continue
        diff = _compare(f"stub {stub_key}", _num(line.get(report_key)), float(net[stub_key]), SAME)
        if diff:
            differences.append(diff)
    agreed = f"net pay {_fmt(_num(net.get('current')))} on both"
    return [_check("net pay", differences, agreed)]


def _expense_total(packet: dict) -> list[dict]:
    expenses = packet.get("expenses")
    if not expenses or expenses.get("total") is None:
        return []
    total = float(expenses["total"])
    differences = []
    items = expenses.get("lines") or []
    if items:
        diff = _compare(
            "expense lines sum", total, sum(_num(i.get("amount")) for i in items), CENT * len(items)
        )
        if diff:
            differences.append(diff)
    line = _find_line(packet, DEDUCTIONS_BEFORE_TAXES, "Business Expense")
    if line is not None:
        diff = _compare("Business Expense line", total, _num(line.get("period_to_date")), SAME)
        if diff:
            differences.append(diff)
    elif packet.get("compensation") and abs(total) >= CENT:
        differences.append(f"no Business Expense line on the compensation report for {_fmt(total)}")
    if not items and line is None:
        return []
    return [_check("expense total", differences, f"expenses {_fmt(total)} on both")]


def compute_checks(packet: dict) -> list[dict]:
    """Every cross-check of report-packet.md over a contract dict: [{"name", "ok", "detail"}]."""
    checks: list[dict] = []
    checks += _charge_totals(packet)
    checks += _pool_summary(packet)
    checks += _f2_section1(packet)
    checks += _f2_section2(packet)
    checks += _f2_allocation(packet)
    checks += _clinical_vs_pools(packet)
    checks += _formula(
        packet,
        "W-2 income",
        W2_INCOME,
        [(1, TOTAL_COMPENSATION), (-1, OVERHEAD), (-1, DEDUCTIONS_BEFORE_TAXES)],
    )
    checks += _section_subtotals(packet)
    checks += _formula(
        packet, "total compensation", TOTAL_COMPENSATION, [(1, CLINICAL), (1, ADMINISTRATIVE)]
    )
    checks += _formula(
        packet,
        "after tax compensation",
        AFTER_TAX_COMPENSATION,
        [(1, W2_INCOME), (-1, TAXES_WITHHELD)],
    )
    checks += _formula(
        packet,
        "net compensation",
        NET_COMPENSATION,
        [(1, AFTER_TAX_COMPENSATION), (-1, AFTER_TAX_ITEMS)],
    )
    checks += _net_pay(packet)
    checks += _expense_total(packet)
    return checks
