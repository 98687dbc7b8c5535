"""ASMG points: the packet's F2 formula with multipliers that change over time.

``M = time × anes minutes + anes_base × anes base units + med_base × medical base units``
(report-packet.md, F2 Section 1). The multipliers printed in a packet's F2 header can
change (medical units were once 0.60, now 0.50), so rules are dated: a rule is in force
from its effective date until the next rule's. A charge earns points at the rule in force
in the month it was *posted*; a credit (backout) of an earlier charge is credited at the
rule of its *original charge month*, as the billing company's own Section 6 notes say.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Multipliers:
    """Points per anesthesia minute, per anesthesia base unit and per medical base unit."""

    time: float
    anes_base: float
    med_base: float

    def points(self, anes_time_min: float, anes_base_units: float, med_base_units: float) -> float:
        return (
            self.time * (anes_time_min or 0.0)
            + self.anes_base * (anes_base_units or 0.0)
            + self.med_base * (med_base_units or 0.0)
        )


@dataclass(frozen=True)
class DatedRule:
    """Multipliers in force from ``effective_date`` on."""

    effective_date: dt.date
    multipliers: Multipliers
    description: str = ""


#: The rule of current packets, in force "since always" until the user adds older ones
#: (e.g. the v2 system's 0.60 for medical units, with the dates it applied).
DEFAULT_RULE = DatedRule(
    effective_date=dt.date(1900, 1, 1),
    multipliers=Multipliers(time=0.10, anes_base=0.50, med_base=0.50),
    description="Current F2 multipliers: 0.10/min, 0.50/anes unit, 0.50/med unit",
)


def month_start(value: dt.date | str) -> dt.date:
    """First day of the month of a date or of a ``YYYY-MM`` string."""
    if isinstance(value, str):
        year, month = value[:7].split("-")
        return dt.date(int(year), int(month), 1)
    return value.replace(day=1)


class AsmgCalculator:
    """Points of charge lines under a set of dated rules."""

    def __init__(self, rules: Iterable[DatedRule] | None = None) -> None:
        ordered = sorted(rules or [DEFAULT_RULE], key=lambda rule: rule.effective_date)
        self._rules = ordered
        self._months = [month_start(rule.effective_date) for rule in ordered]

    @property
    def rules(self) -> list[DatedRule]:
        return list(self._rules)

    def rule_for(self, when: dt.date | str) -> DatedRule:
        """The rule in force on ``when``; a rule takes effect for the whole month it starts
        in, because points are computed per posting month. Before the first rule, the first."""
        day = month_start(when)
        index = bisect_right(self._months, day) - 1
        return self._rules[max(index, 0)]

    def multipliers_for(self, when: dt.date | str) -> Multipliers:
        return self.rule_for(when).multipliers

    @staticmethod
    def pricing_month(
        date_of_post: dt.date | None,
        charge_amount: float | None,
        original_charge_month: str | None,
    ) -> dt.date | None:
        """The month whose multipliers price a line: its posting month, or for a credit
        (negative charge) of an earlier month's charge, that original charge month."""
        if original_charge_month and (charge_amount or 0.0) < 0:
            return month_start(original_charge_month)
        return month_start(date_of_post) if date_of_post else None

    def line_points(
        self,
        *,
        anes_time_min: float | None,
        anes_base_units: float | None,
        med_base_units: float | None,
        date_of_post: dt.date | None,
        charge_amount: float | None = None,
        original_charge_month: str | None = None,
    ) -> float:
        """Points one F3 line earns, from its sub-pool minutes and units."""
        month = self.pricing_month(date_of_post, charge_amount, original_charge_month)
        multipliers = self.multipliers_for(month) if month else self._rules[-1].multipliers
        return multipliers.points(
            anes_time_min or 0.0, anes_base_units or 0.0, med_base_units or 0.0
        )
