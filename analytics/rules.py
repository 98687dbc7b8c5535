"""Points rules (ASMG multipliers): changes, with every affected case recomputed.

Packets print the multipliers they used in each F2 header, so the rules can also be
read off the packets themselves: :func:`rules_printed_in_packets` finds each month
where the printed multipliers change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy.orm import Session

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
        "insert",
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


def adopt_rules_from_packets(session: Session) -> int:
    """Add every rule the packets print that the stored rules do not already give.

    The first printed rule is taken to hold before the first packet too (a credit in the
    first month prices its earlier original charge month with it), so it is dated from
    the earliest stored rule's date rather than from the first packet's month."""
    added = 0
    stored = AsmgRuleRepository(session).list_all()
    for index, rule in enumerate(rules_printed_in_packets(session)):
        if index == 0 and stored:
            rule = DatedRule(
                stored[0].effective_date, rule.multipliers, f"{rule.description} (and before)"
            )
        if calculator_from_rules(session).multipliers_for(rule.effective_date) != rule.multipliers:
            add_rule(session, rule)
            added += 1
    return added
