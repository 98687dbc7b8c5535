"""F2 pooled compensation, exactly by the formulas of report-packet.md, month after month.

Rounding (what the real report most likely does, see docs/synthetic-packets.md): every printed
figure is rounded half-up to the cent, and each later figure is computed from the printed ones:
D, H, L are rounded per column and M = D + H + L; each weighted part of Section 2 is rounded and
N = the sum of the printed parts; P = the sum of the printed N; R = round(O x P); Q = the sum of
the printed prior S; S = R - Q. All arithmetic is in integers (hundredths of a point, cents).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from data.synthetic.dates import add_months
from data.synthetic.practice import ChargeLine, Practice

TIME_MULT = 10  # percent
ANES_MULT = 50
WEIGHTS = (10, 15, 25, 40, 10)  # oldest month first, the current month last


def round_div(numerator: int, denominator: int) -> int:
    """Integer division rounded half away from zero (how a report writer rounds money)."""
    sign = -1 if (numerator < 0) != (denominator < 0) else 1
    return sign * ((2 * abs(numerator) + abs(denominator)) // (2 * abs(denominator)))


@dataclass
class Section1:
    """Billed minutes and units of one pool's charges posted in the month, and their points."""

    minutes: int = 0
    anes_h: int = 0  # hundredths of a unit
    med_t: int = 0  # tenths of a unit
    time_points: int = 0  # hundredths of a point (D)
    anes_points: int = 0  # (H)
    med_points: int = 0  # (L)
    old_rate_backouts: bool = False

    @property
    def points(self) -> int:
        return self.time_points + self.anes_points + self.med_points


@dataclass
class PoolMonth:
    """Everything one F2 pool page prints for one month (integers: hundredths, cents)."""

    code: str
    name: str
    month: str
    med_mult: int
    section1: Section1
    adjusted: list[tuple[str, int, int, int]]  # month, M, weight %, weighted part
    adjusted_points: int  # N
    history: list[tuple[str, int | None, int]]  # month, rate cents (None on ALL), N
    rate: int | None  # O, cents per point
    pooled_points: int  # P
    priors: list[tuple[str, int]]  # month, S cents
    total_allocation: int  # R
    prior_allocation: int  # Q
    current_allocation: int  # S
    notes: str | None = None


@dataclass
class PoolLedger:
    """Month-by-month state of all pools over the whole simulated history."""

    pages: dict[str, list[PoolMonth]] = field(default_factory=dict)  # month -> pool pages

    def allocation(self, month: str, code: str) -> int:
        for page in self.pages.get(month, []):
            if page.code == code:
                return page.current_allocation
        return 0


def med_multiplier(month: str, switch: str) -> int:
    """Medical base units earned 60 % of a point before the switch month, 50 % from it on."""
    return 60 if month < switch else 50


def section1(lines: list[ChargeLine], month: str, switch: str) -> Section1:
    """Section 1 of one pool: each line earns points at its own charge month's multipliers."""
    s1 = Section1()
    med_points = 0
    current = med_multiplier(month, switch)
    for line in lines:
        s1.minutes += line.minutes
        s1.anes_h += line.anes_h
        s1.med_t += line.med_t
        mult = med_multiplier(line.charge_month, switch)
        med_points += line.med_t * mult // 10
        if line.med_t and mult != current:
            s1.old_rate_backouts = True
    s1.time_points = s1.minutes * TIME_MULT
    s1.anes_points = round_div(s1.anes_h * ANES_MULT, 100)
    s1.med_points = med_points
    return s1


def _rate_paths(practice: Practice, seed: int) -> dict[str, dict[str, int]]:
    """Each pool's $/point rate: a random walk with sd 1.5 %/month and sometimes a January step."""
    paths: dict[str, dict[str, int]] = {}
    for pool in practice.pools:
        rng = random.Random(f"{seed}-rate-{pool.code}")
        rate = pool.base_rate_cents
        path = {}
        for month in practice.months:
            change = rng.gauss(0.0, 0.015)
            if month.endswith("-01") and rng.random() < 0.4:
                change += rng.choice((-1, 1)) * rng.uniform(0.015, 0.04)
            rate = max(1500, round(rate * (1 + change)))
            path[month] = rate
        paths[pool.code] = path
    return paths


def old_rate_note(med_mult: int) -> str:
    return (
        f"The calculation for Medical Units varies from {med_mult}% due to backouts of prior "
        "period charges that were credited at the previous rate of 60%"
    )


