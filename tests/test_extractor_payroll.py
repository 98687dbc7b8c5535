"""Property test of the payroll stub reader: two side-by-side tables of any length, lone
amounts in either column, `$` on some rows, right-hand labels that touch the left amounts."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from data_extractor import extract_packet

label = st.lists(
    st.sampled_from(["Gross", "Earnings", "Federal", "Income", "Tax", "401(k)", "Deferral", "-",
                     "Roth", "Employee", "FICA", "Medicare", "Business", "Exp.", "Net", "Pay"]),
    min_size=1, max_size=4,
).map(" ".join)  # fmt: skip
cents = st.integers(min_value=-(10**8), max_value=10**8).map(lambda c: c / 100)
row = st.tuples(
    label,
    st.one_of(st.tuples(cents, cents), st.tuples(st.none(), cents), st.tuples(cents, st.none())),
)


def _money(value: float | None, dollar: bool) -> str:
    if value is None:
        return ""
    return ("-" if value < 0 else "") + ("$" if dollar else "") + f"{abs(value):,.2f}"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(row, min_size=1, max_size=8),
    st.lists(row, min_size=1, max_size=10),
    st.sampled_from(["Helvetica", "Times-Roman", "Courier"]),
    st.booleans(),
    st.booleans(),
)
def test_any_stub_reads_back(left, right, font, dollar, touching):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stub.pdf"
        c = canvas.Canvas(str(path), pagesize=letter)
        c.setFont(font, 7)
        c.drawString(40, 750, "Anesthesia Service Medical Group, Inc.")
        c.drawString(250, 750, "Period: March 2026")
        c.drawString(400, 750, "Pay Date: 04/10/2026")
        for x, title, right_aligned in ((40, "Description", False), (180, "Amount", True),
                                        (250, "YTD Amt", True), (262, "Description", False),
                                        (480, "Amount", True), (550, "YTD Amt", True)):  # fmt: skip
            (c.drawRightString if right_aligned else c.drawString)(x, 730, title)
        for i in range(max(len(left), len(right))):
            y = 718 - 10 * i
            if i < len(left):
                text, (cur, ytd) = left[i]
                c.drawString(40, y, text)
                c.drawRightString(180, y, _money(cur, dollar))
                c.drawRightString(250, y, _money(ytd, dollar))
            if i < len(right):
                text, (cur, ytd) = right[i]
                touches = touching and i < len(left) and left[i][1][1] is not None
                c.drawString(250 if touches else 262, y, text)
                c.drawRightString(480, y, _money(cur, False))
                c.drawRightString(550, y, _money(ytd, False))
        c.showPage()
        c.save()
        payroll = extract_packet(path)["payroll"]
    expected = [
        {"side": side, "label": text, "current": cur, "ytd": ytd}
        for side, rows in (("earnings", left), ("deductions", right))
        for text, (cur, ytd) in rows
    ]
    assert payroll["lines"] == expected
