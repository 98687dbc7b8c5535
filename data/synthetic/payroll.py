"""Compensation report, payroll stub and expense report, consistent with the pools' pay.

The clinical lines are the pools' current allocations S; everything below follows the packet's
own arithmetic (W-2 Income = Total Compensation - Overhead - Deductions Before Taxes, and so on),
with US/California payroll taxes (Social Security wage base, additional Medicare, SDI) so that
YTD-driven effects show up as they do in real packets. Amounts are integer cents. Year-to-date
figures accumulate over the months of one calendar year and restart in January.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from data.synthetic.dates import add_months, last_day
from data.synthetic.pay import PoolLedger, round_div
from data.synthetic.practice import Practice

LABEL_WIDTH = 27  # the report writer cuts labels at this many characters

CLINICAL = "Clinical Compensation Subject to Overhead"
ADMIN = "Administrative and Other Compensation Not Subject to Overhead"
TOTAL_COMP = "Total Compensation"
OVERHEAD = "Overhead"
DEDUCTIONS = "Deductions Before Taxes"
MEDICARE_INCOME = "Medicare Income"
W2 = "W-2 Income"
TAXES = "Employee Payroll Taxes Withheld"
AFTER_TAX_COMP = "After Tax Compensation"
AFTER_TAX_ITEMS = "After Tax Items"
NET = "Net Compensation/Net Pay"

# Sections whose single line is a stand-alone total (each its own section in the contract).
STANDALONE = (TOTAL_COMP, MEDICARE_INCOME, W2, AFTER_TAX_COMP, NET)

SS_WAGE_BASE = {2021: 14280000, 2022: 14700000, 2023: 16020000, 2024: 16860000,
                2025: 17610000, 2026: 18450000}  # fmt: skip
ROTH_LIMIT = {2021: 1950000, 2022: 2050000, 2023: 2250000, 2024: 2300000, 2025: 2350000,
              2026: 2450000}  # fmt: skip
OVERHEAD_RATE = {2021: 945, 2022: 945, 2023: 945, 2024: 945, 2025: 980, 2026: 960}  # 1/100 %
HDHP = {2021: 224311, 2022: 232877, 2023: 241050, 2024: 249514, 2025: 258072, 2026: 266841}
SDI_RATE = {2021: 120, 2022: 110, 2023: 90, 2024: 110, 2025: 120, 2026: 130}  # 1/100 %
SDI_CAP_2023 = 15316400


def _by_year(table: dict[int, int], year: int) -> int:
    return table.get(year, table[max(table)] if year > max(table) else table[min(table)])


def cut_label(label: str) -> str:
    return label[:LABEL_WIDTH].rstrip()


@dataclass
class CompLine:
    section: str
    label: str | None
    period: int | None  # cents; None = blank cell
    ytd: int
    subtotal: bool = False


@dataclass
class ExpenseItem:
    category: str
    reimb: str
    day: object  # datetime.date
    invoice: str | None
    description: str
    vendor: str
    amount: int


@dataclass
class MonthPay:
    """One month's compensation report, payroll stub and expense report."""

    month: str
    comp_lines: list[CompLine]
    stub_earnings: list[tuple[str, int, int]]
    stub_deductions: list[tuple[str, int, int]]
    expenses: list[ExpenseItem]
    net_pay: tuple[int, int]
    gross: tuple[int, int]


@dataclass
class _Year:
    ytd: dict[tuple[str, str], int] = field(default_factory=dict)
    order: list[tuple[str, str]] = field(default_factory=list)

    def add(self, section: str, label: str, amount: int) -> int:
        key = (section, label)
        if key not in self.ytd:
            self.ytd[key] = 0
            self.order.append(key)
        self.ytd[key] += amount
        return self.ytd[key]


