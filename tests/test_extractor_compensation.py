"""Property test of the compensation report reader: any sections, labels (numbers inside
them included, dot leaders after them), blank cells in either column, parentheses negatives,
stand-alone totals and a page break with its repeated header, drawn and read back line for
line."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from data_extractor import extract_packet

label_word = st.sampled_from(["Medical", "Director", "Stipend", "HDHP", "2800", "PPO", "-", "Emp",
                              "+", "Fam", "401", "(K)", "Roth", "401(k)", "Deferral", "UHC",
                              "Accident", "Surgical", "Center", "San", "Diego", "Adjustme",
                              "Fee"])  # fmt: skip
section_word = st.sampled_from(["Clinical", "Compensation", "Subject", "to", "Overhead",
                                "Deductions", "Before", "Taxes", "After", "Tax",
                                "Items"])  # fmt: skip
cents = st.integers(min_value=-(10**8), max_value=10**8).map(lambda c: c / 100)
cells = st.one_of(
    st.tuples(cents, cents),
    st.tuples(st.none(), cents),
    st.tuples(cents, st.none()),
)


@st.composite
def reports(draw) -> list[dict]:
    lines: list[dict] = []
    used: set[str] = set()
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        section = " ".join(draw(st.lists(section_word, min_size=1, max_size=4)))
        if section in used:
            continue
        used.add(section)
        for _ in range(draw(st.integers(min_value=1, max_value=5))):
            label = " ".join(draw(st.lists(label_word, min_size=1, max_size=5)))
            ptd, ytd = draw(cells)
            lines.append({"section": section, "label": label, "period_to_date": ptd,
                          "year_to_date": ytd, "subtotal": False})  # fmt: skip
        ptd, ytd = draw(cells)
        lines.append({"section": section, "label": None, "period_to_date": ptd,
                      "year_to_date": ytd, "subtotal": True})  # fmt: skip
        if draw(st.booleans()):
            total = draw(st.sampled_from(["Total Compensation", "W-2 Income", "Medicare Income"]))
            ptd, ytd = draw(cells)
            lines.append({"section": total, "label": total, "period_to_date": ptd,
                          "year_to_date": ytd, "subtotal": False})  # fmt: skip
    return lines


def _money(value: float | None) -> str:
    if value is None:
        return ""
    return f"({-value:,.2f})" if value < 0 else f"{value:,.2f}"


def _draw(
    lines: list[dict], font: str, break_at: int, path: Path, text_mode: bool, leaders: bool
) -> None:
    c = canvas.Canvas(str(path), pagesize=letter)

    def header() -> float:
        c.setFont(font, 8)
        c.drawCentredString(306, 750, "Physician Compensation Report")
        c.drawCentredString(306, 740, "For the Month of March")
        c.drawCentredString(306, 730, "Jane Doe M.D. - 731")
        if text_mode:
            c.drawString(50, 712, " " * 45 + "Period to Date".rjust(16) + "Year to Date".rjust(16))
        else:
            c.drawCentredString(420, 712, "Period to Date")
            c.drawCentredString(520, 712, "Year to Date")
        return 695

    y = header()
    section = None
    for index, line in enumerate(lines):
        if index == break_at:
            c.drawCentredString(306, 30, "Page 1 of 2")
            c.showPage()
            y = header()
        if line["section"] != section and line["label"] != line["section"]:
            c.drawString(40, y, line["section"])
            y -= 10
        section = line["section"]
        if text_mode:  # one padded string per line, as a character-cell report prints it
            text = (line["label"] or "").ljust(45) + _money(line["period_to_date"]).rjust(16)
            c.drawString(50, y, text + _money(line["year_to_date"]).rjust(16))
        else:
            if line["label"]:
                leader = " " + "." * (40 - len(line["label"])) if leaders else ""
                c.drawString(50, y, line["label"] + leader)
            c.drawRightString(450, y, _money(line["period_to_date"]))
            c.drawRightString(550, y, _money(line["year_to_date"]))
        y -= 10
    c.showPage()
    c.save()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports(), st.sampled_from(["Helvetica", "Times-Roman", "Courier", "text mode"]), st.data())
def test_any_compensation_report_reads_back(lines, font, data):
    break_at = data.draw(st.integers(min_value=1, max_value=len(lines)))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.pdf"
        text_mode = font == "text mode"
        leaders = data.draw(st.booleans())  # `Medical Director Stipend ........  3,500.00`
        _draw(lines, "Courier" if text_mode else font, break_at, path, text_mode, leaders)
        got = extract_packet(path)["compensation"]["lines"]
    assert got == lines
