"""One month's packet as the extraction contract dict (the truth), built from the simulation.

The renderer draws from this dict, so what is printed and what the truth says cannot drift
apart; the only fields filled in later are `page` (from pagination), `source_file` and `sha256`.
"""

from __future__ import annotations

from datetime import date, timedelta

from data.synthetic import names
from data.synthetic.dates import add_months, business_day_on_or_before, holidays, last_day
from data.synthetic.pay import TIME_MULT, PoolLedger, PoolMonth
from data.synthetic.payroll import MonthPay
from data.synthetic.practice import Case, ChargeLine, Practice


def pay_date(month: str) -> date:
    """Payroll is issued on the 10th of the following month (earlier if that is a day off)."""
    following = add_months(month, 1)
    day = date(int(following[:4]), int(following[5:7]), 10)
    return business_day_on_or_before(day, holidays(day.year))


def run_date(month: str) -> date:
    """The billing reports are run two business days before payroll."""
    day = pay_date(month) - timedelta(days=2)
    return business_day_on_or_before(day, holidays(day.year))


def file_stem(month: str, locked: bool = False) -> str:
    suffix = "" if locked else "_unlocked"
    return f"{pay_date(month):%Y%m%d}-{names.PHYSICIAN_NUMBER}-Compensation_Reports{suffix}"


def _clock(minutes: int | None) -> str | None:
    if minutes is None:
        return None
    minutes %= 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _charge(line: ChargeLine, note: str | None) -> dict:
    case = line.case
    return {
        "ticket": case.ticket,
        "note": note,
        "patient_name": case.patient,
        "original_charge_month": line.original_month,
        "site_code": case.site,
        "service_type": line.service_type,
        "cpt_code": line.cpt,
        "pay_code": line.pay_code,
        "start_time": _clock(line.start),
        "stop_time": _clock(line.stop),
        "date_of_service": case.day.isoformat(),
        "date_of_post": line.post_date.isoformat(),
        "ob_case_position": line.ob_position,
        "split_percent": line.split_pct / 100 if line.split_pct is not None else None,
        "anes_time_min": line.minutes,
        "anes_base_units": line.anes_h / 100,
        "med_base_units": line.med_t / 10,
        "other_units": line.other_t / 10,
        "charge_amount": line.charge_c / 100,
        "sub_pool": case.pool,
        "sub_pool_percent": 100,
        "sub_pool_time_min": float(line.minutes),
        "sub_pool_anes_base": line.anes_h / 100,
        "sub_pool_med_base": line.med_t / 10,
        "group_pool": None,
        "group_pool_percent": 0,
        "group_pool_time_min": 0.0,
        "group_pool_anes_base": 0.0,
        "group_pool_med_base": 0.0,
        "page": None,
    }


def _charges(practice: Practice, month: str, by_seq: dict[int, Case]) -> list[dict]:
    """F3 lines sorted by ticket; `M` marks a ticket whose predecessor is not billed yet."""
    end = last_day(month)
    lines = sorted(practice.lines_by_month.get(month, []), key=lambda x: x.case.ticket)
    out = []
    flagged: set[int] = set()
    for line in lines:
        case = line.case
        note = line.note
        prev = by_seq.get(case.seq - 1)
        first_posting = line.original_month is None and line.post_date == case.post_date
        gap = prev is not None and (prev.post_date is None or prev.post_date > end)
        if note is None and first_posting and gap and case.seq not in flagged:
            note = "M"
            flagged.add(case.seq)
        out.append(_charge(line, note))
    return out


def _units_sum(charges: list[dict], key: str, scale: int) -> int:
    return sum(round(c[key] * scale) for c in charges)


def _totals(charges: list[dict]) -> dict:
    minutes = _units_sum(charges, "anes_time_min", 1)
    anes = _units_sum(charges, "anes_base_units", 100)
    med = _units_sum(charges, "med_base_units", 10)
    other = _units_sum(charges, "other_units", 10)
    cents = _units_sum(charges, "charge_amount", 100)
    dollars = (abs(cents) + 50) // 100 * (1 if cents >= 0 else -1)
    return {
        "anes_time_min": minutes,
        "anes_base_units": anes / 100,
        "med_base_units": med / 10,
        "other_units": other / 10,
        "charge_amount": dollars,
        "sub_pool_time_min": float(minutes),
        "sub_pool_anes_base": anes / 100,
        "sub_pool_med_base": med / 10,
        "group_pool_time_min": 0.0,
        "group_pool_anes_base": 0.0,
        "group_pool_med_base": 0.0,
    }