NO_POSTING_NOTE = "No charges were posted this period due to the billing system conversion."


def build_ledger(practice: Practice, seed: int) -> PoolLedger:
    """Run F2 for every pool over every simulated month."""
    rates = _rate_paths(practice, seed)
    ledger = PoolLedger()
    points: dict[str, dict[str, int]] = {p.code: {} for p in practice.pools}
    adjusted: dict[str, dict[str, int]] = {p.code: {} for p in practice.pools}
    paid: dict[str, dict[str, int]] = {p.code: {} for p in practice.pools}
    started: dict[str, str] = {}
    for month in practice.months:
        lines = practice.lines_by_month.get(month, [])
        med_mult = med_multiplier(month, practice.med_rate_switch)
        pages = []
        for pool in practice.pools:
            s1 = section1([x for x in lines if x.case.pool == pool.code], month,
                          practice.med_rate_switch)  # fmt: skip
            points[pool.code][month] = s1.points
            if pool.code not in started:
                if s1.points == 0:
                    continue
                started[pool.code] = month
            first = started[pool.code]
            window = [add_months(month, k) for k in range(-4, 1)]
            parts = []
            for m, weight in zip(window, WEIGHTS, strict=True):
                m_points = points[pool.code].get(m, 0) if m >= first else 0
                if m_points:
                    parts.append((m, m_points, weight, round_div(m_points * weight, 100)))
            n = sum(p[3] for p in parts)
            adjusted[pool.code][month] = n
            hist_months = [add_months(month, k) for k in range(-11, 1)]
            hist_months = [m for m in hist_months if m >= first]
            history = [(m, rates[pool.code][m], adjusted[pool.code][m]) for m in hist_months]
            p_total = sum(h[2] for h in history)
            rate = rates[pool.code][month]
            r_total = round_div(rate * p_total, 100)
            priors = [(m, paid[pool.code][m]) for m in hist_months[:-1]]
            q_total = sum(a for _, a in priors)
            s_total = r_total - q_total
            paid[pool.code][month] = s_total
            note = old_rate_note(med_mult) if s1.old_rate_backouts else None
            if month in practice.no_posting_months:
                note = NO_POSTING_NOTE
            pages.append(
                PoolMonth(
                    pool.code,
                    pool.name,
                    month,
                    med_mult,
                    s1,
                    parts,
                    n,
                    history,
                    rate,
                    p_total,
                    priors,
                    r_total,
                    q_total,
                    s_total,
                    note,
                )  # fmt: skip
            )
        if pages:
            pages.insert(0, _all_pools(pages, month, med_mult))
        ledger.pages[month] = pages
    return ledger


def _sum_by_month(rows: list[list[tuple]], value_index: int) -> dict[str, int]:
    totals: dict[str, int] = {}
    for row in rows:
        for entry in row:
            totals[entry[0]] = totals.get(entry[0], 0) + entry[value_index]
    return dict(sorted(totals.items()))


def _all_pools(pages: list[PoolMonth], month: str, med_mult: int) -> PoolMonth:
    """The TOTAL FOR ALL POOLS page: the pools' printed figures added up, no rate."""
    s1 = Section1()
    for page in pages:
        for name in ("minutes", "anes_h", "med_t", "time_points", "anes_points", "med_points"):
            setattr(s1, name, getattr(s1, name) + getattr(page.section1, name))
    weights = dict(zip([add_months(month, k) for k in range(-4, 1)], WEIGHTS, strict=True))
    points = _sum_by_month([p.adjusted for p in pages], 1)
    parts = _sum_by_month([p.adjusted for p in pages], 3)
    adjusted = [(m, points[m], weights[m], parts[m]) for m in points]
    history_n = _sum_by_month([p.history for p in pages], 2)
    priors = _sum_by_month([p.priors for p in pages], 1)
    notes = sorted({p.notes for p in pages if p.notes})
    return PoolMonth(
        code="ALL",
        name="TOTAL FOR ALL POOLS",
        month=month,
        med_mult=med_mult,
        section1=s1,
        adjusted=adjusted,
        adjusted_points=sum(p.adjusted_points for p in pages),
        history=[(m, None, n) for m, n in history_n.items()],
        rate=None,
        pooled_points=sum(p.pooled_points for p in pages),
        priors=list(priors.items()),
        total_allocation=sum(p.total_allocation for p in pages),
        prior_allocation=sum(p.prior_allocation for p in pages),
        current_allocation=sum(p.current_allocation for p in pages),
        notes=" ".join(notes) or None,
    )
