"""Checks across months: does each packet agree with the packets of the months around it?

Run at import (and after a delete) for the packet and every stored packet whose figures
refer to its month: the previous month (YTD carry-over) and the twelve after it (F2
Sections 2–4 repeat earlier months' points, adjusted points, rates and payments). A packet
imported out of order is thus checked against both neighbours once they are there.
Results are stored with each packet (scope ``across_months``), replacing its earlier ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from analytics.periods import month_add
from asmg_calculator import AsmgCalculator
from case_grouper import calculator_from_rules
from data.models import CheckResult, Packet, PoolReport
from data.repositories import MonthlySummaryRepository

SCOPE = "across_months"
CENT_TOLERANCE = 0.02  # printed figures are rounded: a cent or two per line item
POINTS_TOLERANCE = 0.011


@dataclass
class Outcome:
    name: str
    ok: bool
    detail: str


def refresh_cross_month_checks(
    session: Session, packet: Packet | None, periods: Iterable[str] = ()
) -> int:
    """Recompute the across-months checks of ``packet`` and of the stored packets around it
    (and around each of ``periods``, for deletes). Returns how many packets were checked."""
    months = MonthlySummaryRepository(session)
    centres = set(periods) | ({packet.period} if packet is not None else set())
    if not centres:
        return 0
    start = month_add(min(centres), -1)
    end = month_add(max(centres), 12)
    stored = months.find_by_date_range(start, end)
    by_period: dict[str, Packet] = {}
    for candidate in months.find_by_date_range(month_add(start, -12), end):
        by_period.setdefault(candidate.period, candidate)
    targets = [
        p for p in stored if any(month_add(c, -1) <= p.period <= month_add(c, 12) for c in centres)
    ]
    calculator = calculator_from_rules(session)
    for target in targets:
        outcomes = cross_month_outcomes(target, by_period, calculator)
        kept = [check for check in target.check_results if check.scope != SCOPE]
        target.check_results = kept + [
            CheckResult(scope=SCOPE, name=o.name, ok=o.ok, detail=o.detail) for o in outcomes
        ]
    session.flush()
    return len(targets)


def refresh_all(session: Session) -> int:
    """Recompute the across-months checks of every stored packet (after a rule change)."""
    periods = [packet.period for packet in MonthlySummaryRepository(session).list_all()]
    return refresh_cross_month_checks(session, None, periods=periods)


def cross_month_outcomes(
    packet: Packet, by_period: dict[str, Packet], calculator: AsmgCalculator
) -> list[Outcome]:
    """Every across-months check of ``packet`` whose other month is stored, and whether its
    F2 multipliers are the points rule in force for its month."""
    outcomes: list[Outcome] = []
    rule = _multipliers_match_rules(packet, calculator)
    if rule is not None:
        outcomes.append(rule)
    previous = by_period.get(month_add(packet.period, -1))
    if previous is not None and previous.period[:4] == packet.period[:4]:
        outcomes.append(_ytd_carry_over(packet, previous))
    elif packet.period.endswith("-01"):
        outcomes.append(_ytd_starts_over(packet))
    outcomes.extend(_f2_history(packet, by_period))
    credit = _credits_point_back(packet, by_period)
    if credit is not None:
        outcomes.append(credit)
    return outcomes


def _multipliers_match_rules(packet: Packet, calculator: AsmgCalculator) -> Outcome | None:
    printed = next((p for p in packet.pool_reports if p.multiplier_time is not None), None)
    if printed is None:
        return None
    rule = calculator.multipliers_for(packet.period)
    values = (printed.multiplier_time, printed.multiplier_anes_base, printed.multiplier_med_base)
    expected = (rule.time, rule.anes_base, rule.med_base)
    shown = "/".join(f"{v:.2f}" for v in values)
    if all(abs(a - b) < 1e-9 for a, b in zip(values, expected, strict=True)):
        return Outcome("F2 multipliers = points rules", True, f"{shown} per min/anes/med unit")
    return Outcome(
        "F2 multipliers = points rules",
        False,
        f"the F2 of {packet.period} prints {shown} per min/anes/med unit but the points rules "
        f"give {'/'.join(f'{v:.2f}' for v in expected)}: add a rule from {packet.period} on the "
        "ASMG rules page so case points match the packet",
    )


def _money(value: float | None) -> str:
    return "blank" if value is None else f"{value:,.2f}"


def _keyed_lines(packet: Packet) -> dict[tuple, tuple[float | None, float | None]]:
    """Compensation and payroll lines by a key stable across months: (part, section, label);
    unlabelled subtotals by their order within the section."""
    keyed: dict[tuple, tuple[float | None, float | None]] = {}
    subtotal_counts: dict[str, int] = {}
    for line in packet.compensation_lines:
        if line.label is None:
            n = subtotal_counts.get(line.section, 0)
            subtotal_counts[line.section] = n + 1
            key = ("compensation", line.section, f"subtotal {n + 1}")
        else:
            key = ("compensation", line.section, line.label)
        keyed.setdefault(key, (line.period_to_date, line.year_to_date))
    for line in packet.payroll_lines:
        keyed.setdefault(("payroll", line.side, line.label), (line.current, line.ytd))
    return keyed


def _ytd_carry_over(packet: Packet, previous: Packet) -> Outcome:
    before = _keyed_lines(previous)
    differences: list[str] = []
    checked = 0
    for key, (current, ytd) in _keyed_lines(packet).items():
        if ytd is None:
            continue
        prior_ytd = (before.get(key) or (None, None))[1]
        expected = (prior_ytd or 0.0) + (current or 0.0)
        checked += 1
        if abs(expected - ytd) > CENT_TOLERANCE:
            label = key[2]
            differences.append(
                f"{label}: YTD {_money(ytd)}, expected {_money(expected)} "
                f"({_money(prior_ytd)} + {_money(current)})"
            )
    name = f"YTD carries over from {previous.period}"
    if differences:
        return Outcome(
            name,
            False,
            f"{len(differences)} of {checked} lines differ: " + "; ".join(differences[:8]),
        )
    return Outcome(name, True, f"all {checked} lines: YTD = previous YTD + this period")


def _ytd_starts_over(packet: Packet) -> Outcome:
    differences = [
        f"{key[2]}: YTD {_money(ytd)}, period {_money(current)}"
        for key, (current, ytd) in _keyed_lines(packet).items()
        if current is not None and ytd is not None and abs(current - ytd) > CENT_TOLERANCE
    ]
    name = "YTD starts over in January"
    if differences:
        return Outcome(
            name, False, f"{len(differences)} lines differ: " + "; ".join(differences[:8])
        )
    return Outcome(name, True, "every YTD equals its January amount")


def _pools(packet: Packet) -> dict[str, PoolReport]:
    return {report.pool: report for report in packet.pool_reports}


def _f2_history(packet: Packet, by_period: dict[str, Packet]) -> list[Outcome]:
    """Sections 2, 3 and 4 against the months they repeat, one outcome per section."""
    sections = {
        "F2 Section 2 points = earlier months' Section 1": [],
        "F2 Section 3 history = earlier months' adjusted points and rates": [],
        "F2 Section 4 prior allocations = earlier months' payments": [],
    }
    names = list(sections)
    compared = dict.fromkeys(names, 0)
    for report in packet.pool_reports:

        def other(month: str, pool: str = report.pool) -> PoolReport | None:
            source = by_period.get(month)
            return _pools(source).get(pool) if source is not None else None

        for row in report.adjusted:
            earlier = other(row.month) if row.month != packet.period else None
            if earlier is not None and row.points is not None:
                compared[names[0]] += 1
                if abs((earlier.points or 0.0) - row.points) > POINTS_TOLERANCE:
                    sections[names[0]].append(
                        f"{report.pool} {row.month}: {row.points:,.2f} "
                        f"here, {earlier.points or 0:,.2f} in its packet"
                    )
        for row in report.history:
            earlier = other(row.month) if row.month != packet.period else None
            if earlier is None:
                continue
            compared[names[1]] += 1
            if (
                row.adjusted_points is not None
                and abs((earlier.adjusted_points or 0.0) - row.adjusted_points) > POINTS_TOLERANCE
            ):
                sections[names[1]].append(
                    f"{report.pool} {row.month} adjusted points "
                    f"{row.adjusted_points:,.2f} here, "
                    f"{earlier.adjusted_points or 0:,.2f} in its packet"
                )
            if (
                row.rate is not None
                and earlier.rate is not None
                and abs(earlier.rate - row.rate) > 0.005
            ):
                sections[names[1]].append(
                    f"{report.pool} {row.month} rate {row.rate:.2f} here, "
                    f"{earlier.rate:.2f} in its packet"
                )
        for row in report.prior_allocations:
            earlier = other(row.month)
            if earlier is None or row.amount is None:
                continue
            compared[names[2]] += 1
            paid = earlier.current_allocation or 0.0
            if abs(paid - row.amount) > CENT_TOLERANCE:
                sections[names[2]].append(
                    f"{report.pool} {row.month}: {_money(row.amount)} "
                    f"listed, {_money(paid)} paid that month"
                )
    outcomes = []
    for name in names:
        if not compared[name]:
            continue
        problems = sections[name]
        detail = (
            f"{len(problems)} of {compared[name]} differ: " + "; ".join(problems[:8])
            if problems
            else f"all {compared[name]} figures match their own months"
        )
        outcomes.append(Outcome(name, not problems, detail))
    return outcomes


def _credits_point_back(packet: Packet, by_period: dict[str, Packet]) -> Outcome | None:
    """Lines moved from an earlier month (Original Chg Mo) must match a ticket charged then."""
    checked, missing = 0, []
    tickets_by_month: dict[str, set[str]] = {}
    for line in packet.charges:
        month = line.original_charge_month
        if not month or month not in by_period:
            continue
        if month not in tickets_by_month:
            tickets_by_month[month] = {c.ticket for c in by_period[month].charges}
        checked += 1
        if line.ticket not in tickets_by_month[month]:
            missing.append(f"ticket {line.ticket} (from {month})")
    if not checked:
        return None
    name = "Late lines and credits point back to earlier charges"
    if missing:
        return Outcome(
            name,
            False,
            f"{len(missing)} of {checked} have no charge in their "
            "original month: " + ", ".join(missing[:10]),
        )
    return Outcome(name, True, f"all {checked} match a charge in their original month")
