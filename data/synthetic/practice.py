"""A simulated anesthesiologist's practice: the cases done and the charge lines billed for them.

Everything the packet shows about work comes from here: which days were worked, which cases
were done (CPT, times, blocks, modifiers, splits, OB segments), when and whether each was billed
(posting lag with a tail, never-billed cases, duplicates, backouts with rebills), and which pool
each charge is credited to. Quantities are kept as integers in fixed units (minutes, hundredths
of a base unit, tenths of a medical unit, cents) so sums are exact and the printed figures are
what the truth says.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from data.synthetic import names
from data.synthetic.dates import add_months, first_day, holidays, month_key, month_range


@dataclass(frozen=True)
class Pool:
    """A sub pool (surgical center) whose points are pooled and paid at its own rate."""

    code: str
    name: str
    site: str
    start_offset: int  # months after the first generated month (negative: before it)
    base_rate_cents: int
    labels: tuple[str, ...]  # compensation-report line label, renamed over the years


POOLS = (
    Pool("UTCS", "UTC SURGICAL CENTER", "UF", -24, 5510, ("UTC Surgical Center",
                                                         "UTC Surg Center - Anes")),
    Pool("SCSD", "SURGICAL CENTER OF SAN DIEGO", "SD", -24, 4880, ("Surgical Center San Diego",)),
    Pool("PBOB", "PACIFIC BAY OB ANESTHESIA", "PB", 14, 6240, ("Pacific Bay OB Anesthesia",)),
)  # fmt: skip


@dataclass(frozen=True)
class Procedure:
    cpt: str
    base_units: int
    minutes: int  # typical anesthesia time
    spread: int  # standard deviation of the time
    kind: str  # gi, ortho, spine, ent, ob


PROCEDURES = [
    Procedure("45380", 4, 38, 12, "gi"),
    Procedure("45378", 4, 30, 9, "gi"),
    Procedure("45385", 4, 44, 14, "gi"),
    Procedure("43235", 5, 16, 5, "gi"),
    Procedure("43239", 5, 20, 6, "gi"),
    Procedure("27447", 7, 140, 25, "ortho"),
    Procedure("27130", 8, 130, 25, "ortho"),
    Procedure("29881", 4, 62, 15, "ortho"),
    Procedure("29827", 5, 115, 20, "ortho"),
    Procedure("63030", 8, 150, 35, "spine"),
    Procedure("22551", 13, 185, 40, "spine"),
    Procedure("63047", 8, 170, 35, "spine"),
    Procedure("69310", 5, 95, 25, "ent"),
    Procedure("30520", 5, 78, 18, "ent"),
    Procedure("42826", 5, 42, 10, "ent"),
    Procedure("59409", 5, 330, 120, "ob"),
    Procedure("59514", 7, 70, 15, "ob"),
]
# A chronic-pain injection done between endoscopies: one CP line of medical units, no times.
PAIN = Procedure("64483", 0, 15, 4, "pain")
PAIN_MED_TENTHS = 40
BY_KIND: dict[str, list[Procedure]] = defaultdict(list)
for _proc in PROCEDURES:
    BY_KIND[_proc.kind].append(_proc)
PROCEDURE_BY_CPT = {p.cpt: p for p in PROCEDURES}

# Nerve blocks billed as Me lines with 7-8 medical base units, by the surgery they go with.
BLOCKS = {"27447": ("64447", 80), "27130": ("64445", 70), "29827": ("64415", 70),
          "29881": ("64447", 80)}  # fmt: skip
BLOCK_RATE = {"27447": 0.7, "27130": 0.3, "29827": 0.85, "29881": 0.25}

PAY_CODES = [("PPO", 38), ("HMO", 16), ("MCARE", 24), ("MCAL", 8), ("TRICARE", 3),
             ("GOV-PPO", 3), ("GOV-HMO", 2), ("WC", 3), ("SELF", 3)]  # fmt: skip

# Cases per working day by seasonal month (summer and December are slow).
SEASON = {1: 1.05, 2: 1.0, 3: 1.05, 4: 1.0, 5: 1.0, 6: 0.95, 7: 0.85, 8: 0.85, 9: 1.0,
          10: 1.05, 11: 0.95, 12: 0.8}  # fmt: skip


def conversion_cents(year: int) -> int:
    """Dollars charged per unit (base + 15-minute time units), raised a little each year."""
    return 12400 + 300 * (year - 2023)


@dataclass
class Case:
    """One patient encounter: one ticket, one line in the physician's own case log."""

    seq: int
    ticket: str
    day: date
    site: str
    pool: str
    procedure: Procedure
    segments: list[tuple[int, int]]  # (start, stop) minutes after midnight; two when `B`
    pay_code: str
    patient: str
    handoff_pct: int | None = None  # hundredths of a percent when the case was shared (`S`)
    ob_position: str | None = None
    block: tuple[str, int, bool] | None = None  # cpt, tenths of a medical unit, zeroed (`Z`)
    modifier: tuple[str, int] | None = None  # cpt, tenths of an other unit
    post_date: date | None = None  # None: never billed
    in_log: bool = True
    log_cpt: str | None = None
    log_ticket: str | None = None

    @property
    def minutes(self) -> int:
        return sum(stop - start for start, stop in self.segments)

    @property
    def start(self) -> int:
        return self.segments[0][0]