EXPENSE_CATALOG = [
    ("MEDICAL LICENSES AND DUES", "STATE MEDICAL LICENSE RENEWAL", "MEDICAL BOARD", 86300),
    ("MEDICAL LICENSES AND DUES", "DEA REGISTRATION RENEWAL", "DRUG ENFORCEMENT ADMIN", 88800),
    ("MEDICAL LICENSES AND DUES", "ANESTHESIOLOGY SOCIETY DUES", "STATE ANES SOCIETY", 62500),
    ("CONTINUING MEDICAL EDUCATION", "CME REGISTRATION - REGIONAL ANES", "PACIFIC ANES FORUM",
     89500),
    ("CONTINUING MEDICAL EDUCATION", "ONLINE CME SUBSCRIPTION", "LEARNWELL MEDICAL", 39900),
    ("CONTINUING MEDICAL EDUCATION", "AIRFARE - CME MEETING", "SKYWARD AIR", 41260),
    ("CONTINUING MEDICAL EDUCATION", "HOTEL - CME MEETING", "HARBORVIEW SUITES", 78344),
    ("MEDICAL BOOKS AND SUBSCRIPTIONS", "ANESTHESIA JOURNAL SUBSCRIPTION", "MEDPRESS", 29900),
    ("MEDICAL BOOKS AND SUBSCRIPTIONS", "DRUG REFERENCE APP", "PHARMAREF", 16999),
    ("MISCELLANEOUS BUSINESS EXPENSES", "CELL PHONE - BUSINESS USE", "WAVELINE WIRELESS", 8500),
    ("MISCELLANEOUS BUSINESS EXPENSES", "SCRUBS AND SHOES", "MEDWEAR SUPPLY", 14235),
    ("MISCELLANEOUS BUSINESS EXPENSES", "LOUPES AND HEADLIGHT", "OPTIFIELD", 45000),
]  # fmt: skip


def _expenses(rng: random.Random, month: str, counter: list[int]) -> list[ExpenseItem]:
    """0 to ~30 reimbursable items: many in January (renewals), some months none."""
    year = int(month[:4])
    items: list[ExpenseItem] = []
    if month.endswith("-03"):
        amount = rng.randint(15000, 26000)
        items.append(ExpenseItem("MISCELLANEOUS BUSINESS EXPENSES", f"ALLOCATION{year - 1}",
                                 last_day(month), None, f"ASMG 401K PLAN {year - 1} FEES",
                                 "EXPENSES", amount))  # fmt: skip
    count = 0
    if month.endswith("-01"):
        count = rng.randint(18, 36)
    elif rng.random() < 0.45:
        count = rng.randint(1, 4)
    for _ in range(count):
        category, description, vendor, typical = rng.choice(EXPENSE_CATALOG)
        counter[0] += 1
        day = last_day(month).replace(day=rng.randint(1, last_day(month).day))
        invoice = f"INV{rng.randint(10000, 99999)}" if rng.random() < 0.7 else None
        amount = round(typical * rng.uniform(0.8, 1.2))
        items.append(ExpenseItem(category, f"R{counter[0]:06d}", day, invoice, description,
                                 vendor, amount))  # fmt: skip
    items.sort(key=lambda i: (i.category, i.day, i.reimb))
    return items


def _pool_label(practice: Practice, code: str, month: str) -> str:
    pool = next(p for p in practice.pools if p.code == code)
    rename = add_months(practice.start, 24)
    label = pool.labels[-1] if (month >= rename and len(pool.labels) > 1) else pool.labels[0]
    return cut_label(label)


