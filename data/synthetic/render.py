"""Draw a month's truth dict as the packet PDF, the way the billing company's report writer does.

Each cell is drawn on its own at its column's x position (numbers right-aligned at the column's
right edge); blank cells draw nothing; long names run on into the next columns; the payroll
`Period:` text is drawn twice with a small offset. Pagination happens here, so this module also
writes each charge line's `page` into the truth.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reportlab.lib.pagesizes import landscape, letter
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from data.synthetic import names
from data.synthetic.dates import last_day, long_date, month_label, month_name, short_date
from data.synthetic.layout import LayoutOptions
from data.synthetic.packet import run_date

BOLD = {"Helvetica": "Helvetica-Bold", "Courier": "Courier-Bold", "Times-Roman": "Times-Bold"}
MARGIN = 18.0


def money(value: float) -> str:
    return f"{value:,.2f}"


def paren_money(value: float) -> str:
    """The compensation report prints negatives in parentheses."""
    return f"({-value:,.2f})" if value < 0 else f"{value:,.2f}"


def short_month(month: str) -> str:
    """'2026-01' -> '1/26' (Original Chg Mo)."""
    return f"{int(month[5:7])}/{month[2:4]}"


def iso_short(iso: str) -> str:
    return short_date(date.fromisoformat(iso))


@dataclass(frozen=True)
class Column:
    key: str
    header: tuple[str, ...]
    sample: str  # the widest value the column is sized for
    right: bool  # numbers are right-aligned


F3_COLUMNS = (
    Column("ticket", ("Phys", "Ticket", "Ref#"), "73199999", False),
    Column("note", ("Note",), "W", False),
    Column("name", ("Patient Name",), "Castellanos Guadalupe", False),
    Column("orig", ("Original", "Chg Mo"), "12/26", False),
    Column("site", ("Site", "Code"), "UF", False),
    Column("serv", ("Serv", "Type"), "An", False),
    Column("cpt", ("CPT", "Code"), "99999", False),
    Column("pay", ("Pay", "Code"), "GOV-PPO", False),
    Column("start", ("Start", "Time"), "00:00", False),
    Column("stop", ("Stop", "Time"), "00:00", False),
    Column("dos", ("Date of", "Service"), "12/31/26", False),
    Column("dop", ("Date of", "Post"), "12/31/26", False),
    Column("ob", ("OB", "Case", "Pos"), "SE", False),
    Column("split", ("Split", "%"), "100.00", True),
    Column("time", ("Anes", "Time", "(Min)"), "-999", True),
    Column("anes", ("Anes", "Base", "Units"), "-13.00", True),
    Column("med", ("Med", "Base", "Units"), "-8.0", True),
    Column("other", ("Other", "Units"), "-1.0", True),
    Column("chg", ("Chg Amt",), "-12,345.00", True),
    Column("subpool", ("Sub", "Pool"), "UTCS", False),
    Column("sbpct", ("%", "Sb", "Pl"), "100", True),
    Column("sptime", ("Time", "(Min)"), "-999.00", True),
    Column("spanes", ("Anes", "Base"), "-13.00", True),
    Column("spmed", ("Med", "Base"), "-8.00", True),
    Column("grp", ("Grp", "Pool"), "UTCS", False),
    Column("grpct", ("%", "Gr", "Pl"), "100", True),
    Column("gptime", ("Time", "(Min)"), "-999.00", True),
    Column("gpanes", ("Anes", "Base"), "-13.00", True),
    Column("gpmed", ("Med", "Base"), "-8.00", True),
)
GROUP_HEADERS = (("Sub pool", "sptime", "spmed"), ("Group pool", "gptime", "gpmed"))
PORTRAIT_NAME_SAMPLE = "Castellanos Maria"
NAME_WRAP = 40  # names longer than this wrap onto a second line


def f3_cells(charge: dict) -> dict[str, str]:
    """The printed text of every non-blank cell of one F3 line."""
    c = charge
    cells = {
        "ticket": c["ticket"],
        "note": c["note"],
        "name": c["patient_name"],
        "orig": short_month(c["original_charge_month"]) if c["original_charge_month"] else None,
        "site": c["site_code"],
        "serv": c["service_type"],
        "cpt": c["cpt_code"],
        "pay": c["pay_code"],
        "start": c["start_time"],
        "stop": c["stop_time"],
        "dos": iso_short(c["date_of_service"]),
        "dop": iso_short(c["date_of_post"]),
        "ob": c["ob_case_position"],
        "split": f"{c['split_percent']:.2f}" if c["split_percent"] is not None else None,
        "time": f"{c['anes_time_min']:,d}",
        "anes": f"{c['anes_base_units']:.2f}",
        "med": f"{c['med_base_units']:.1f}",
        "other": f"{c['other_units']:.1f}",
        "chg": money(c["charge_amount"]),
        "subpool": c["sub_pool"],
        "sbpct": str(c["sub_pool_percent"]),
        "sptime": money(c["sub_pool_time_min"]),
        "spanes": f"{c['sub_pool_anes_base']:.2f}",
        "spmed": f"{c['sub_pool_med_base']:.2f}",
        "grp": c["group_pool"],
        "grpct": str(c["group_pool_percent"]),
        "gptime": money(c["group_pool_time_min"]),
        "gpanes": f"{c['group_pool_anes_base']:.2f}",
        "gpmed": f"{c['group_pool_med_base']:.2f}",
    }
    return {k: v for k, v in cells.items() if v}


def split_name(name: str) -> tuple[str, str | None]:
    """An extremely long name is wrapped at a space onto a continuation line."""
    if len(name) <= NAME_WRAP:
        return name, None
    cut = name.rfind(" ", 0, NAME_WRAP - 3)
    if cut <= 0:
        cut = NAME_WRAP - 3
        return name[:cut], name[cut:]
    return name[:cut], name[cut + 1 :]


class Writer:
    """A thin layer over the canvas: text at x (left, right or centred) in the chosen font."""

    def __init__(self, path: Path, layout: LayoutOptions, password: str | None) -> None:
        encrypt = None
        if password:
            from reportlab.lib.pdfencrypt import StandardEncryption

            encrypt = StandardEncryption(password, canPrint=1, strength=128)
        self.canvas = Canvas(str(path), pagesize=letter, invariant=1, encrypt=encrypt,
                             pageCompression=1)  # fmt: skip
        self.canvas.setTitle("Compensation Reports")
        self.canvas.setAuthor("ASMG")
        self.layout = layout
        self.font = layout.font
        self.size = layout.font_size
        self.page_number = 0  # 1-based PDF page currently drawn

    def new_page(self, size: tuple[float, float], font_size: float) -> None:
        if self.page_number:
            self.canvas.showPage()
        self.page_number += 1
        self.canvas.setPageSize(size)
        self.width, self.height = size
        self.size = font_size
        self.canvas.setFont(self.font, font_size)

    def text(self, x: float, y: float, s: str, bold: bool = False, size: float | None = None):
        font = BOLD[self.font] if bold else self.font
        self.canvas.setFont(font, size or self.size)
        self.canvas.drawString(x, y, s)

    def right(self, x: float, y: float, s: str, bold: bool = False, size: float | None = None):
        font = BOLD[self.font] if bold else self.font
        self.canvas.setFont(font, size or self.size)
        self.canvas.drawRightString(x, y, s)

    def centre(self, x: float, y: float, s: str, bold: bool = False, size: float | None = None):
        font = BOLD[self.font] if bold else self.font
        self.canvas.setFont(font, size or self.size)
        self.canvas.drawCentredString(x, y, s)

    def width_of(self, s: str, size: float | None = None) -> float:
        return stringWidth(s, self.font, size or self.size)

    def rule(self, y: float, x0: float = MARGIN, x1: float | None = None) -> None:
        self.canvas.setLineWidth(0.4)
        self.canvas.line(x0, y, x1 if x1 is not None else self.width - MARGIN, y)

    def save(self) -> None:
        self.canvas.showPage()
        self.canvas.save()


def _report_time(month: str) -> tuple[str, str]:
    """The F3 and F2 run times ("5:02:13PM"); F2 ran a second earlier."""
    rng = random.Random(f"run-{month}")
    hour, minute, second = rng.randint(1, 6), rng.randint(0, 59), rng.randint(1, 59)
    return f"{hour}:{minute:02d}:{second:02d}PM", f"{hour}:{minute:02d}:{second - 1:02d}PM"


def physician_caps() -> str:
    return f"{names.PHYSICIAN_LAST.upper()}, M.D. , {names.PHYSICIAN_FIRST.upper()}"


# ---------------------------------------------------------------- payroll stub


def draw_stub(w: Writer, truth: dict) -> None:
    w.new_page(letter, min(w.layout.font_size + 1.5, 8.5))
    period = f"{month_name(truth['period'])} {truth['period'][:4]}"
    pay = date.fromisoformat(truth["pay_date"])
    y = w.height - 40
    w.text(36, y, "Anesthesia Service Medical Group, Inc.", bold=True)
    dx, dy = w.layout.period_offset
    w.text(300, y, f"Period: {period}")
    value_x = 300 + w.width_of("Period: ")
    w.text(value_x + dx, y + dy, period)  # the report writer's double draw
    w.text(440, y, f"Pay Date: {pay:%m/%d/%Y}")
    y -= 2.2 * w.size
    w.text(36, y, "Employee Name")
    w.text(200, y, "Employee Number")
    y -= 1.4 * w.size
    w.text(36, y, f"{names.PHYSICIAN_LAST} M.D., {names.PHYSICIAN_FIRST}")
    w.text(200, y, names.PHYSICIAN_NUMBER)
    y -= 1.4 * w.size
    w.text(36, y, "Filing Status: Married Filing Jointly")
    w.text(300, y, "Direct Deposit: XXXXXX4821")
    y -= 2.4 * w.size
    w.text(36, y, "Earnings", bold=True)
    w.text(300, y, "Deductions & After-Tax Items", bold=True)
    y -= 1.4 * w.size
    left = (36, 205, 300)  # label x, amount right edge, YTD right edge (touches the right label)
    right = (300, 490, 574)
    for x0, amount_x, ytd_x in (left, right):
        w.text(x0, y, "Description")
        w.right(amount_x, y, "Amount")
        w.right(ytd_x, y, "YTD Amt")
    lines = truth["payroll"]["lines"]
    earnings = {x["label"]: x for x in lines if x["side"] == "earnings"}
    deductions = [x for x in lines if x["side"] == "deductions"]
    row_of_earning = {"Gross Earnings": 0, "Total Gross Earnings": 5, "Taxable Earnings": 9,
                      "Net Pay": 10}  # fmt: skip
    dollar = {"Gross Earnings", "Taxable Earnings", "Net Pay", "Federal Income Tax"}
    rows = max(11, len(deductions))
    row_height = 1.45 * w.size
    for row in range(rows):
        y -= row_height
        for label, index in row_of_earning.items():
            if index == row and label in earnings:
                item = earnings[label]
                _stub_line(w, left, y, item, label in dollar)
        if row < len(deductions):
            item = deductions[row]
            _stub_line(w, right, y, item, item["label"] in dollar)
    y -= 3 * w.size
    w.text(36, y, f"PERIOD {period}")
    y -= 1.4 * w.size
    w.text(36, y, f"NET DEPOSIT ${truth['payroll']['net_pay']['current']:,.2f}")


def _stub_line(w: Writer, cols: tuple[float, float, float], y: float, item: dict, dollar: bool):
    sign = "$" if dollar else ""
    w.text(cols[0], y, item["label"])
    w.right(cols[1], y, _stub_amount(item["current"], sign))
    w.right(cols[2], y, _stub_amount(item["ytd"], sign))


def _stub_amount(value: float, sign: str) -> str:
    return f"-{sign}{-value:,.2f}" if value < 0 else f"{sign}{value:,.2f}"


# ---------------------------------------------------------------- compensation report


def _comp_header(w: Writer, truth: dict) -> float:
    w.new_page(letter, min(w.layout.font_size + 1.5, 8.5))
    pay = date.fromisoformat(truth["pay_date"])
    y = w.height - 40
    for text in (
        "Anesthesia Service Medical Grp",
        "Physician Compensation Report",
        f"For the Month of {month_name(truth['period'])}",
        f"Payroll Issued: {long_date(pay)}",
        f"{truth['physician']['name']} - {truth['physician']['number']}",
    ):
        w.centre(w.width / 2, y, text, bold=text.startswith("Physician Comp"))
        y -= 1.4 * w.size
    y -= 0.8 * w.size
    w.right(430, y, "Period to Date")
    w.right(530, y, "Year to Date")
    y -= 1.3 * w.size
    w.right(430, y, "Actual")
    w.right(530, y, "Actual")
    return y - 1.6 * w.size


STANDALONE = ("Total Compensation", "Medicare Income", "W-2 Income", "After Tax Compensation",
              "Net Compensation/Net Pay")  # fmt: skip


def draw_compensation(w: Writer, truth: dict) -> None:
    lines = truth["compensation"]["lines"]
    y = _comp_header(w, truth)
    section = None
    for line in lines:
        if line["section"] == "Employee Payroll Taxes Withheld" and section != line["section"]:
            y = _comp_header(w, truth)  # the report continues on a second page
        if line["section"] != section and line["section"] not in STANDALONE:
            y -= 0.4 * w.size
            w.text(48, y, line["section"], bold=True)
            y -= 1.35 * w.size
        section = line["section"]
        x_label = 48 if line["section"] in STANDALONE else 60
        if line["label"]:
            w.text(x_label, y, line["label"], bold=line["section"] in STANDALONE)
        else:
            w.rule(y + w.size + 0.3, 370, 530)
        if line["period_to_date"] is not None:
            w.right(430, y, paren_money(line["period_to_date"]))
        w.right(530, y, paren_money(line["year_to_date"]))
        y -= 1.35 * w.size


# ---------------------------------------------------------------- F3


def f3_geometry(layout: LayoutOptions, page_width: float) -> dict[str, tuple[float, bool]]:
    """Each F3 column's anchor x (left edge, or right edge for numbers) for this layout.

    Landscape columns are as wide as their widest value or header word; a portrait page is too
    narrow for that, so there the headers may touch and the name column is shorter.
    """
    portrait = not layout.f3_landscape
    widths = []
    for column in F3_COLUMNS:
        texts = (
            (column.sample,)
            if portrait or column.key == "note"
            else (column.sample, *column.header)
        )
        if portrait and column.key == "name":
            texts = (PORTRAIT_NAME_SAMPLE,)
        widths.append(max(stringWidth(t, layout.font, layout.font_size) for t in texts))
    usable = page_width - 2 * MARGIN - max(0.0, layout.column_shift)
    spacing = (usable / layout.column_scale - sum(widths)) / (len(F3_COLUMNS) - 1)
    gap = max(1.5, min(spacing, 14.0))
    x = MARGIN + layout.column_shift
    geometry = {}
    for column, width in zip(F3_COLUMNS, widths, strict=True):
        geometry[column.key] = (x + width * layout.column_scale if column.right else x,
                                column.right)  # fmt: skip
        x += (width + gap) * layout.column_scale
    return geometry


def _f3_header(w: Writer, truth: dict, page_no: int, geometry: dict) -> float:
    size = landscape(letter) if w.layout.f3_landscape else letter
    w.new_page(size, w.layout.font_size)
    f3_time, _ = _report_time(truth["period"])
    rdate = long_date(run_date(truth["period"]))
    return _report_header(w, rdate, page_no, "ChargeTransaction & Ticket Tracking Report (F3)",
                          f3_time, truth, f3_legend=True, geometry=geometry)  # fmt: skip


def _report_header(w, rdate, page_no, title, time_text, truth, f3_legend=False, geometry=None):
    size = w.size + 0.5
    y = w.height - 28
    w.text(MARGIN, y, f"Run Date: {rdate}", size=size)
    w.centre(w.width / 2, y, "ASMG", size=size)
    w.right(w.width - MARGIN, y, f"Page: {page_no}", size=size)
    y -= 1.3 * size
    w.text(MARGIN, y, f"Sys Date: {rdate}", size=size)
    w.centre(w.width / 2, y, title, bold=True, size=size)
    w.right(w.width - MARGIN, y, f"Time: {time_text}", size=size)
    y -= 1.3 * size
    w.centre(w.width / 2, y, f"{month_name(truth['period'])}, {truth['period'][:4]}", size=size)
    y -= 1.6 * size
    if f3_legend:
        for text in (
            "Note: S=Split linked with split placeholder, B=Break in case, M=Missing ticket, "
            "D=Duplicate ticket, Z=Medical procedure units zeroed out.",
            "Service Type: An=Anesthesia, Me=Medical, CP=Chronic Pain, CC=Critical Care, "
            "Mo=Modifiers, NP=Non-perioperative.",
            "OB Case Position: S=Starting segment of the case, E=Ending segment of the case, "
            "SE=The entire case (Start to End), M=A middle segment of the case.",
        ):
            w.text(MARGIN, y, text)
            y -= 1.3 * w.size
    number = truth["physician"]["number"]
    w.text(MARGIN, y, f"Physician: {physician_caps()} - {number}", size=size)
    if f3_legend:
        w.text(w.width * 0.55, y, "Sort Order Selection: Physician Ticket Reference #", size=size)
    y -= 1.6 * size
    if geometry is None:
        return y
    line_h = 1.15 * w.size
    depth = 4
    base_y = y - (depth - 1) * line_h
    for column in F3_COLUMNS:
        x, right = geometry[column.key]
        if column.key == "note":
            w.canvas.saveState()
            w.canvas.translate(x + w.size * 0.8, base_y)
            w.canvas.rotate(90)
            w.text(0, 0, "Note")
            w.canvas.restoreState()
            continue
        for i, word in enumerate(reversed(column.header)):
            yy = base_y + i * line_h
            (w.right if right else w.text)(x, yy, word)
    for label, first, last in GROUP_HEADERS:
        x0 = geometry[first][0] - w.width_of("-999.00")
        x1 = geometry[last][0]
        w.centre((x0 + x1) / 2, base_y + 3 * line_h, label)
    w.rule(base_y - 0.45 * w.size)
    return base_y - 1.5 * w.size


def draw_f3(w: Writer, truth: dict) -> None:
    """The charge lines, paginated, then totals and the per-pool summary."""
    size = landscape(letter) if w.layout.f3_landscape else letter
    geometry = f3_geometry(w.layout, size[0])
    row_h = w.layout.font_size + 2.6
    page_no = 0

    def page() -> tuple[float, int]:
        nonlocal page_no
        page_no += 1
        top = _f3_header(w, truth, page_no, geometry)
        fit = int((top - 30) / row_h)
        return top, min(fit, w.layout.f3_rows_per_page)

    y, room = page()
    for charge in truth["charges"]:
        cells = f3_cells(charge)
        first, rest = split_name(cells["name"])
        needed = 2 if rest else 1
        if room < needed:
            y, room = page()
        cells["name"] = first
        charge["page"] = w.page_number
        for key, text in cells.items():
            x, right = geometry[key]
            (w.right if right else w.text)(x, y, text)
        y -= row_h
        room -= 1
        if rest:
            w.text(geometry["name"][0], y, rest)
            y -= row_h
            room -= 1
    summary = truth["pool_summary"]
    if room < 9 + len(summary):
        y, room = page()
    _f3_totals(w, truth, geometry, y - 0.5 * row_h, row_h)


def _f3_totals(w: Writer, truth: dict, geometry: dict, y: float, row_h: float) -> None:
    t = truth["charge_totals"]
    w.rule(y + row_h - 1.0)
    values = {
        "time": f"{t['anes_time_min']:,d}",
        "anes": f"{t['anes_base_units']:,.2f}",
        "med": f"{t['med_base_units']:,.1f}",
        "other": f"{t['other_units']:,.1f}",
        "chg": f"{t['charge_amount']:,d}",
        "sptime": money(t["sub_pool_time_min"]),
        "spanes": money(t["sub_pool_anes_base"]),
        "spmed": money(t["sub_pool_med_base"]),
        "gptime": money(t["group_pool_time_min"]),
        "gpanes": money(t["group_pool_anes_base"]),
        "gpmed": money(t["group_pool_med_base"]),
    }
    for key, text in values.items():
        w.right(geometry[key][0], y, text, bold=True)
    w.text(MARGIN, y - 0.9 * row_h, "Total:", bold=True)
    y -= 3 * row_h
    cols = {"time": 300.0, "anes": 350.0, "med": 400.0, "other": 440.0, "sub": 452.0}
    headers = (("", "Anes", "Anes", "Med", "", ""),
               ("Pool Name", "Time", "Base", "Base", "Other", "Sub"),
               ("", "(Min)", "Units", "Units", "Units", "Pool"))  # fmt: skip
    for row in headers:
        w.text(MARGIN, y, row[0])
        for key, word in zip(("time", "anes", "med", "other"), row[1:5], strict=True):
            if word:
                w.right(cols[key], y, word)
        if row[5]:
            w.text(cols["sub"], y, row[5])
        y -= row_h
    for pool in truth["pool_summary"]:
        w.text(MARGIN, y, pool["name"])
        w.right(cols["time"], y, money(pool["anes_time_min"]))
        w.right(cols["anes"], y, money(pool["anes_base_units"]))
        w.right(cols["med"], y, money(pool["med_base_units"]))
        w.right(cols["other"], y, f"{pool['other_units']:,.1f}")
        w.text(cols["sub"], y, pool["pool"])
        y -= row_h
    w.rule(y + row_h - 1.0, MARGIN, cols["sub"] + 30)
    w.right(cols["time"], y, f"{t['anes_time_min']:,d}", bold=True)
    w.right(cols["anes"], y, f"{t['anes_base_units']:,.2f}", bold=True)
    w.right(cols["med"], y, f"{t['med_base_units']:,.1f}", bold=True)
    w.right(cols["other"], y, f"{t['other_units']:,.1f}", bold=True)
    w.text(MARGIN, y - 0.9 * row_h, "Total:", bold=True)


# ---------------------------------------------------------------- F2


def draw_f2(w: Writer, truth: dict) -> None:
    _, f2_time = _report_time(truth["period"])
    rdate = long_date(run_date(truth["period"]))
    for page_no, pool in enumerate(truth["pools"], start=1):
        w.new_page(landscape(letter), min(w.layout.font_size + 0.5, 7.5))
        y = _report_header(w, rdate, page_no, "Pooled Compensation Report (F2)", f2_time, truth)
        if pool["pool"] == "ALL":
            w.text(MARGIN, y, pool["name"], bold=True)
        else:
            w.text(MARGIN, y, f"Pool: {pool['pool']} - {pool['name']}", bold=True)
        y -= 2.0 * w.size
        y = _f2_section1(w, pool, y)
        y = _f2_section2(w, pool, y)
        y = _f2_section3(w, pool, y)
        y = _f2_section4(w, pool, y)
        y = _f2_section5(w, pool, y)
        w.text(MARGIN, y, "Section 6: Notes", bold=True)
        y -= 1.4 * w.size
        if pool["notes"]:
            w.text(MARGIN + 10, y, pool["notes"])


def _f2_section1(w: Writer, pool: dict, y: float) -> float:
    m = pool["multipliers"]
    s1 = pool["section1"]
    w.text(MARGIN, y, "Section 1: Billed Units or Points Subject to Pooling", bold=True)
    y -= 1.5 * w.size
    xs = [110 + 52 * i for i in range(13)]
    for label, i in (("Anes Time (Min)", 0), ("Anes Base Units", 4), ("Med Base Units", 8)):
        w.centre((xs[i] + xs[i + 3]) / 2 - 20, y, label)
    w.right(xs[12], y, "Total Points")
    y -= 1.3 * w.size
    top = ("(A)", "(B)", "(C) = (A) + (B)", "(D) =", "(E)", "(F)", "(G) = (E) + (F)", "(H) =",
           "(I)", "(J)", "(K)=(I)+(J)", "*(L)=", "(M)=")  # fmt: skip
    bottom = ("Actual", "Adj.", "Total", f"(C)*{m['time']:.2f}", "Billed", "Adj.", "Total",
              f"(G)*{m['anes_base']:.2f}", "Billed", "Adj.", "Total", f"(K)*{m['med_base']:.2f}",
              "(D)+(H)+(L)")  # fmt: skip
    for row in (top, bottom):
        for x, word in zip(xs, row, strict=True):
            w.right(x, y, word)
        y -= 1.3 * w.size
    values = []
    for key in ("anes_time_min", "anes_base_units", "med_base_units"):
        column = s1[key]
        values += [column["actual"], column["adjustment"], column["total"], column["points"]]
    values.append(pool["points"])
    for x, value in zip(xs, values, strict=True):
        w.right(x, y, money(value))
    return y - 2.2 * w.size


def _plain(value: float) -> str:
    return f"{value:.2f}"


def _f2_section2(w: Writer, pool: dict, y: float) -> float:
    w.text(MARGIN, y, "Section 2: Adjusted Units or Points", bold=True)
    y -= 1.5 * w.size
    xs = [150 + 60 * i for i in range(5)]
    entries = pool["adjusted"]
    total_x, plain_x = 520.0, 590.0
    for x, entry in zip(xs, entries, strict=False):
        w.right(x, y, month_label(entry["month"]))
    w.right(total_x, y, "Total")
    y -= 1.3 * w.size
    w.text(MARGIN + 10, y, "Points")
    for x, entry in zip(xs, entries, strict=False):
        w.right(x, y, money(entry["points"]))
    total_points = sum(round(e["points"] * 100) for e in entries) / 100
    w.text(xs[-1] + 14, y, "(M)")
    w.right(total_x, y, money(total_points))
    w.right(plain_x, y, _plain(total_points) if w.layout.f2_plain_total else money(total_points))
    y -= 1.3 * w.size
    for x, entry in zip(xs, entries, strict=False):
        w.right(x, y, f"{round(entry['weight'] * 100)}%")
    w.right(total_x, y, f"{sum(round(e['weight'] * 100) for e in entries)}%")
    y -= 1.3 * w.size
    for x, entry in zip(xs, entries, strict=False):
        w.right(x, y, money(entry["adjusted"]))
    w.right(total_x, y, money(pool["adjusted_points"]))
    w.text(total_x + 6, y, "(N)")
    return y - 2.2 * w.size


MONTH_XS = [120 + 44 * i for i in range(12)]
TOTAL_X, PLAIN_X = 680.0, 748.0


def _f2_section3(w: Writer, pool: dict, y: float) -> float:
    w.text(MARGIN, y, "Section 3: Pooled Points", bold=True)
    y -= 1.5 * w.size
    history = pool["history"]
    for x, entry in zip(MONTH_XS, history, strict=False):
        w.right(x, y, month_label(entry["month"]))
    w.right(TOTAL_X, y, "Total")
    y -= 1.3 * w.size
    w.text(MARGIN + 10, y, "Pooled Rate")
    if pool["rate"] is not None:
        for x, entry in zip(MONTH_XS, history, strict=False):
            w.right(x, y, money(entry["rate"]))
        w.text(MONTH_XS[-1] + 8, y, "(O)")
        w.right(TOTAL_X, y, money(pool["rate"]))
    y -= 1.3 * w.size
    for x, entry in zip(MONTH_XS, history, strict=False):
        w.right(x, y, money(entry["adjusted_points"]))
    w.text(MONTH_XS[-1] + 8, y, "(N)")
    p = pool["pooled_points"]
    w.right(TOTAL_X, y, money(p))
    w.right(PLAIN_X, y, _plain(p) if w.layout.f2_plain_total else money(p))
    w.text(PLAIN_X + 4, y, "(P)")
    return y - 2.2 * w.size


def _f2_section4(w: Writer, pool: dict, y: float) -> float:
    w.text(MARGIN, y, "Section 4: Prior Pooled Allocations", bold=True)
    y -= 1.5 * w.size
    priors = pool["prior_allocations"]
    for x, entry in zip(MONTH_XS, priors, strict=False):
        w.right(x, y, month_label(entry["month"]))
    w.right(TOTAL_X, y, "Total")
    y -= 1.3 * w.size
    w.text(MARGIN + 10, y, "Prior Alloc")
    for x, entry in zip(MONTH_XS, priors, strict=False):
        w.right(x, y, money(entry["amount"]))
    w.right(TOTAL_X, y, money(pool["prior_allocation"]))
    w.text(TOTAL_X + 4, y, "(Q)")
    return y - 2.2 * w.size


def _f2_section5(w: Writer, pool: dict, y: float) -> float:
    w.text(MARGIN, y, "Section 5: Gross Compensation", bold=True)
    y -= 1.5 * w.size
    xs = (200.0, 300.0, 400.0)
    for row in (("(R) = (O) * (P)", "(Q)", "(S) = (R) - (Q)"), ("Total", "Prior", "Current"),
                ("Allocation", "Allocation", "Allocation")):  # fmt: skip
        for x, word in zip(xs, row, strict=True):
            w.right(x, y, word)
        y -= 1.3 * w.size
    for x, key in zip(xs, ("total_allocation", "prior_allocation", "current_allocation"),
                      strict=True):  # fmt: skip
        w.right(x, y, money(pool[key]))
    return y - 2.2 * w.size


# ---------------------------------------------------------------- expense report


def draw_expenses(w: Writer, truth: dict, categories: list[str]) -> None:
    """0 to 2 pages: items grouped by category with subtotals, then the total."""
    expenses = truth["expenses"]
    if not expenses:
        return
    period = truth["period"]
    rows_per_page = w.layout.expense_rows_per_page
    xs = {"reimb": 36, "date": 120, "invoice": 165, "description": 220, "vendor": 390,
          "amount": 576}  # fmt: skip

    def header() -> float:
        w.new_page(letter, min(w.layout.font_size + 1.0, 8.0))
        y = w.height - 40
        first = long_date(date.fromisoformat(period + "-01"))
        last = long_date(last_day(period))
        for text in ("PHYSICIAN BUSINESS AND MEDICAL EXPENSE REPORT",
                     f"PROCESSED BETWEEN {first} AND {last}",
                     f"PHYSICIAN NAME: {truth['physician']['name']}",
                     f"PHYSICIAN NUMBER: {truth['physician']['number']}"):  # fmt: skip
            w.text(36, y, text, bold=text.startswith("PHYSICIAN BUS"))
            y -= 1.4 * w.size
        y -= 0.6 * w.size
        w.text(xs["invoice"], y, "INVOICE / DOCUMENT")
        y -= 1.3 * w.size
        for key, word in (("reimb", "REIMB #"), ("date", "DATE"), ("invoice", "INVOICE"),
                          ("description", "DESCRIPTION"), ("vendor", "VENDOR NAME")):  # fmt: skip
            w.text(xs[key], y, word)
        w.right(xs["amount"], y, "AMOUNT")
        w.rule(y - 0.5 * w.size, 36, 576)
        return y - 1.6 * w.size

    y = header()
    rows = rows_per_page
    w.text(36, y, "PRE-TAX EXPENSE DEDUCTIONS", bold=True)
    y -= 1.4 * w.size
    lines = expenses["lines"]
    by_category: dict[str, list[dict]] = {}
    for category, line in zip(categories, lines, strict=True):
        by_category.setdefault(category, []).append(line)
    for category in by_category:
        for kind, payload in (
            [("cat", category)] + [("line", x) for x in by_category[category]] + [("sub", category)]
        ):
            if rows <= 0:
                y = header()
                rows = rows_per_page
            if kind == "cat":
                w.text(48, y, payload)
            elif kind == "line":
                w.text(xs["reimb"], y, payload["reimb"])
                w.text(xs["date"], y, iso_short(payload["date"]))
                if payload["invoice"]:
                    w.text(xs["invoice"], y, payload["invoice"])
                w.text(xs["description"], y, payload["description"])
                w.text(xs["vendor"], y, payload["vendor"])
                w.right(xs["amount"], y, money(payload["amount"]))
            else:
                subtotal = sum(round(x["amount"] * 100) for x in by_category[category]) / 100
                w.text(xs["description"], y, "SUBTOTAL")
                w.right(xs["amount"], y, money(subtotal))
            y -= 1.4 * w.size
            rows -= 1
    y -= 0.6 * w.size
    w.text(36, y, 'TOTAL PRE-TAX EXPENSE DEDUCTIONS (See "Business Expense" line of the '
                  "Physician Comp. Report)")  # fmt: skip
    w.right(xs["amount"], y, money(expenses["total"]))


def render_packet(
    path: Path,
    truth: dict,
    layout: LayoutOptions,
    password: str | None = None,
    expense_categories: list[str] | None = None,
) -> None:
    """Write the packet PDF and fill each charge's `page` in the truth."""
    w = Writer(path, layout, password)
    draw_stub(w, truth)
    draw_compensation(w, truth)
    draw_f3(w, truth)
    draw_f2(w, truth)
    draw_expenses(w, truth, expense_categories or [])
    w.save()