@dataclass
class ChargeLine:
    """One F3 line, in the fixed integer units of this module."""

    case: Case
    note: str | None
    service_type: str
    cpt: str
    pay_code: str
    start: int | None
    stop: int | None
    post_date: date
    split_pct: int | None  # hundredths of a percent
    minutes: int
    anes_h: int  # hundredths of an anesthesia base unit
    med_t: int  # tenths of a medical base unit
    other_t: int  # tenths of an other unit
    charge_c: int  # cents
    original_month: str | None = None  # backouts: the month the charge was first posted
    ob_position: str | None = None

    @property
    def charge_month(self) -> str:
        """The month whose multipliers this line earns points at."""
        return self.original_month or month_key(self.post_date)


@dataclass
class PracticeParams:
    """Knobs of the simulated practice; the defaults give every edge case in 36 months."""

    pool_count: int = 3
    # Month (offset from the first generated month) where medical units drop from 0.60 to 0.50.
    med_rate_switch_offset: int = 12
    # Months (offsets) in which the billing company posted nothing: packets with no F3 lines.
    no_posting_offsets: tuple[int, ...] = (20,)
    warmup_months: int = 24
    never_billed_rate: float = 0.012
    backout_rate: float = 0.012
    duplicate_rate: float = 0.004
    not_in_log_rate: float = 0.01
    wrong_cpt_rate: float = 0.01
    mistyped_ticket_rate: float = 0.008
    cases_scale: float = 1.0


@dataclass
class Practice:
    """The simulation's result: every case, and the F3 lines by posting month."""

    start: str
    months: list[str]  # warm-up months first, then the generated ones
    pools: list[Pool]
    cases: list[Case]
    lines_by_month: dict[str, list[ChargeLine]] = field(default_factory=dict)
    med_rate_switch: str = ""
    no_posting_months: tuple[str, ...] = ()

    def pool_start(self, code: str) -> str:
        pool = next(p for p in self.pools if p.code == code)
        return add_months(self.start, pool.start_offset)