def _employer_fica(base: int, ss_room: int) -> int:
    """Employer FICA on W-2 income W where W = base - FICA (the charge reduces its own base)."""
    if base <= 0:
        return 0
    w = base * 10000 // 10765
    if w > ss_room:
        w = (base - ss_room * 620 // 10000) * 10000 // 10145
    return base - w


def build_pay(practice: Practice, ledger: PoolLedger, seed: int) -> dict[str, MonthPay]:
    """Every month's compensation report, stub and expenses, with running YTD."""
    rng = random.Random(seed * 104729 + 3)
    result: dict[str, MonthPay] = {}
    year_state: dict[int, _Year] = {}
    w2_ytd: dict[int, int] = {}
    roth_ytd: dict[int, int] = {}
    counter = [rng.randint(1000, 5000)]
    for month in practice.months:
        year = int(month[:4])
        state = year_state.setdefault(year, _Year())
        period: dict[tuple[str, str], int] = {}

        def put(section: str, label: str, amount: int, period=period) -> None:
            label = cut_label(label)
            period[(section, label)] = period.get((section, label), 0) + amount

        for page in ledger.pages.get(month, []):
            if page.code != "ALL":
                put(CLINICAL, _pool_label(practice, page.code, month), page.current_allocation)
        if month.endswith("-02"):
            put(CLINICAL, "Estimate to Actual Adjustment", rng.randint(200000, 900000))
        if rng.random() < 0.25:
            put(CLINICAL, "CPM FFS Pain", rng.randint(8000, 40000))
        stipend = 350000 if month < add_months(practice.start, 24) else 375000
        put(ADMIN, "Medical Director Stipend", stipend)
        if rng.random() < 0.3:
            put(ADMIN, "Call Coverage Stipend", rng.choice((120000, 180000, 240000)))
        clinical = sum(v for (s, _), v in period.items() if s == CLINICAL)
        admin = sum(v for (s, _), v in period.items() if s == ADMIN)
        rate = _by_year(OVERHEAD_RATE, year)
        put(OVERHEAD, f"Overhead Deduction ({rate / 100:5.2f}%)", round_div(clinical * rate, 10000))
        overhead = round_div(clinical * rate, 10000)

        expenses = _expenses(rng, month, counter)
        put(DEDUCTIONS, "Protective Trust Maint Fee", 20000)
        if expenses:
            put(DEDUCTIONS, "Business Expense", sum(e.amount for e in expenses))
        put(DEDUCTIONS, "HDHP 2800 PPO - Emp + Fam", _by_year(HDHP, year))
        if month.endswith("-04"):
            put(DEDUCTIONS, "UHC Accident", -1113)
        put(DEDUCTIONS, "Employer 401 (K) Deduction", 530309 if year >= 2025 else 495000)
        put(DEDUCTIONS, "Cash Balance Plan Contribution", 400000)
        other_deductions = sum(v for (s, _), v in period.items() if s == DEDUCTIONS)
        base = clinical + admin - overhead - other_deductions
        before = w2_ytd.get(year, 0)
        ss_base = _by_year(SS_WAGE_BASE, year)
        fica = _employer_fica(base, max(0, ss_base - before))
        put(DEDUCTIONS, "Employer Portion of FICA", fica)
        w2 = base - fica
        w2_ytd[year] = before + w2

        taxable = max(0, w2)
        ss = round_div(max(0, min(taxable, ss_base - before)) * 620, 10000)
        extra = max(0, before + taxable - 20000000) - max(0, before - 20000000)
        medicare = round_div(taxable * 145 + extra * 90, 10000)
        sdi_base = taxable if year != 2023 else max(0, min(taxable, SDI_CAP_2023 - before))
        sdi = round_div(sdi_base * _by_year(SDI_RATE, year), 10000)
        federal = round_div(taxable * 1900, 10000)
        state_tax = round_div(taxable * 720, 10000)
        taxes = [("Federal Income Tax", federal), ("FICA Medicare", medicare),
                 ("FICA Social Security", ss), ("State Income Tax", state_tax),
                 ("State Disability Insurance", sdi)]  # fmt: skip
        for label, amount in taxes:
            put(TAXES, label, amount)

        roth_done = roth_ytd.get(year, 0)
        roth = max(0, min(106000, _by_year(ROTH_LIMIT, year) - roth_done))
        roth_ytd[year] = roth_done + roth
        put(AFTER_TAX_ITEMS, "Roth 401(k) Deferral", roth)
        put(AFTER_TAX_ITEMS, "Long Term Disability", 41277)
        put(AFTER_TAX_ITEMS, "Term Life Insurance", 69000)
        reimbursement = -rng.choice((41250, 18875, 9900)) if rng.random() < 0.1 else 0
        if reimbursement:
            put(AFTER_TAX_ITEMS, "Business Exp. Reimbursement", reimbursement)

        for key, amount in period.items():
            if key not in state.ytd:
                state.add(*key, 0)
            state.ytd[key] += amount

        pool_labels = {_pool_label(practice, p.code, month) for p in practice.pools}
        lines = _comp_lines(state, period, w2, w2_ytd[year], pool_labels)
        net = next(x for x in lines if x.section == NET)
        earnings, deductions = _stub(period, state.ytd, (w2, w2_ytd[year]), (net.period, net.ytd))
        result[month] = MonthPay(month, lines, earnings, deductions, expenses,
                                 (net.period or 0, net.ytd), (w2, w2_ytd[year]))  # fmt: skip
    return result


STUB_TAXES = (("Federal Income Tax", "Federal Income Tax"),
              ("Employee FICA Medicare", "FICA Medicare"),
              ("Employee FICA Social Security", "FICA Social Security"),
              ("California State Witholding", "State Income Tax"),
              ("State Disability Insurance", "State Disability Insurance"))  # fmt: skip


def _stub(
    period: dict, ytd: dict, gross: tuple[int, int], net: tuple[int | None, int]
) -> tuple[list[tuple[str, int, int]], list[tuple[str, int, int]]]:
    """The payroll stub's two tables: the same money as the report, grouped as the stub does."""

    def pair(section: str, *labels: str) -> tuple[int, int]:
        keys = [(section, label) for label in labels]
        return sum(period.get(k, 0) for k in keys), sum(ytd.get(k, 0) for k in keys)

    taxes = [(stub, *pair(TAXES, label)) for stub, label in STUB_TAXES]
    tax_total = pair(TAXES, *(label for _, label in STUB_TAXES))
    after = [
        ("401(k) Deferral - Roth", *pair(AFTER_TAX_ITEMS, "Roth 401(k) Deferral")),
        ("Other After-Tax Deductions",
         *pair(AFTER_TAX_ITEMS, "Long Term Disability", "Term Life Insurance")),
        ("Business Exp. Reimbursement", *pair(AFTER_TAX_ITEMS, "Business Exp. Reimbursement")),
    ]  # fmt: skip
    after_total = (sum(a[1] for a in after), sum(a[2] for a in after))
    deductions = taxes + [("Total Payroll Taxes", *tax_total)] + after
    deductions.append(("Total After-Tax items", *after_total))
    earnings = [
        ("Gross Earnings", *gross),
        ("Total Gross Earnings", *gross),
        ("Taxable Earnings", *gross),
        ("Net Pay", net[0] or 0, net[1]),
    ]
    return earnings, deductions


SECTION_ORDER = (CLINICAL, ADMIN, TOTAL_COMP, OVERHEAD, DEDUCTIONS, MEDICARE_INCOME, W2, TAXES,
                 AFTER_TAX_COMP, AFTER_TAX_ITEMS, NET)  # fmt: skip


def _comp_lines(
    state: _Year, period: dict, w2: int, w2_ytd: int, pool_labels: set[str]
) -> list[CompLine]:
    """The report's lines in printed order, with subtotals and stand-alone totals."""
    lines: list[CompLine] = []
    subtotals: dict[str, tuple[int, int]] = {}
    for section in (CLINICAL, ADMIN, OVERHEAD, DEDUCTIONS, TAXES, AFTER_TAX_ITEMS):
        keys = [k for k in state.order if k[0] == section]
        if section == CLINICAL:
            # adjustments and fee-for-service lines first, the pool lines last (as printed)
            keys.sort(key=lambda k: k[1] in pool_labels)
        own = []
        for key in keys:
            p, y = period.get(key, 0), state.ytd[key]
            if p == 0 and y == 0:
                continue
            own.append(CompLine(section, key[1], p if p != 0 else None, y))
        subtotals[section] = (sum(x.period or 0 for x in own), sum(x.ytd for x in own))
        lines.extend(own)
        lines.append(CompLine(section, None, *subtotals[section], subtotal=True))
    total = tuple(a + b for a, b in zip(subtotals[CLINICAL], subtotals[ADMIN], strict=True))
    after_tax = (w2 - subtotals[TAXES][0], w2_ytd - subtotals[TAXES][1])
    net = tuple(a - b for a, b in zip(after_tax, subtotals[AFTER_TAX_ITEMS], strict=True))
    extra = {
        TOTAL_COMP: total,
        MEDICARE_INCOME: (w2, w2_ytd),
        W2: (w2, w2_ytd),
        AFTER_TAX_COMP: after_tax,
        NET: net,
    }
    ordered: list[CompLine] = []
    for section in SECTION_ORDER:
        if section in extra:
            p, y = extra[section]
            ordered.append(CompLine(section, section, p if p != 0 else None, y))
        else:
            ordered.extend(x for x in lines if x.section == section)
    return ordered
