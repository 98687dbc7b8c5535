"""Points rules (ASMG multipliers): changes, with every affected case recomputed.

Packets print the multipliers they used in each F2 header, so the rules can also be
read off the packets themselves: :func:`rules_printed_in_packets` finds each month
where the printed multipliers change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy.orm import Session

from analytics.cache import cached
from analytics.packet_checks import refresh_all
from asmg_calculator import DatedRule, Multipliers, month_start
from case_grouper import CaseGrouper, calculator_from_rules
from data.models import AsmgRule
from data.repositories import AsmgRuleRepository, AuditLogRepository, MonthlySummaryRepository


@dataclass
class RuleChange:
    """What a rule change did: the rule and how many cases' points it changed."""

    rule_id: int | None
    cases_changed: int
    message: str


def rules_printed_in_packets(session: Session) -> list[DatedRule]:
    """A rule for the first stored month and for every month whose F2 multipliers differ
    from the month before."""
    found: list[DatedRule] = []
    for packet in MonthlySummaryRepository(session).list_all():
        printed = next((p for p in packet.pool_reports if p.multiplier_time is not None), None)
        if printed is None:
            continue
        multipliers = Multipliers(
            printed.multiplier_time, printed.multiplier_anes_base, printed.multiplier_med_base
        )
        if not found or found[-1].multipliers != multipliers:
            found.append(
                DatedRule(
                    month_start(packet.period),
                    multipliers,
                    f"as printed in the F2 of {packet.period}",
                )
            )
    return found


def add_rule(session: Session, rule: DatedRule) -> RuleChange:
    """Add (or, for the same effective date, update) a rule and recompute every case."""
    rules = AsmgRuleRepository(session)
    existing = rules.find_by_effective_date(rule.effective_date)
    is_new = existing is None
    if existing is None:
        existing = rules.save(
            AsmgRule(
                effective_date=rule.effective_date,
                time_multiplier=0,
                anes_base_multiplier=0,
                med_base_multiplier=0,
            )
        )
    existing.time_multiplier = rule.multipliers.time
    existing.anes_base_multiplier = rule.multipliers.anes_base
    existing.med_base_multiplier = rule.multipliers.med_base
    existing.description = rule.description or None
    session.flush()
    changed = CaseGrouper(session, calculator_from_rules(session)).regroup_all()
    refresh_all(session)
    AuditLogRepository(session).record(
        "insert" if is_new else "update",
        "asmg_rule",
        existing.id,
        new_value=json.dumps(
            {
                "effective_date": rule.effective_date.isoformat(),
                "time": rule.multipliers.time,
                "anes_base": rule.multipliers.anes_base,
                "med_base": rule.multipliers.med_base,
            }
        ),
        notes=f"rule from {rule.effective_date}; {changed.changed} cases recomputed",
    )
    return RuleChange(
        existing.id,
        changed.changed,
        f"Rule from {rule.effective_date} saved; {changed.changed} cases changed.",
    )


def _packet_rules(session: Session) -> list[DatedRule]:
    """The rules the packets print, the first one dated from the earliest stored rule: it is
    taken to hold before the first packet too (a credit in the first month prices its
    earlier original month with it)."""
    stored = AsmgRuleRepository(session).list_all()
    printed = rules_printed_in_packets(session)
    if printed and stored and stored[0].effective_date < printed[0].effective_date:
        first = printed[0]
        printed[0] = DatedRule(
            stored[0].effective_date, first.multipliers, f"{first.description} (and before)"
        )
    return printed


def adopt_rules_from_packets(session: Session) -> int:
    """Add every rule the packets print that the stored rules do not already give."""
    added = 0
    for rule in _packet_rules(session):
        if calculator_from_rules(session).multipliers_for(rule.effective_date) != rule.multipliers:
            add_rule(session, rule)
            added += 1
    return added


@dataclass
class RuleRow:
    """A rule as the rules page lists it, with the months it governs."""

    id: int
    effective_date: str
    until: str | None
    time: float
    anes_base: float
    med_base: float
    description: str


def list_rules(session: Session) -> list[RuleRow]:
    rules = AsmgRuleRepository(session).list_all()
    rows = []
    for index, rule in enumerate(rules):
        following = rules[index + 1].effective_date if index + 1 < len(rules) else None
        rows.append(
            RuleRow(
                rule.id,
                rule.effective_date.isoformat(),
                following.isoformat() if following else None,
                rule.time_multiplier,
                rule.anes_base_multiplier,
                rule.med_base_multiplier,
                rule.description or "",
            )
        )
    return rows


def suggested_rules(session: Session) -> list[DatedRule]:
    """Rules the packets print that differ from the stored rules for their months (every
    packet's F2 pages are read, so once per data version, which covers the rules too)."""

    def compute() -> list[DatedRule]:
        calculator = calculator_from_rules(session)
        return [
            rule
            for rule in _packet_rules(session)
            if calculator.multipliers_for(rule.effective_date) != rule.multipliers
        ]

    return cached(session, "suggested_rules", compute)


def delete_rule(session: Session, rule_id: int) -> RuleChange:
    """Delete a rule (never the last one) and recompute every case."""
    rules = AsmgRuleRepository(session)
    rule = rules.find_by_id(rule_id)
    if rule is None:
        return RuleChange(None, 0, "That rule does not exist (it may have been deleted already).")
    if rules.count() == 1:
        return RuleChange(
            rule.id,
            0,
            "The last rule cannot be deleted: points need a rule. "
            "Add the right rule first, then delete this one.",
        )
    effective = rule.effective_date
    AuditLogRepository(session).record(
        "delete",
        "asmg_rule",
        rule.id,
        old_value=json.dumps(
            {
                "effective_date": effective.isoformat(),
                "time": rule.time_multiplier,
                "anes_base": rule.anes_base_multiplier,
                "med_base": rule.med_base_multiplier,
            }
        ),
    )
    rules.delete(rule_id)
    changed = CaseGrouper(session, calculator_from_rules(session)).regroup_all()
    refresh_all(session)
    return RuleChange(
        None, changed.changed, f"Rule from {effective} deleted; {changed.changed} cases changed."
    )