def _weighted(rng: random.Random, choices: list[tuple[str, int]]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _vacation_days(rng: random.Random, year: int) -> set[date]:
    """About five weeks off a year: a summer fortnight, a spring week, a winter week."""
    days: set[date] = set()
    for month, weeks in ((rng.choice((6, 7, 8)), 2), (rng.choice((3, 4, 5)), 1),
                         (rng.choice((10, 11, 12)), 1)):  # fmt: skip
        start = date(year, month, rng.randint(1, 20))
        start -= timedelta(days=start.weekday())
        days.update(start + timedelta(days=i) for i in range(7 * weeks))
    return days


def _day_plan(rng: random.Random, pools: list[Pool], day: date, start: str) -> tuple[str, str]:
    """Which site the physician works at today and what kind of list it is."""
    open_pools = [p for p in pools if month_key(day) >= add_months(start, p.start_offset)]
    sites = {p.site for p in open_pools}
    roll = rng.random()
    if "PB" in sites and roll < 0.16:
        return "PB", "ob"
    if "SD" in sites and roll < 0.34:
        return "SD", rng.choice(("spine", "spine", "ent"))
    return "UF", "gi" if rng.random() < 0.6 else "ortho"


def _cases_today(rng: random.Random, kind: str, day: date, scale: float) -> int:
    mean = {"gi": 11.0, "ortho": 4.5, "spine": 2.6, "ent": 4.5, "ob": 4.0}[kind]
    mean *= SEASON[day.month] * scale
    return max(1, round(rng.gauss(mean, mean * 0.2)))


def _simulate_day(
    rng: random.Random, day: date, site: str, kind: str, count: int, pool_of_site: dict[str, str]
) -> list[Case]:
    cases = []
    clock = rng.choice((420, 425, 430, 435, 450))
    for _ in range(count):
        proc = rng.choice(BY_KIND[kind])
        minutes = max(8, round(rng.gauss(proc.minutes, proc.spread)))
        start = rng.randint(0, 1380) if kind == "ob" else clock
        segments = [(start, start + minutes)]
        if kind in ("ortho", "spine") and rng.random() < 0.08:
            first = rng.randint(2, 9)
            pause = rng.randint(2, 6)
            segments = [(start, start + first), (start + first + pause, start + minutes + pause)]
        case = Case(
            seq=0,
            ticket="",
            day=day,
            site=site,
            pool=pool_of_site[site],
            procedure=proc,
            segments=segments,
            pay_code=_weighted(rng, PAY_CODES),
            patient=names.patient_name(rng),
        )
        if kind == "ob":
            case.ob_position = _weighted(rng, [("SE", 70), ("S", 12), ("E", 12), ("M", 6)])
        elif len(segments) == 1 and rng.random() < 0.02:
            case.handoff_pct = rng.randint(3000, 8500)
        if proc.cpt in BLOCKS and rng.random() < BLOCK_RATE[proc.cpt]:
            cpt, tenths = BLOCKS[proc.cpt]
            case.block = (cpt, tenths, rng.random() < 0.06)
        if kind != "ob" and rng.random() < 0.12:
            case.modifier = ("99100", 10)
        cases.append(case)
        clock = segments[-1][1] + rng.randint(8, 22 if kind == "gi" else 40)
        if kind == "gi" and rng.random() < 0.01:
            pain = Case(
                seq=0,
                ticket="",
                day=day,
                site=site,
                pool=pool_of_site[site],
                procedure=PAIN,
                segments=[(clock, clock + PAIN.minutes)],
                pay_code=_weighted(rng, PAY_CODES),
                patient=names.patient_name(rng),
            )
            cases.append(pain)
            clock += PAIN.minutes + rng.randint(8, 15)
    return cases


def _posting_day(day: date, closed: set[date]) -> date:
    """The billing company posts in batches on Tuesdays and Thursdays."""
    while day.weekday() not in (1, 3) or day in closed:
        day += timedelta(days=1)
    return day


def _backlog_by_week(rng: random.Random, first: date, last: date) -> dict[date, int]:
    """The coders' backlog in days, per service week: drifts slowly between one and six weeks.

    Cases of one week post together, so tickets mostly post in sequence; a slowly moving
    backlog keeps them in order, as real batches are.
    """
    backlog = 16.0
    weeks = {}
    monday = first - timedelta(days=first.weekday())
    while monday <= last:
        backlog = min(40.0, max(7.0, backlog + 0.15 * (16.0 - backlog) + rng.gauss(0.0, 2.5)))
        weeks[monday] = round(backlog)
        monday += timedelta(days=7)
    return weeks


def _lag_days(rng: random.Random, backlog: int) -> int:
    """Most cases post with their week's batch; some wait for paperwork, a few for months."""
    roll = rng.random()
    if roll < 0.93:
        return backlog + rng.randint(0, 2)
    if roll < 0.985:
        return backlog + rng.randint(10, 30)
    return backlog + rng.randint(40, 110)


def case_lines(case: Case, post_date: date, note: str | None = None) -> list[ChargeLine]:
    """The F3 lines a case bills as: anesthesia line(s), then block (Me) and modifier (Mo)."""
    conv = conversion_cents(case.day.year)
    proc = case.procedure
    base_h = proc.base_units * 100
    if case.ob_position in ("E", "M"):
        base_h = 0
    time_units = -(-case.minutes // 15)
    anes_charge = (base_h // 100 + time_units) * conv
    lines = []

    def line(**kw) -> ChargeLine:
        values = dict(case=case, note=note, service_type="An", cpt=proc.cpt,
                      pay_code=case.pay_code, start=None, stop=None, post_date=post_date,
                      split_pct=None, minutes=0, anes_h=0, med_t=0, other_t=0, charge_c=0,
                      ob_position=None)  # fmt: skip
        values.update(kw)
        return ChargeLine(**values)

    if proc.kind == "pain":
        return [line(service_type="CP", med_t=PAIN_MED_TENTHS,
                     charge_c=PAIN_MED_TENTHS * conv // 10)]  # fmt: skip
    if len(case.segments) > 1:
        total = case.minutes
        pcts, bases = [], []
        for start, stop in case.segments[:-1]:
            pcts.append(round((stop - start) * 10000 / total))
            bases.append(round(base_h * (stop - start) / total))
        pcts.append(10000 - sum(pcts))
        bases.append(base_h - sum(bases))
        for (start, stop), pct, base in zip(case.segments, pcts, bases, strict=True):
            lines.append(line(note="B", start=start, stop=stop, split_pct=pct,
                              minutes=stop - start, anes_h=base, charge_c=anes_charge))  # fmt: skip
    elif case.handoff_pct is not None:
        start, stop = case.segments[0]
        lines.append(line(note="S", start=start, stop=stop, split_pct=case.handoff_pct,
                          minutes=stop - start, anes_h=round(base_h * case.handoff_pct / 10000),
                          charge_c=anes_charge))  # fmt: skip
    else:
        start, stop = case.segments[0]
        lines.append(line(start=start, stop=stop, minutes=stop - start, anes_h=base_h,
                          charge_c=anes_charge, ob_position=case.ob_position))  # fmt: skip
    if case.block:
        cpt, tenths, zeroed = case.block
        lines.append(line(note="Z" if zeroed else note, service_type="Me", cpt=cpt,
                          med_t=0 if zeroed else tenths, charge_c=tenths * conv // 10))  # fmt: skip
    if case.modifier:
        cpt, tenths = case.modifier
        lines.append(line(service_type="Mo", cpt=cpt, other_t=tenths,
                          charge_c=tenths * conv // 10))  # fmt: skip
    if note == "D":  # every line of a duplicate posting is flagged, whatever it was
        for item in lines:
            item.note = "D"
    return lines


def _backout(lines: list[ChargeLine], post_date: date) -> list[ChargeLine]:
    """Credit lines reversing an earlier posting, carrying its month as Original Chg Mo
    (blank when the credit posts in the same month as the charge)."""
    out = []
    for src in lines:
        out.append(
            ChargeLine(
                case=src.case, note=None, service_type=src.service_type, cpt=src.cpt,
                pay_code=src.pay_code, start=src.start, stop=src.stop, post_date=post_date,
                split_pct=src.split_pct, minutes=-src.minutes, anes_h=-src.anes_h,
                med_t=-src.med_t, other_t=-src.other_t, charge_c=-src.charge_c,
                original_month=None if src.charge_month == month_key(post_date)
                else src.charge_month, ob_position=src.ob_position,
            )
        )  # fmt: skip
    return out


def _rebill(case: Case, rng: random.Random, post_date: date) -> list[ChargeLine]:
    """A corrected rebill after a backout: usually the payer was wrong."""
    case.pay_code = _weighted(rng, [(c, w) for c, w in PAY_CODES if c != case.pay_code])
    return case_lines(case, post_date)


def simulate(start: str, months: int, seed: int, params: PracticeParams | None = None) -> Practice:
    """Simulate the practice from the warm-up months through `months` generated months."""
    params = params or PracticeParams()
    rng = random.Random(seed)
    first = add_months(start, -params.warmup_months)
    all_months = month_range(first, params.warmup_months + months)
    pools = list(POOLS[: max(1, min(3, params.pool_count))])
    if len(pools) == 2:
        pools[1] = POOLS[2]  # with two pools, the second is the one that starts later
    pool_of_site = {p.site: p.code for p in pools}
    pool_of_site.setdefault("SD", pool_of_site["UF"])
    pool_of_site.setdefault("PB", pool_of_site["UF"])
    horizon_end = first_day(add_months(all_months[-1], 1))

    closed: set[date] = set()
    for year in range(int(first[:4]), int(all_months[-1][:4]) + 2):
        closed |= holidays(year)
    vacations: set[date] = set()
    for year in range(int(first[:4]), int(all_months[-1][:4]) + 1):
        vacations |= _vacation_days(random.Random(f"{seed}-vacation-{year}"), year)

    cases: list[Case] = []
    day = first_day(first)
    while day < horizon_end:
        if day.weekday() < 5 and day not in closed and day not in vacations:
            site, kind = _day_plan(rng, pools, day, start)
            count = _cases_today(rng, kind, day, params.cases_scale)
            cases.extend(_simulate_day(rng, day, site, kind, count, pool_of_site))
        day += timedelta(days=1)

    seq0 = 10000 + random.Random(f"{seed}-tickets").randint(0, 4000)
    number = names.PHYSICIAN_NUMBER
    cases.sort(key=lambda c: (c.day, c.start))
    for i, case in enumerate(cases):
        case.seq = seq0 + i
        # Five digits after the physician number, as the packets print them; a group-sized
        # history (the 300,000-line benchmark) runs past 99,999 and gets more digits
        # rather than reusing numbers (which would merge unrelated cases).
        case.ticket = f"{number}{case.seq:05d}"

    no_posting = tuple(add_months(start, k) for k in params.no_posting_offsets)
    switch = add_months(start, params.med_rate_switch_offset)

    def post_on(day: date) -> date:
        posted = _posting_day(day, closed)
        while month_key(posted) in no_posting:
            posted = _posting_day(first_day(add_months(month_key(posted), 1)), closed)
        return posted

    backlog = _backlog_by_week(random.Random(f"{seed}-backlog"), first_day(first), horizon_end)
    # One random stream per stage, each consumed in date order, so a shorter history is an
    # exact prefix of a longer one with the same seed.
    rng = random.Random(f"{seed}-billing")
    events: list[ChargeLine] = []
    billed: list[tuple[Case, list[ChargeLine]]] = []
    for case in cases:
        if rng.random() < params.never_billed_rate:
            continue
        week = backlog[case.day - timedelta(days=case.day.weekday())]
        case.post_date = post_on(case.day + timedelta(days=_lag_days(rng, week)))
        lines = case_lines(case, case.post_date)
        events.extend(lines)
        billed.append((case, lines))
        if rng.random() < params.duplicate_rate:
            dup = case_lines(case, case.post_date, note="D")
            events.extend(dup)
            events.extend(_backout(dup, post_on(case.post_date + timedelta(rng.randint(14, 60)))))
        elif rng.random() < params.backout_rate:
            when = post_on(case.post_date + timedelta(days=rng.randint(20, 120)))
            events.extend(_backout(lines, when))
            if rng.random() < 0.6:
                events.extend(_rebill(case, rng, when))

    # The medical-unit rate change: a coding audit backs out a few block charges posted at the
    # old rate, so the switch month's F2 carries the real "credited at the previous rate" note.
    before = [(c, ls) for c, ls in billed
              if month_key(c.post_date) in (add_months(switch, -2), add_months(switch, -1))
              and any(x.service_type == "Me" and x.med_t > 0 for x in ls)]  # fmt: skip
    audit = random.Random(f"{seed}-audit")
    for case, lines in audit.sample(before, min(2, len(before))):
        when = post_on(first_day(switch) + timedelta(days=audit.randint(3, 40)))
        events.extend(_backout(lines, when))
        events.extend(_rebill(case, audit, when))

    rng = random.Random(f"{seed}-log")
    for case in cases:
        roll = rng.random()
        if case.post_date is not None and roll < params.not_in_log_rate:
            case.in_log = False
        elif roll < params.not_in_log_rate + params.wrong_cpt_rate:
            kind = BY_KIND[case.procedure.kind]
            options = [p.cpt for p in kind if p.cpt != case.procedure.cpt] or ["64490"]
            case.log_cpt = rng.choice(options)
        elif roll < params.not_in_log_rate + params.wrong_cpt_rate + params.mistyped_ticket_rate:
            digits = list(case.ticket)
            i = rng.randint(3, 6)
            if digits[i] == digits[i + 1]:
                digits[i] = str((int(digits[i]) + 1) % 10)
            else:
                digits[i], digits[i + 1] = digits[i + 1], digits[i]
            case.log_ticket = "".join(digits)

    by_month: dict[str, list[ChargeLine]] = defaultdict(list)
    for line in events:
        by_month[month_key(line.post_date)].append(line)
    return Practice(
        start=start,
        months=all_months,
        pools=pools,
        cases=cases,
        lines_by_month={m: by_month.get(m, []) for m in all_months},
        med_rate_switch=switch,
        no_posting_months=no_posting,
    )
