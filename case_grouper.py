"""Group charge lines into master cases: one case per ticket, across every packet.

A ticket's lines can post in different months (late lines, credits), so a case is
rebuilt from all of its lines whenever any packet that touches it is imported, replaced
or deleted, and every case is rebuilt when a points rule changes. Regrouping is
idempotent: running it twice gives the same cases.

Points: each line earns points at the multipliers in force in its posting month (a
credit of an earlier charge at those of its original charge month), from
``asmg_calculator``'s dated rules, over the minutes and units credited to its pools, so
the points of the lines posted in a month add up to that month's F2 (M).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from asmg_calculator import AsmgCalculator, DatedRule, Multipliers
from data.models import ChargeTransaction, MasterCase
from data.repositories import (
    SUMMED_COLUMNS,
    AsmgRuleRepository,
    ChargeTransactionRepository,
    MasterCaseRepository,
)

BATCH_SIZE = 500


def calculator_from_rules(session: Session) -> AsmgCalculator:
    """The points calculator for the rules stored in the database."""
    rules = [
        DatedRule(
            rule.effective_date,
            Multipliers(rule.time_multiplier, rule.anes_base_multiplier, rule.med_base_multiplier),
            rule.description or "",
        )
        for rule in AsmgRuleRepository(session).list_all()
    ]
    return AsmgCalculator(rules or None)


def line_points(line: ChargeTransaction, calculator: AsmgCalculator) -> float:
    """Points of one line: its sub-pool and group-pool minutes and units at its rule."""
    time = (line.sub_pool_time_min or 0.0) + (line.group_pool_time_min or 0.0)
    anes = (line.sub_pool_anes_base or 0.0) + (line.group_pool_anes_base or 0.0)
    med = (line.sub_pool_med_base or 0.0) + (line.group_pool_med_base or 0.0)
    return calculator.line_points(
        anes_time_min=time,
        anes_base_units=anes,
        med_base_units=med,
        date_of_post=line.date_of_post,
        charge_amount=line.charge_amount,
        original_charge_month=line.original_charge_month,
    )


@dataclass
class RegroupResult:
    """How many cases a regrouping created, changed, left alone and removed."""

    created: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0

    @property
    def touched(self) -> int:
        return self.created + self.changed + self.removed


_TOTALS = ("line_count", *SUMMED_COLUMNS)


def _case_values(lines: Sequence[ChargeTransaction], calculator: AsmgCalculator) -> dict:
    """A case's fields from all of its lines (ordered by post date, then position)."""
    values: dict = {key: 0.0 for key in _TOTALS}
    values["line_count"] = len(lines)
    cpts: list[str] = []
    for line in lines:
        values["anes_time_min"] += line.anes_time_min or 0.0
        values["anes_base_units"] += line.anes_base_units or 0.0
        values["med_base_units"] += line.med_base_units or 0.0
        values["other_units"] += line.other_units or 0.0
        line.points = round(line_points(line, calculator), 6)
        values["points"] += line.points
        if line.cpt_code and line.cpt_code not in cpts:
            cpts.append(line.cpt_code)
    values["charge_amount"] = _case_charge(lines)
    anesthesia = [line for line in lines if line.service_type == "An"] or list(lines)
    starts = sorted(line.start_time for line in lines if line.start_time)
    services = [line.date_of_service for line in lines if line.date_of_service]
    posts = [line.date_of_post for line in lines if line.date_of_post]
    values.update(
        patient_name=next((line.patient_name for line in lines if line.patient_name), None),
        date_of_service=min(services) if services else None,
        first_start_time=starts[0] if starts else None,
        cpt_codes=",".join(cpts) or None,
        primary_cpt=anesthesia[0].cpt_code,
        pay_code=anesthesia[0].pay_code,
        sub_pool=anesthesia[0].sub_pool,
        first_post_date=min(posts) if posts else None,
        last_post_date=max(posts) if posts else None,
    )
    for key in ("anes_time_min", "anes_base_units", "med_base_units", "other_units", "points"):
        values[key] = round(values[key], 6)
    return values


def _case_charge(lines: Sequence[ChargeTransaction]) -> float:
    """The case's charges. The segments of a split anesthesia case (note ``B``) each repeat
    the whole case's charge, so within one posting the repeats count once."""
    total = 0.0
    seen_split: set[tuple] = set()
    for line in lines:
        amount = line.charge_amount or 0.0
        if line.split_percent is not None and line.service_type == "An":
            key = (line.packet_id, line.cpt_code, amount)
            if key in seen_split:
                continue
            seen_split.add(key)
        total += amount
    return round(total, 2)


class CaseGrouper:
    """Builds ``MasterCase`` rows from charge lines, inside the caller's transaction."""

    def __init__(self, session: Session, calculator: AsmgCalculator | None = None) -> None:
        self.session = session
        self.calculator = calculator or calculator_from_rules(session)
        self.charges = ChargeTransactionRepository(session)
        self.cases = MasterCaseRepository(session)

    def regroup(self, tickets: Iterable[str]) -> RegroupResult:
        """Rebuild the cases of ``tickets`` from their stored lines (removing cases whose
        lines are all gone), in batches."""
        result = RegroupResult()
        ordered = sorted(set(tickets))
        for start in range(0, len(ordered), BATCH_SIZE):
            self._regroup_batch(ordered[start : start + BATCH_SIZE], result)
        self.session.flush()
        return result

    def regroup_all(self) -> RegroupResult:
        """Rebuild every case (after a points rule changed)."""
        tickets = self.charges.all_tickets() | set(self.cases.all_tickets())
        return self.regroup(tickets)

    def _regroup_batch(self, tickets: list[str], result: RegroupResult) -> None:
        lines_by_ticket: dict[str, list[ChargeTransaction]] = defaultdict(list)
        for line in self.charges.find_by_tickets(tickets):
            lines_by_ticket[line.ticket].append(line)
        existing = self.cases.find_by_tickets(tickets)
        gone = [
            ticket for ticket in tickets if ticket not in lines_by_ticket and ticket in existing
        ]
        result.removed += self.cases.delete_tickets(gone)
        for ticket, lines in lines_by_ticket.items():
            lines.sort(key=lambda line: (line.date_of_post or line.date_of_service, line.id))
            values = _case_values(lines, self.calculator)
            case = existing.get(ticket)
            if case is None:
                self.session.add(MasterCase(ticket=ticket, **values))
                result.created += 1
            elif any(getattr(case, key) != value for key, value in values.items()):
                for key, value in values.items():
                    setattr(case, key, value)
                result.changed += 1
            else:
                result.unchanged += 1
