"""Dated points rules: the multipliers of the posting month, credits at their original month."""

from __future__ import annotations

import datetime as dt

import pytest

from asmg_calculator import DEFAULT_RULE, AsmgCalculator, DatedRule, Multipliers

OLD = DatedRule(dt.date(2020, 1, 1), Multipliers(0.10, 0.50, 0.60), "medical units at 0.60")
NEW = DatedRule(dt.date(2024, 1, 1), Multipliers(0.10, 0.50, 0.50), "medical units at 0.50")


def test_default_rule_matches_current_f2_multipliers() -> None:
    calc = AsmgCalculator()
    # The example F2 line of report-packet.md: 9,395 min, 611 anes units, 301 med units.
    assert calc.multipliers_for(dt.date(2026, 3, 11)) == DEFAULT_RULE.multipliers
    points = calc.multipliers_for("2026-03").points(9395, 611, 301)
    assert points == pytest.approx(1395.50)


def test_rule_in_force_by_posting_month() -> None:
    calc = AsmgCalculator([NEW, OLD])
    assert calc.multipliers_for(dt.date(2023, 12, 31)).med_base == 0.60
    assert calc.multipliers_for(dt.date(2024, 1, 1)).med_base == 0.50
    # A rule dated mid-month governs that whole posting month.
    mid = AsmgCalculator([OLD, DatedRule(dt.date(2024, 1, 15), Multipliers(0.1, 0.5, 0.5))])
    assert mid.multipliers_for(dt.date(2024, 1, 3)).med_base == 0.50


def test_line_points_posting_month_and_credit_at_original_month() -> None:
    calc = AsmgCalculator([OLD, NEW])
    charge = calc.line_points(
        anes_time_min=0,
        anes_base_units=0,
        med_base_units=7,
        date_of_post=dt.date(2024, 2, 10),
        charge_amount=868.0,
    )
    assert charge == pytest.approx(3.5)
    credit = calc.line_points(
        anes_time_min=0,
        anes_base_units=0,
        med_base_units=-7,
        date_of_post=dt.date(2024, 2, 10),
        charge_amount=-868.0,
        original_charge_month="2023-11",
    )
    assert credit == pytest.approx(-4.2)  # credited at the 0.60 of November 2023


def test_before_first_rule_uses_first_rule() -> None:
    calc = AsmgCalculator([NEW])
    assert calc.multipliers_for(dt.date(2001, 5, 1)) == NEW.multipliers
