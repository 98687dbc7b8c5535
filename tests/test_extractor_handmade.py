"""A packet drawn by hand from report-packet.md's own samples, in a style unlike the generator's.

The round-trip tests use the project's generator; this one guards against fitting the extractor
to that one report writer. It draws with another font, centred headers over right-aligned
numbers, a rotated `Note` header, a stub whose `Period:` is drawn twice with an offset, two
stub labels touching (`131,006.12Total Payroll Taxes`), a long patient name drawn over the site
and service codes, a lone compensation amount in either column, parentheses negatives, and a
new pool with two months in Section 2. Every value it draws is asserted back.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from reportlab.lib.pagesizes import landscape, letter
from reportlab.pdfgen import canvas

from data.extraction.tokens import parse_amount
from data_extractor import extract_packet

FONT = "Times-Roman"
CLIN = "Clinical Compensation Subject to Overhead"
ADMIN = "Administrative and Other Compensation Not Subject to Overhead"


def _text(c: canvas.Canvas, x: float, y: float, text: str, align: str = "left") -> None:
    if align == "right":
        c.drawRightString(x, y, text)
    elif align == "center":
        c.drawCentredString(x, y, text)
    else:
        c.drawString(x, y, text)


def _money(value: float | None, parens: bool = False) -> str:
    if value is None:
        return ""
    if value < 0 and parens:
        return f"( {-value:,.2f})"  # with a space after the parenthesis, as some writers do
    return f"{value:,.2f}"


STUB_EARNINGS = [
    ("Gross Earnings", 46002.04, 131006.12),
    ("Total Gross Earnings", 46002.04, 131006.12),
    ("Taxable Earnings", 46002.04, 131006.12),
    ("Net Pay", 28405.59, 80976.96),
]
STUB_DEDUCTIONS = [
    ("Federal Income Tax", 8271.16, 23554.90),
    ("Employee FICA Medicare", 667.03, 1899.59),
    ("Employee FICA Social Security", 2852.13, 8122.38),
    ("California State Witholding", 3091.34, 8803.61),
    ("Total Payroll Taxes", 15433.68, 43952.55),
    ("Business Exp. Reimbursement", 0.00, -412.50),
]
# which text line of the stub table each row sits on (left, right), as in the real stub
STUB_ROWS = [(0, 0), (None, 1), (None, 2), (None, 3), (1, 4), (None, 5), (2, None), (3, None)]


def _draw_stub(c: canvas.Canvas) -> None:
    c.setFont(FONT, 9)
    _text(c, 40, 750, "Anesthesia Service Medical Group, Inc.")
    for dx, dy in ((0, 0), (1.1, -0.6)):  # drawn twice, offset: `20Ma2r6ch`
        _text(c, 250 + dx, 750 + dy, "Period: March 2026")
    _text(c, 400, 750, "Pay Date: 04/10/2026")
    _text(c, 40, 730, "Employee Name")
    _text(c, 200, 730, "Employee Number")
    _text(c, 40, 718, "Doe M.D., Jane")
    _text(c, 200, 718, "731")
    _text(c, 40, 690, "Earnings")
    _text(c, 300, 690, "Deductions & After-Tax Items")
    for x, title, align in (
        (40, "Description", "left"), (180, "Amount", "right"), (250, "YTD Amt", "right"),
        (262, "Description", "left"), (480, "Amount", "right"), (550, "YTD Amt", "right"),
    ):  # fmt: skip
        _text(c, x, 678, title, align)
    y = 666
    for left, right in STUB_ROWS:
        if left is not None:
            label, cur, ytd = STUB_EARNINGS[left]
            dollar = "$" if label in ("Gross Earnings", "Taxable Earnings", "Net Pay") else ""
            _text(c, 40, y, label)
            _text(c, 180, y, dollar + _money(cur), "right")
            _text(c, 250, y, dollar + _money(ytd), "right")
        if right is not None:
            label, cur, ytd = STUB_DEDUCTIONS[right]
            # the right label starts where the left YTD amount ends: the two touch
            start = 250 if left is not None else 262
            _text(c, start, y, label)
            _text(c, 480, y, _money(cur), "right")
            _text(c, 550, y, _money(ytd), "right")
        y -= 12
    _text(c, 40, y - 30, "PERIOD March 2026")
    _text(c, 40, y - 42, "NET DEPOSIT $28,405.59")
    c.showPage()


COMP_LINES = [
    (CLIN, "Estimate to Actual Adjustme", None, 7118.20, False),
    (CLIN, "CPM FFS Pain", None, 212.06, False),
    (CLIN, "Surgical Center San Diego", 41.10, 97.35, False),
    (CLIN, "UTC Surgical Center", 60052.15, 171340.50, False),
    (CLIN, None, 60093.25, 178768.11, True),
    (ADMIN, "Medical Director Stipend", 3500.00, 10500.00, False),
    (ADMIN, None, 3500.00, 10500.00, True),
    ("Total Compensation", "Total Compensation", 63593.25, 189268.11, False),
    ("Overhead", "Overhead Deduction ( 9.45%)", 5678.81, 16893.58, False),
    ("Overhead", None, 5678.81, 16893.58, True),
    ("Deductions Before Taxes", "Protective Trust Maint Fee", 200.00, 600.00, False),
    ("Deductions Before Taxes", "Business Expense", 188.10, 410.25, False),
    ("Deductions Before Taxes", "Employer Portion of FICA", 3519.16, 10021.84, False),
    ("Deductions Before Taxes", "HDHP 2800 PPO - Emp + Fam", 2580.72, 7742.16, False),
    ("Deductions Before Taxes", "UHC Accident", -11.13, None, False),
    ("Deductions Before Taxes", "Employer 401 (K) Deduction", 5435.55, 22594.16, False),
    ("Deductions Before Taxes", None, 11912.40, 41368.41, True),
    ("Medicare Income", "Medicare Income", 46002.04, 131006.12, False),
    ("W-2 Income", "W-2 Income", 46002.04, 131006.12, False),
    ("Employee Payroll Taxes Withheld", "Federal Income Tax", 8271.16, 23554.90, False),
    ("Employee Payroll Taxes Withheld", "Other Payroll Taxes", 7162.52, 20397.65, False),
    ("Employee Payroll Taxes Withheld", None, 15433.68, 43952.55, True),
    ("After Tax Compensation", "After Tax Compensation", 30568.36, 87053.57, False),
    ("After Tax Items", "Roth 401(k) Deferral", 530.00, 1590.00, False),
    ("After Tax Items", "Other After-Tax Deductions", 1632.77, 4486.61, False),
    ("After Tax Items", None, 2162.77, 6076.61, True),
    ("Net Compensation/Net Pay", "Net Compensation/Net Pay", 28405.59, 80976.96, False),
]
SECTION_HEADERS = {CLIN, ADMIN, "Overhead", "Deductions Before Taxes",
                   "Employee Payroll Taxes Withheld", "After Tax Items"}  # fmt: skip


def _draw_compensation(c: canvas.Canvas) -> None:
    """Two pages; the header block repeats; amounts right-aligned under centred titles."""

    def header() -> float:
        c.setFont(FONT, 9)
        for y, line in ((750, "Anesthesia Service Medical Grp"),
                        (738, "Physician Compensation Report"),
                        (726, "For the Month of March"), (714, "Payroll Issued: 4/10/2026"),
                        (702, "Jane Doe M.D. - 731")):  # fmt: skip
            _text(c, 306, y, line, "center")
        _text(c, 400, 684, "Period to Date", "center")
        _text(c, 500, 684, "Year to Date", "center")
        _text(c, 400, 674, "Actual", "center")
        _text(c, 500, 674, "Actual", "center")
        return 660

    y = header()
    section = None
    for index, (sec, label, ptd, ytd, _subtotal) in enumerate(COMP_LINES):
        if index == 14:  # the report runs over two pages
            _text(c, 306, 40, "Page 1 of 2", "center")
            c.showPage()
            y = header()
        if sec != section and sec in SECTION_HEADERS:
            _text(c, 40, y, sec)
            y -= 11
        section = sec
        if label:
            _text(c, 50, y, label)
        _text(c, 430, y, _money(ptd, parens=True), "right")
        _text(c, 530, y, _money(ytd, parens=True), "right")
        y -= 11
    _text(c, 306, 40, "Page 2 of 2", "center")
    c.showPage()


F3_COLUMNS = [  # (key, header lines, x of the column's left edge)
    ("ticket", ["Phys", "Ticket", "Ref#"], 14),
    ("note", None, 50),
    ("name", ["Patient Name"], 58),
    ("orig", ["Orig", "Chg", "Mo"], 128),
    ("site", ["Site", "Code"], 146),
    ("serv", ["Serv", "Type"], 160),
    ("cpt", ["CPT", "Code"], 174),
    ("pay", ["Pay", "Code"], 196),
    ("start", ["Start", "Time"], 224),
    ("stop", ["Stop", "Time"], 244),
    ("dos", ["Date", "of", "Service"], 264),
    ("dop", ["Date", "of", "Post"], 292),
    ("ob", ["OB", "Pos"], 320),
]
F3_NUMBERS = [  # right edges of the numeric columns, then the pool codes
    ("split", 352), ("time", 372), ("anes", 394), ("med", 412), ("other", 430),
    ("charge", 466), ("subpool", 470), ("sbpct", 504), ("sptime", 530), ("spanes", 552),
    ("spmed", 574), ("grppool", 578), ("grpct", 612), ("gptime", 636), ("gpanes", 660),
    ("gpmed", 684),
]  # fmt: skip
F3_LINES = [
    # ticket, note, name, orig, site, serv, cpt, pay, start, stop, dos, dop, ob, split,
    # time, anes, med, other, charge, subpool
    ("73102210", None, "Alvarez Maria", None, "UF", "An", "45380", "PPO", "07:03", "07:47",
     "2/27/26", "3/11/26", None, None, "44", "4.00", "0.0", "0.0", "868.00", "UTCS"),
    ("73102211", "B", "Okafor Daniel J", None, "UF", "An", "27447", "PPO", "07:12", "07:15",
     "2/27/26", "3/11/26", None, "2.11", "3", "0.15", "0.0", "0.0", "2,108.00", "UTCS"),
    ("73102211", "B", "Okafor Daniel J", None, "UF", "An", "27447", "PPO", "07:19", "09:38",
     "2/27/26", "3/11/26", None, "97.89", "139", "6.85", "0.0", "0.0", "2,108.00", "UTCS"),
    ("73102211", None, "Okafor Daniel J", None, "UF", "Me", "64445", "PPO", None, None,
     "2/27/26", "3/11/26", None, None, "0", "0.00", "7.0", "0.0", "868.00", "UTCS"),
    ("73102214", None, "Nguyen Thi", "1/26", "UF", "Mo", "99100", "HMO", None, None,
     "3/2/26", "3/11/26", None, None, "0", "0.00", "0.0", "1.0", "124.00", "UTCS"),
    ("73102215", "M", "Quiambao Cunningham Carroll Flynn", None, "UF", "An", "01402", "MCARE",
     "11:40", "12:58", "3/4/26", "3/18/26", "SE", None, "78", "7.00", "0.0", "0.0",
     "-1,512.00", "SCSD"),
    ("73102216", None, "Fischer Anna L", None, "UF", "An", "29881", "SELF", "14:27", "16:15",
     "3/27/26", "3/30/26", None, None, "108", "4.00", "0.0", "0.0", "1,488.00", "UTCS"),
]  # fmt: skip


def _f3_header(c: canvas.Canvas, page: int) -> float:
    c.setFont(FONT, 7)
    _text(c, 14, 590, "Run Date: 4/8/2026")
    _text(c, 380, 590, "ASMG")
    _text(c, 700, 590, f"Page: {page}")
    _text(c, 14, 581, "Sys Date: 4/8/2026")
    _text(c, 396, 581, "ChargeTransaction & Ticket Tracking Report (F3)", "center")
    _text(c, 700, 581, "Time: 5:02:13PM")
    _text(c, 396, 572, "March, 2026", "center")
    _text(c, 14, 563, "Note: S=Split linked with split placeholder, B=Break in case, M=Missing")
    _text(c, 14, 554, "Physician: DOE, M.D. , JANE - 731")
    _text(c, 300, 554, "Sort Order Selection: Physician Ticket Reference #")
    c.setFont(FONT, 6)
    for _key, lines, x in F3_COLUMNS:
        for i, word in enumerate(lines or []):
            _text(c, x, 540 - 7 * i, word)
    c.saveState()
    c.translate(56, 520)
    c.rotate(90)
    _text(c, 0, 0, "Note")
    c.restoreState()
    for key, x in F3_NUMBERS:
        _text(c, x, 519, key[:6], "right" if key not in ("subpool", "grppool") else "left")
    return 505


def _landscape_page(c: canvas.Canvas, turned: int) -> None:
    """A landscape page; `turned` +-90: drawn turned on a portrait page shown by /Rotate."""
    if not turned:
        c.setPageSize(landscape(letter))
        return
    c.setPageSize(letter)
    if turned > 0:
        c.setPageRotation(270)
        c.translate(letter[0], 0)
    else:
        c.setPageRotation(90)
        c.translate(0, letter[1])
    c.rotate(turned)


def _draw_charges(c: canvas.Canvas, turned: int = 0) -> None:
    _landscape_page(c, turned)
    y = _f3_header(c, 1)
    for index, line in enumerate(F3_LINES):
        if index == 4:  # ticket 73102211 ran over; start page 2 here
            c.showPage()
            _landscape_page(c, turned)
            y = _f3_header(c, 2)
        c.setFont(FONT, 6.5)
        cells = dict(zip(
            ["ticket", "note", "name", "orig", "site", "serv", "cpt", "pay", "start", "stop",
             "dos", "dop", "ob"], line[:13], strict=True))  # fmt: skip
        for key, _lines, x in F3_COLUMNS:
            if cells[key]:
                _text(c, x, y, cells[key])
        values = dict(zip(["split", "time", "anes", "med", "other", "charge", "subpool"],
                          line[13:], strict=True))  # fmt: skip
        values.update(sbpct="100", sptime=f"{float(values['time']):.2f}",
                      spanes=values["anes"], spmed=f"{float(values['med']):.2f}", grppool=None,
                      grpct="0", gptime="0.00", gpanes="0.00", gpmed="0.00")  # fmt: skip
        for key, x in F3_NUMBERS:
            if values.get(key):
                align = "left" if key in ("subpool", "grppool") else "right"
                _text(c, x, y, values[key], align)
        y -= 9
    totals = ["372", "22.00", "7.0", "1.0", "6,052", "372.00", "22.00", "7.00", "0.00",
              "0.00", "0.00"]  # fmt: skip
    for (_key, x), text in zip(
        [f for f in F3_NUMBERS if f[0] not in ("split", "subpool", "grppool", "sbpct", "grpct")],
        totals,
        strict=True,
    ):
        _text(c, x, y - 6, text, "right")
    _text(c, 14, y - 15, "Total:")
    y -= 40
    for i, head in enumerate(["Anes Anes Med", "Pool Name Time Base Base Other Sub",
                              "(Min) Units Units Units Pool"]):  # fmt: skip
        _text(c, 14, y - 8 * i, head)
    y -= 30
    for name, code, vals in (("UTC SURGICAL CENTER", "UTCS", ("294.00", "15.00", "7.00", "1.0")),
                             ("SURGICAL CENTER OF SAN DIEGO", "SCSD",
                              ("78.00", "7.00", "0.00", "0.0"))):  # fmt: skip
        _text(c, 14, y, name)
        for x, v in zip((200, 240, 280, 310), vals, strict=True):
            _text(c, x, y, v, "right")
        _text(c, 320, y, code)
        y -= 9
    _text(c, 200, y, "372", "right")
    _text(c, 14, y - 9, "Total:")
    c.showPage()


def _f2_page(c: canvas.Canvas, title: str, s1: list[str], months2, points2, weights, adjusted,
             n_total, months3, rates, history, o_rate, p_total, months4, priors, q,
             rqs, notes: tuple[str, str] | None = None) -> None:  # fmt: skip
    c.setPageSize(letter)
    c.setFont(FONT, 7)
    _text(c, 30, 760, "Run Date: 4/8/2026 ASMG Page: 3")
    _text(c, 306, 751, "Pooled Compensation Report (F2)", "center")
    _text(c, 306, 742, "March, 2026", "center")
    _text(c, 30, 733, "Physician: DOE, M.D. , JANE - 731")
    _text(c, 30, 724, title)
    _text(c, 30, 710, "Section 1: Billed Units or Points Subject to Pooling")
    _text(c, 30, 700, "(A) (B) (C) = (A) + (B) (D) = (E) (F) (G) = (E) + (F) (H) = (I) (J) "
          "(K)=(I)+(J) *(L)= (M)=")  # fmt: skip
    _text(c, 30, 692, "Actual Adj. Total (C)*0.10 Billed Adj. Total (G)*0.50 Billed Adj. Total "
          "(K)*0.50 (D)+(H)+(L)")  # fmt: skip
    for i, v in enumerate(s1):
        _text(c, 70 + 40 * i, 680, v, "right")

    def month_row(y: float, months: list[str]) -> None:
        for i, m in enumerate(months):
            _text(c, 100 + 38 * i, y, m, "right")
        _text(c, 100 + 38 * 12 + 20, y, "Total", "right")

    def value_row(y: float, label: str, values: list[str | None], tail: list[str]) -> None:
        _text(c, 30, y, label)
        for i, v in enumerate(values):
            if v:
                _text(c, 100 + 38 * i, y, v, "right")
        for j, v in enumerate(tail):
            _text(c, 100 + 38 * 12 + 20 + 28 * j, y, v, "right")

    _text(c, 30, 660, "Section 2: Adjusted Units or Points")
    month_row(650, months2)
    value_row(640, "Points", points2, ["(M)", "5,623.05"])
    value_row(630, "", weights, ["100%"])
    value_row(620, "", adjusted, [n_total, "(N)"])
    _text(c, 30, 600, "Section 3: Pooled Points")
    month_row(590, months3)
    value_row(580, "Pooled Rate", rates, ["(O)"] + ([o_rate] if o_rate else []))
    value_row(570, "", history, ["(N)", p_total, "(P)"])
    _text(c, 30, 550, "Section 4: Prior Pooled Allocations")
    month_row(540, months4)
    value_row(530, "Prior Alloc", priors, [q, "(Q)"])
    _text(c, 30, 510, "Section 5: Gross Compensation")
    _text(c, 60, 500, "(R) = (O) * (P) (Q) (S) = (R) - (Q)")
    _text(c, 60, 492, "Total Prior Current")
    for i, v in enumerate(rqs):
        _text(c, 120 + 80 * i, 482, v, "right")
    _text(c, 30, 462, "Section 6: Notes")
    if notes:  # the notes run over onto a page with only the report header
        _text(c, 30, 452, notes[0])
        c.showPage()
        c.setFont(FONT, 7)
        _text(c, 30, 760, "Run Date: 4/8/2026 ASMG Page: 5")
        _text(c, 306, 751, "Pooled Compensation Report (F2)", "center")
        _text(c, 306, 742, "March, 2026", "center")
        _text(c, 30, 733, "Physician: DOE, M.D. , JANE - 731")
        _text(c, 30, 715, notes[1])
    c.showPage()


NOTES = ("The calculation for Medical Units varies from 50% due to backouts",
         "of prior period charges that were credited at the previous rate of 60%.")  # fmt: skip
MONTHS12 = ["Apr 25", "May 25", "Jun 25", "Jul 25", "Aug 25", "Sep 25", "Oct 25", "Nov 25",
            "Dec 25", "Jan 26", "Feb 26", "Mar 26"]  # fmt: skip


def _draw_pools(c: canvas.Canvas) -> None:
    s1_all = ["334.00", "0.00", "334.00", "33.40", "29.00", "0.00", "29.00", "14.50", "7.00",
              "0.00", "7.00", "3.50", "51.40"]  # fmt: skip
    _f2_page(c, "TOTAL FOR ALL POOLS", s1_all, ["Feb 26", "Mar 26"], ["8.00", "51.40"],
             ["40%", "10%"], ["3.20", "5.14"], "8.34", ["Feb 26", "Mar 26"], [None, None],
             ["3.20", "8.34"], None, "11.54", ["Feb 26"], ["100.00"], "100.00",
             ["634.90", "100.00", "534.90"])  # fmt: skip
    s1_new = ["78.00", "0.00", "78.00", "7.80", "7.00", "0.00", "7.00", "3.50", "0.00", "0.00",
              "0.00", "0.00", "11.30"]  # fmt: skip
    _f2_page(c, "Pool: SCSD - SURGICAL CENTER OF SAN DIEGO", s1_new, ["Feb 26", "Mar 26"],
             ["8.00", "11.30"], ["40%", "10%"], ["3.20", "1.13"], "4.33", ["Feb 26", "Mar 26"],
             ["55.00", "55.02"], ["3.20", "4.33"], "55.02", "7.53", ["Feb 26"], ["100.00"],
             "100.00", ["414.30", "100.00", "314.30"], NOTES)  # fmt: skip


def _draw_expenses(c: canvas.Canvas) -> None:
    c.setPageSize(letter)
    c.setFont(FONT, 8)
    for y, line in ((750, "PHYSICIAN BUSINESS AND MEDICAL EXPENSE REPORT"),
                    (740, "PROCESSED BETWEEN 3/1/2026 AND 3/31/2026"),
                    (730, "PHYSICIAN NAME: Jane Doe M.D."),
                    (720, "PHYSICIAN NUMBER: 731")):  # fmt: skip
        _text(c, 40, y, line)
    _text(c, 200, 705, "INVOICE / DOCUMENT")
    for x, title in ((40, "REIMB #"), (120, "DATE"), (170, "INVOICE"), (230, "DESCRIPTION"),
                     (400, "VENDOR NAME"), (560, "AMOUNT")):  # fmt: skip
        _text(c, x, 695, title)
    _text(c, 40, 683, "PRE-TAX EXPENSE DEDUCTIONS")
    _text(c, 40, 673, "MISCELLANEOUS BUSINESS EXPENSES")
    rows = [("ALLOCATION2025", "3/31/26", None, "ASMG 401K PLAN 2025 FEES", "EXPENSES", "150.00"),
            ("R-1182", "3/12/26", "INV 77", "MEDICAL JOURNAL SUBSCRIPTION RENEWAL WITH A LONG "
             "TEXT", "PERIODICALS DIRECT", "38.10")]  # fmt: skip
    y = 663
    for reimb, day, invoice, description, vendor, amount in rows:
        _text(c, 40, y, reimb)
        _text(c, 120, y, day)
        if invoice:
            _text(c, 170, y, invoice)
        _text(c, 230, y, description)
        _text(c, 400 if len(description) < 30 else 470, y, vendor)
        _text(c, 595, y, amount, "right")
        y -= 10
    _text(c, 40, y, "SUBTOTAL")
    _text(c, 595, y, "188.10", "right")
    _text(c, 40, y - 10, 'TOTAL PRE-TAX EXPENSE DEDUCTIONS (See "Business Expense" line of the '
          "Physician Comp. Report)")  # fmt: skip
    _text(c, 595, y - 10, "188.10", "right")
    c.showPage()


@pytest.fixture(scope="module")
def packet(tmp_path_factory) -> dict:
    path: Path = tmp_path_factory.mktemp("handmade") / "20260410-731-Compensation_Reports.pdf"
    c = canvas.Canvas(str(path), pagesize=letter)
    _draw_stub(c)
    _draw_compensation(c)
    _draw_charges(c)
    _draw_pools(c)
    _draw_expenses(c)
    c.save()
    return extract_packet(path)


def test_header_fields(packet):
    assert packet["period"] == "2026-03"
    assert packet["pay_date"] == "2026-04-10"
    assert packet["physician"] == {"name": "Jane Doe M.D.", "number": "731"}


def test_stub_sides_and_touching_labels(packet):
    expected = [
        {"side": "earnings", "label": label, "current": cur, "ytd": ytd}
        for label, cur, ytd in STUB_EARNINGS
    ] + [
        {"side": "deductions", "label": label, "current": cur, "ytd": ytd}
        for label, cur, ytd in STUB_DEDUCTIONS
    ]
    assert packet["payroll"]["lines"] == expected
    assert packet["payroll"]["net_pay"] == {"current": 28405.59, "ytd": 80976.96}
    assert packet["payroll"]["gross_earnings"] == {"current": 46002.04, "ytd": 131006.12}


def test_compensation_lines_sections_and_lone_amounts(packet):
    expected = [
        {"section": s, "label": label, "period_to_date": p, "year_to_date": y, "subtotal": sub}
        for s, label, p, y, sub in COMP_LINES
    ]
    assert packet["compensation"]["lines"] == expected


def test_charges_with_overflowing_name_and_page_break(packet):
    charges = packet["charges"]
    assert [c["ticket"] for c in charges] == [line[0] for line in F3_LINES]
    assert [c["page"] for c in charges] == [4, 4, 4, 4, 5, 5, 5]
    assert len(packet["pools"]) == 2  # the notes' second page is no pool of its own
    long = charges[5]
    assert long["patient_name"] == "Quiambao Cunningham Carroll Flynn"
    assert (long["note"], long["site_code"], long["service_type"]) == ("M", "UF", "An")
    assert (long["cpt_code"], long["pay_code"], long["ob_case_position"]) == (
        "01402",
        "MCARE",
        "SE",
    )
    assert long["charge_amount"] == -1512.00 and long["sub_pool"] == "SCSD"
    split = charges[2]
    assert split["note"] == "B" and split["split_percent"] == 97.89
    assert (split["start_time"], split["stop_time"]) == ("07:19", "09:38")
    assert split["anes_time_min"] == 139 and split["anes_base_units"] == 6.85
    assert split["date_of_service"] == "2026-02-27" and split["date_of_post"] == "2026-03-11"
    modifier = charges[4]
    assert modifier["original_charge_month"] == "2026-01" and modifier["other_units"] == 1.0
    assert modifier["start_time"] is None and modifier["note"] is None
    assert charges[3]["service_type"] == "Me" and charges[3]["med_base_units"] == 7.0
    assert packet["charge_totals"]["anes_time_min"] == 372
    assert packet["charge_totals"]["charge_amount"] == 6052
    assert [(r["pool"], r["name"], r["anes_time_min"]) for r in packet["pool_summary"]] == [
        ("UTCS", "UTC SURGICAL CENTER", 294.0),
        ("SCSD", "SURGICAL CENTER OF SAN DIEGO", 78.0),
    ]


def test_pools_new_pool_and_blank_rates(packet):
    all_pools, scsd = packet["pools"]
    assert all_pools["pool"] == "ALL" and all_pools["rate"] is None
    assert [h["rate"] for h in all_pools["history"]] == [None, None]
    assert all_pools["points"] == 51.40
    assert scsd["pool"] == "SCSD" and scsd["name"] == "SURGICAL CENTER OF SAN DIEGO"
    assert scsd["multipliers"] == {"time": 0.10, "anes_base": 0.50, "med_base": 0.50}
    assert scsd["adjusted"] == [
        {"month": "2026-02", "points": 8.00, "weight": 0.40, "adjusted": 3.20},
        {"month": "2026-03", "points": 11.30, "weight": 0.10, "adjusted": 1.13},
    ]
    assert scsd["adjusted_points"] == 4.33
    assert scsd["history"] == [
        {"month": "2026-02", "rate": 55.00, "adjusted_points": 3.20},
        {"month": "2026-03", "rate": 55.02, "adjusted_points": 4.33},
    ]
    assert (scsd["rate"], scsd["pooled_points"]) == (55.02, 7.53)
    assert scsd["prior_allocations"] == [{"month": "2026-02", "amount": 100.00}]
    assert (scsd["total_allocation"], scsd["prior_allocation"], scsd["current_allocation"]) == (
        414.30,
        100.00,
        314.30,
    )
    assert scsd["notes"] == " ".join(NOTES)
    assert all_pools["notes"] is None
    assert scsd["section1"]["anes_time_min"] == {
        "actual": 78.0,
        "adjustment": 0.0,
        "total": 78.0,
        "points": 7.80,
    }


def test_expenses_with_overflowing_description(packet):
    assert packet["expenses"] == {
        "lines": [
            {"reimb": "ALLOCATION2025", "date": "2026-03-31", "invoice": None,
             "description": "ASMG 401K PLAN 2025 FEES", "vendor": "EXPENSES", "amount": 150.00},
            {"reimb": "R-1182", "date": "2026-03-12", "invoice": "INV 77",
             "description": "MEDICAL JOURNAL SUBSCRIPTION RENEWAL WITH A LONG TEXT",
             "vendor": "PERIODICALS DIRECT", "amount": 38.10},
        ],
        "total": 188.10,
    }  # fmt: skip


def test_checks_that_hold_here_pass(packet):
    checks = {c["name"]: c for c in packet["checks"]}
    for name in ("net pay", "expense total", "W-2 income", "pool summary UTCS", "charge totals",
                 "subtotal Deductions Before Taxes", "total compensation"):  # fmt: skip
        assert checks[name]["ok"], checks[name]


# A second, text-mode report writer: Courier, every F3 line drawn as one padded string, a
# horizontal `Note` title, `Total:` on the totals line itself, negatives in parentheses and a
# name too long for its field wrapped onto a continuation line.
TEXT_WIDTHS = [("ticket", 9), ("note", 2), ("name", 26), ("orig", 6), ("site", 5), ("serv", 4),
               ("cpt", 6), ("pay", 7), ("start", 6), ("stop", 6), ("dos", 9), ("dop", 9),
               ("ob", 3)]  # fmt: skip
TEXT_NUMBERS = [("split", 7), ("time", 6), ("anes", 7), ("med", 6), ("other", 6), ("charge", 11),
                ("subpool", 7), ("sbpct", 4), ("sptime", 8), ("spanes", 7), ("spmed", 7),
                ("grppool", 6), ("grpct", 4), ("gptime", 7), ("gpanes", 7),
                ("gpmed", 7)]  # fmt: skip
LONG_NAME = "Quiambao Cunningham Carroll Flynn"


def _text_line(line: tuple) -> tuple[str, str | None]:
    keys = [k for k, _ in TEXT_WIDTHS]
    cells = dict(zip(keys, line[:13], strict=True))
    name = cells["name"]
    rest = None
    if len(name) > 25:
        cut = name.rfind(" ", 0, 25)
        name, rest = name[:cut], name[cut + 1 :]
    cells["name"] = name
    if cells["note"] is None:
        cells["note"] = ""
    text = "".join((cells[k] or "").ljust(w) for k, w in TEXT_WIDTHS)
    charge = line[18]
    if charge.startswith("-"):
        charge = f"({charge[1:]})"
    numbers = dict(zip(["split", "time", "anes", "med", "other", "charge", "subpool"],
                       [line[13], line[14], line[15], line[16], line[17], charge, line[19]],
                       strict=True))  # fmt: skip
    numbers.update(sbpct="100", sptime=f"{float(line[14]):.2f}", spanes=line[15],
                   spmed=f"{float(line[16]):.2f}", grppool="", grpct="0", gptime="0.00",
                   gpanes="0.00", gpmed="0.00")  # fmt: skip
    for key, width in TEXT_NUMBERS:
        value = numbers.get(key) or ""
        text += (
            (" " + value.ljust(width - 1)) if key in ("subpool", "grppool") else value.rjust(width)
        )
    return text, rest


@pytest.fixture(scope="module")
def text_mode_packet(tmp_path_factory) -> dict:
    path: Path = tmp_path_factory.mktemp("textmode") / "f3-text-mode.pdf"
    c = canvas.Canvas(str(path), pagesize=landscape(letter))
    c.setFont("Courier", 6)
    y = 580
    for header in (
        "Run Date: 4/8/2026                 ASMG                          Page: 1",
        "Sys Date: 4/8/2026   ChargeTransaction & Ticket Tracking Report (F3)",
        "                           March, 2026",
        "Physician: DOE, M.D. , JANE - 731",
        "Phys     No Patient Name              Orig  Site Serv CPT   Pay    Start",
    ):
        c.drawString(14, y, header)
        y -= 8
    lines = list(F3_LINES)
    lines[0] = lines[0][:2] + (LONG_NAME + " Junior",) + lines[0][3:]
    for index, line in enumerate(lines):
        text, rest = _text_line(line)
        if index == 6:  # too long for the page: its pool cells wrap onto the next line
            cut = text.index("UTCS") + 4
            c.drawString(14, y, text[:cut])
            y -= 8
            text = " " * cut + text[cut:]
        c.drawString(14, y, text)
        y -= 8
        if rest:
            c.drawString(14 + 6 * 0.6 * 11, y, rest)
            y -= 8
    totals = "Total:" + " " * 135 + "372 22.00 7.0 1.0 6,052 372.00 22.00 7.00 0.00 0.00 0.00"
    c.drawString(14, y, totals)
    c.showPage()
    c.save()
    return extract_packet(path)


def test_text_mode_writer_reads_the_same_charges(text_mode_packet):
    charges = text_mode_packet["charges"]
    assert [c["ticket"] for c in charges] == [line[0] for line in F3_LINES]
    assert charges[0]["patient_name"] == LONG_NAME + " Junior"
    assert [c["patient_name"] for c in charges[1:]] == [line[2] for line in F3_LINES[1:]]
    assert [c["note"] for c in charges] == [line[1] for line in F3_LINES]
    assert [c["charge_amount"] for c in charges] == [parse_amount(line[18]) for line in F3_LINES]
    assert [c["split_percent"] for c in charges] == [
        None if line[13] is None else float(line[13]) for line in F3_LINES
    ]
    assert [c["original_charge_month"] for c in charges] == [
        None, None, None, None, "2026-01", None, None
    ]  # fmt: skip
    assert [c["ob_case_position"] for c in charges] == [None] * 5 + ["SE", None]
    assert text_mode_packet["charge_totals"]["charge_amount"] == 6052
    assert text_mode_packet["period"] == "2026-03"
    assert text_mode_packet["payroll"] is None and text_mode_packet["pools"] == []


@pytest.mark.parametrize("turned", [90, -90])
def test_a_landscape_report_turned_on_a_portrait_page_reads_the_same(packet, tmp_path, turned):
    path = tmp_path / "turned-f3.pdf"
    c = canvas.Canvas(str(path), pagesize=letter)
    _draw_charges(c, turned=turned)
    c.save()
    turned = extract_packet(path)
    strip = [{k: v for k, v in charge.items() if k != "page"} for charge in packet["charges"]]
    assert [{k: v for k, v in ch.items() if k != "page"} for ch in turned["charges"]] == strip
    assert turned["charge_totals"] == packet["charge_totals"]
    assert turned["pool_summary"] == packet["pool_summary"]


@pytest.mark.parametrize("font", ["Helvetica", "Courier"])
def test_codes_landing_exactly_on_the_same_letter_of_a_name(tmp_path, font):
    """pdfium drops a character drawn on an identical one; a code drawn over an overflowing
    name can lose a letter that way (`UF` whose `F` falls on the `F` of `Flynn`, `SD` whose
    `S` falls on a final initial `S`). Both must come back."""
    path = tmp_path / "overdrawn.pdf"
    c = canvas.Canvas(str(path), pagesize=landscape(letter))
    c.setFont(font, 7)
    c.drawString(300, 580, "ChargeTransaction & Ticket Tracking Report (F3)")
    c.drawString(330, 571, "March, 2026")
    size = 6.5
    rows = [("Quiambao Cunningham Flynn", "UF", "Flynn", 1), ("Okafor Daniel S", "SD", "S", 0)]
    y = 500
    for name, site, anchor, letter_at in rows:
        c.setFont(font, size)
        c.drawString(14, y, "73102210")
        c.drawString(58, y, name)
        # put the code's letter exactly on the same letter of the name
        name_x = 58 + c.stringWidth(name[: name.rindex(anchor)], font, size)
        site_x = name_x - c.stringWidth(site[:letter_at], font, size)
        c.drawString(site_x, y, site)
        x = site_x + c.stringWidth(site + " ", font, size) + 4
        for text in ("An", "27447", "PPO", "2/27/26", "3/11/26", "44", "4.00", "0.0", "0.0",
                     "868.00", "UTCS", "100", "44.00", "4.00", "0.00", "0", "0.00", "0.00",
                     "0.00"):  # fmt: skip
            c.drawString(x, y, text)
            x += c.stringWidth(text, font, size) + 6
        y -= 10
    c.showPage()
    c.save()
    charges = extract_packet(path)["charges"]
    assert [(ch["patient_name"], ch["site_code"], ch["service_type"]) for ch in charges] == [
        ("Quiambao Cunningham Flynn", "UF", "An"),
        ("Okafor Daniel S", "SD", "An"),
    ]
