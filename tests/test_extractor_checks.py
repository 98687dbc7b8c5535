"""compute_checks on a hand-made packet from report-packet.md's own figures: all pass, and each
deliberate corruption fails exactly the check that should catch it."""

from __future__ import annotations

import copy

import pytest

from data_extractor import compute_checks

CLIN = "Clinical Compensation Subject to Overhead"
ADMIN = "Administrative and Other Compensation Not Subject to Overhead"


def _line(section, label, ptd, ytd, subtotal=False):
    return {
        "section": section,
        "label": label,
        "period_to_date": ptd,
        "year_to_date": ytd,
        "subtotal": subtotal,
    }


def _charge(ticket, pool, minutes, anes, med, other, amount):
    return {
        "ticket": ticket,
        "sub_pool": pool,
        "anes_time_min": minutes,
        "anes_base_units": anes,
        "med_base_units": med,
        "other_units": other,
        "charge_amount": amount,
        "sub_pool_time_min": float(minutes),
        "sub_pool_anes_base": anes,
        "sub_pool_med_base": med,
    }


def _pool(code, name, minutes, anes, med, s, q):
    points = round(minutes * 0.1 + anes * 0.5 + med * 0.5, 2)
    r = round(q + s, 2)
    p = 1000.0
    return {
        "pool": code,
        "name": name,
        "multipliers": {"time": 0.10, "anes_base": 0.50, "med_base": 0.50},
        "section1": {
            "anes_time_min": {
                "actual": minutes,
                "adjustment": 0.0,
                "total": minutes,
                "points": round(minutes * 0.1, 2),
            },
            "anes_base_units": {
                "actual": anes,
                "adjustment": 0.0,
                "total": anes,
                "points": round(anes * 0.5, 2),
            },
            "med_base_units": {
                "actual": med,
                "adjustment": 0.0,
                "total": med,
                "points": round(med * 0.5, 2),
            },
        },
        "points": points,
        "adjusted": [
            {
                "month": "2026-03",
                "points": points,
                "weight": 0.10,
                "adjusted": round(points * 0.1, 2),
            }
        ],
        "adjusted_points": round(points * 0.1, 2),
        "history": [{"month": "2026-03", "rate": round(r / p, 2), "adjusted_points": p}],
        "rate": round(r / p, 2),
        "pooled_points": p,
        "prior_allocations": [{"month": "2026-02", "amount": q}],
        "total_allocation": r,
        "prior_allocation": q,
        "current_allocation": s,
    }


def make_packet() -> dict:
    charges = [
        _charge("73102210", "UTCS", 44, 4.0, 0.0, 0.0, 868.00),
        _charge("73102211", "UTCS", 139, 6.85, 7.0, 0.0, 2108.00),
        _charge("73102214", "SCSD", 17, 1.5, 0.0, 1.0, 124.00),
    ]
    return {
        "period": "2026-03",
        "payroll": {"net_pay": {"current": 28405.59, "ytd": 80976.96}},
        "compensation": {
            "lines": [
                _line(CLIN, "Estimate to Actual Adjustme", None, 7118.20),
                _line(CLIN, "CPM FFS Pain", None, 212.06),
                _line(CLIN, "Surgical Center San Diego", 41.10, 97.35),
                _line(CLIN, "UTC Surgical Center", 60052.15, 171340.50),
                _line(CLIN, None, 60093.25, 178768.11, True),
                _line(ADMIN, "Medical Director Stipend", 3500.00, 10500.00),
                _line(ADMIN, None, 3500.00, 10500.00, True),
                _line("Total Compensation", "Total Compensation", 63593.25, 189268.11),
                _line("Overhead", "Overhead Deduction ( 9.45%)", 5678.81, 16893.58),
                _line("Overhead", None, 5678.81, 16893.58, True),
                _line("Deductions Before Taxes", "Business Expense", 188.10, 410.25),
                _line("Deductions Before Taxes", "Other", 11724.30, 40958.16),
                _line("Deductions Before Taxes", None, 11912.40, 41368.41, True),
                _line("Medicare Income", "Medicare Income", 46002.04, 131006.12),
                _line("W-2 Income", "W-2 Income", 46002.04, 131006.12),
                _line("Employee Payroll Taxes Withheld", "Federal Income Tax", 15433.68, 43952.55),
                _line("Employee Payroll Taxes Withheld", None, 15433.68, 43952.55, True),
                _line("After Tax Compensation", "After Tax Compensation", 30568.36, 87053.57),
                _line("After Tax Items", "Roth 401(k) Deferral", 2162.77, 6076.61),
                _line("After Tax Items", None, 2162.77, 6076.61, True),
                _line("Net Compensation/Net Pay", "Net Compensation/Net Pay", 28405.59, 80976.96),
            ]
        },
        "charges": charges,
        "charge_totals": {
            "anes_time_min": 200,
            "anes_base_units": 12.35,
            "med_base_units": 7.0,
            "other_units": 1.0,
            "charge_amount": 3100,
        },
        "pool_summary": [
            {
                "pool": "UTCS",
                "name": "UTC SURGICAL CENTER",
                "anes_time_min": 183.0,
                "anes_base_units": 10.85,
                "med_base_units": 7.0,
                "other_units": 0.0,
            },
            {
                "pool": "SCSD",
                "name": "SURGICAL CENTER OF SAN DIEGO",
                "anes_time_min": 17.0,
                "anes_base_units": 1.5,
                "med_base_units": 0.0,
                "other_units": 1.0,
            },
        ],
        "pools": [
            _pool("UTCS", "UTC SURGICAL CENTER", 183.0, 10.85, 7.0, 60052.15, 635406.15),
            _pool("SCSD", "SURGICAL CENTER OF SAN DIEGO", 17.0, 1.5, 0.0, 41.10, 500.00),
        ],
        "expenses": {"lines": [{"amount": 188.10}], "total": 188.10},
    }


