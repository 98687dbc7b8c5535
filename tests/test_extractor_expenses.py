"""Property test of the expense report reader: optional invoice numbers, descriptions long
enough to run over the vendor column, negative credits, categories with subtotals, the total."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from data_extractor import extract_packet

words = st.sampled_from(["ASMG", "401K", "PLAN", "2025", "FEES", "MEDICAL", "JOURNAL", "CME",
                         "COURSE", "LICENSE", "RENEWAL", "DEA", "BOOKS", "SOCIETY",
                         "DUES"])  # fmt: skip
vendors = st.sampled_from(["EXPENSES", "PERIODICALS DIRECT", "MEDICAL BOARD", "ASA", "AMAZON"])


@st.composite
def items(draw) -> dict:
    day = draw(st.integers(min_value=1, max_value=28))
    return {
        "reimb": draw(st.sampled_from(["ALLOCATION2025", "R-1182", "CK 2231", "77410"])),
        "date": f"2026-03-{day:02d}",
        "invoice": draw(st.sampled_from([None, "INV 77", "A-55102"])),
        "description": " ".join(draw(st.lists(words, min_size=1, max_size=7))),
        "vendor": draw(vendors),
        "amount": draw(st.integers(min_value=-50000, max_value=500000)) / 100,
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(items(), min_size=1, max_size=12), st.sampled_from(["Helvetica", "Courier"]))
def test_any_expense_report_reads_back(lines, font):
    total = round(sum(item["amount"] for item in lines), 2)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "expenses.pdf"
        c = canvas.Canvas(str(path), pagesize=letter)
        c.setFont(font, 7)
        c.drawString(40, 750, "PHYSICIAN BUSINESS AND MEDICAL EXPENSE REPORT")
        c.drawString(40, 740, "PROCESSED BETWEEN 3/1/2026 AND 3/31/2026")
        for x, title in ((40, "REIMB #"), (110, "DATE"), (150, "INVOICE"), (200, "DESCRIPTION"),
                         (400, "VENDOR NAME"), (560, "AMOUNT")):  # fmt: skip
            c.drawString(x, 720, title)
        c.drawString(40, 710, "PRE-TAX EXPENSE DEDUCTIONS")
        y = 700
        for item in lines:
            c.drawString(40, y, item["reimb"])
            c.drawString(110, y, f"3/{int(item['date'][8:])}/26")
            if item["invoice"]:
                c.drawString(150, y, item["invoice"])
            c.drawString(200, y, item["description"])
            # the vendor at its column, over a description too long for its own
            c.drawString(400, y, item["vendor"])
            c.drawRightString(590, y, f"{item['amount']:,.2f}")
            y -= 10
        c.drawString(40, y, "SUBTOTAL")
        c.drawRightString(590, y, f"{total:,.2f}")
        c.drawString(40, y - 10, "TOTAL PRE-TAX EXPENSE DEDUCTIONS")
        c.drawRightString(590, y - 10, f"{total:,.2f}")
        c.showPage()
        c.save()
        expenses = extract_packet(path)["expenses"]
    assert expenses == {"lines": lines, "total": total}