def _pool_summary(practice: Practice, charges: list[dict]) -> list[dict]:
    rows = []
    for pool in practice.pools:
        own = [c for c in charges if c["sub_pool"] == pool.code]
        if not own:
            continue
        rows.append(
            {
                "pool": pool.code,
                "name": pool.name,
                "anes_time_min": float(_units_sum(own, "sub_pool_time_min", 1)),
                "anes_base_units": _units_sum(own, "sub_pool_anes_base", 100) / 100,
                "med_base_units": _units_sum(own, "sub_pool_med_base", 10) / 10,
                "other_units": _units_sum(own, "other_units", 10) / 10,
            }
        )
    return rows


def _pool(page: PoolMonth) -> dict:
    s1 = page.section1
    anes_mult = 50
    return {
        "pool": page.code,
        "name": page.name,
        "multipliers": {
            "time": TIME_MULT / 100,
            "anes_base": anes_mult / 100,
            "med_base": page.med_mult / 100,
        },
        "section1": {
            "anes_time_min": {
                "actual": float(s1.minutes),
                "adjustment": 0.0,
                "total": float(s1.minutes),
                "points": s1.time_points / 100,
            },
            "anes_base_units": {
                "actual": s1.anes_h / 100,
                "adjustment": 0.0,
                "total": s1.anes_h / 100,
                "points": s1.anes_points / 100,
            },
            "med_base_units": {
                "actual": s1.med_t / 10,
                "adjustment": 0.0,
                "total": s1.med_t / 10,
                "points": s1.med_points / 100,
            },
        },  # fmt: skip
        "points": s1.points / 100,
        "adjusted": [
            {"month": m, "points": p / 100, "weight": w / 100, "adjusted": a / 100}
            for m, p, w, a in page.adjusted
        ],
        "adjusted_points": page.adjusted_points / 100,
        "history": [
            {"month": m, "rate": r / 100 if r is not None else None, "adjusted_points": n / 100}
            for m, r, n in page.history
        ],
        "rate": page.rate / 100 if page.rate is not None else None,
        "pooled_points": page.pooled_points / 100,
        "prior_allocations": [{"month": m, "amount": a / 100} for m, a in page.priors],
        "total_allocation": page.total_allocation / 100,
        "prior_allocation": page.prior_allocation / 100,
        "current_allocation": page.current_allocation / 100,
        "notes": page.notes,
    }


def _cents(value: int | None) -> float | None:
    return value / 100 if value is not None else None


def _payroll(pay: MonthPay) -> dict:
    lines = [
        {"side": "earnings", "label": label, "current": cur / 100, "ytd": ytd / 100}
        for label, cur, ytd in pay.stub_earnings
    ] + [
        {"side": "deductions", "label": label, "current": cur / 100, "ytd": ytd / 100}
        for label, cur, ytd in pay.stub_deductions
    ]
    return {
        "gross_earnings": {"current": pay.gross[0] / 100, "ytd": pay.gross[1] / 100},
        "net_pay": {"current": pay.net_pay[0] / 100, "ytd": pay.net_pay[1] / 100},
        "lines": lines,
    }


def _compensation(pay: MonthPay) -> dict:
    return {
        "lines": [
            {
                "section": line.section,
                "label": line.label,
                "period_to_date": _cents(line.period),
                "year_to_date": line.ytd / 100,
                "subtotal": line.subtotal,
            }
            for line in pay.comp_lines
        ]
    }


def _expenses(pay: MonthPay) -> dict | None:
    if not pay.expenses:
        return None
    return {
        "lines": [
            {
                "reimb": item.reimb,
                "date": item.day.isoformat(),
                "invoice": item.invoice,
                "description": item.description,
                "vendor": item.vendor,
                "amount": item.amount / 100,
            }
            for item in pay.expenses
        ],
        "total": sum(item.amount for item in pay.expenses) / 100,
    }


def build_truth(
    practice: Practice, ledger: PoolLedger, pay: MonthPay, month: str, by_seq: dict[int, Case]
) -> dict:
    """The contract dict for the month's packet (page numbers, file name and hash still empty)."""
    charges = _charges(practice, month, by_seq)
    return {
        "source_file": None,
        "sha256": None,
        "period": month,
        "pay_date": pay_date(month).isoformat(),
        "physician": {
            "name": f"{names.PHYSICIAN_FIRST} {names.PHYSICIAN_LAST} M.D.",
            "number": names.PHYSICIAN_NUMBER,
        },
        "payroll": _payroll(pay),
        "compensation": _compensation(pay),
        "charges": charges,
        "charge_totals": _totals(charges),
        "pool_summary": _pool_summary(practice, charges),
        "pools": [_pool(page) for page in ledger.pages.get(month, [])],
        "expenses": _expenses(pay),
        "checks": [],
    }