def _by_name(checks):
    return {c["name"]: c for c in checks}


def test_consistent_packet_passes_every_check():
    checks = compute_checks(make_packet())
    failed = [c for c in checks if not c["ok"]]
    assert failed == []
    names = set(_by_name(checks))
    for expected in (
        "charge totals",
        "pool summary UTCS",
        "pool summary SCSD",
        "F2 section 1 UTCS",
        "F2 section 2 UTCS",
        "clinical line UTCS",
        "clinical line SCSD",
        "W-2 income",
        f"subtotal {CLIN}",
        "net pay",
        "expense total",
    ):
        assert expected in names


def _corrupt(path, value):
    packet = make_packet()
    target = packet
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return packet


@pytest.mark.parametrize(
    "path,value,check",
    [
        (("charges", 0, "anes_time_min"), 45, "charge totals"),
        (("charges", 0, "charge_amount"), 870.00, "charge totals"),
        (("charges", 1, "sub_pool"), "SCSD", "pool summary UTCS"),
        (("pools", 0, "section1", "anes_time_min", "actual"), 184.0, "F2 section 1 UTCS"),
        (("pools", 0, "adjusted", 0, "points"), 1.0, "F2 section 2 UTCS"),
        (("pools", 0, "current_allocation"), 60052.25, "clinical line UTCS"),
        (("compensation", "lines", 14, "period_to_date"), 46002.14, "W-2 income"),
        (("compensation", "lines", 2, "year_to_date"), 97.45, f"subtotal {CLIN}"),
        (("payroll", "net_pay", "current"), 28405.60, "net pay"),
        (("expenses", "total"), 188.00, "expense total"),
    ],
)
def test_each_corruption_fails_its_check(path, value, check):
    checks = _by_name(compute_checks(_corrupt(path, value)))
    assert checks[check]["ok"] is False
    assert checks[check]["detail"]


def test_charge_amount_total_compared_within_a_dollar():
    packet = make_packet()
    packet["charge_totals"]["charge_amount"] = 3100.9 - 0.4  # printed rounded to dollars
    assert _by_name(compute_checks(packet))["charge totals"]["ok"]


def test_checks_with_missing_inputs_are_left_out():
    packet = make_packet()
    packet["expenses"] = None
    packet["payroll"] = None
    names = set(_by_name(compute_checks(packet)))
    assert "expense total" not in names and "net pay" not in names
    assert compute_checks({}) == []


def test_checks_never_mutate_the_packet():
    packet = make_packet()
    before = copy.deepcopy(packet)
    compute_checks(packet)
    assert packet == before
