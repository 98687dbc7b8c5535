"""Property test of the F3 line grammar: any mix of blank and filled optional cells (note,
original charge month, times, OB position, split %, group pool; even a blank CPT or pay code),
any patient name length (overflowing over the codes or not), negative backouts, drawn cell by
cell, name last, or as one text-mode string, in three fonts, and read back."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reportlab.lib.pagesizes import landscape, letter
from reportlab.pdfgen import canvas

from data_extractor import extract_packet

TEXT_X = {"ticket": 14, "note": 50, "name": 58, "orig": 128, "site": 146, "serv": 160,
          "cpt": 174, "pay": 196, "start": 224, "stop": 244, "dos": 264, "dop": 292,
          "ob": 320}  # fmt: skip
NUMBER_RIGHT = {"split": 352, "time": 372, "anes": 394, "med": 412, "other": 430, "charge": 466,
                "sbpct": 504, "sptime": 530, "spanes": 552, "spmed": 574, "grpct": 612,
                "gptime": 636, "gpanes": 660, "gpmed": 684}  # fmt: skip
CODE_X = {"subpool": 470, "grppool": 578}

name_word = st.sampled_from(["Okafor", "Alvarez", "Nguyen", "Quiambao", "Cunningham-Flynn", "Ó",
                             "de", "la", "Østergaard", "Thi", "Maria", "J", "Jr",
                             "Vanderhoeven"])  # fmt: skip


@st.composite
def charges(draw) -> dict:
    minutes = draw(st.integers(min_value=-300, max_value=600))
    anes = draw(st.integers(min_value=-2000, max_value=2000)) / 100
    med = draw(st.integers(min_value=0, max_value=90)) / 10
    timed = draw(st.booleans())
    start = draw(st.integers(min_value=0, max_value=22 * 60)) if timed else None
    group = draw(st.sampled_from([None, "GRP1"]))
    return {
        "ticket": f"731{draw(st.integers(min_value=10000, max_value=99999))}",
        "note": draw(st.sampled_from([None, "S", "B", "M", "D", "Z"])),
        "patient_name": " ".join(draw(st.lists(name_word, min_size=1, max_size=6))),
        "original_charge_month": draw(st.sampled_from([None, "2025-12", "2026-01"])),
        "site_code": draw(st.sampled_from(["UF", "SD", "MC"])),
        "service_type": draw(st.sampled_from(["An", "Me", "CP", "CC", "Mo", "NP"])),
        "cpt_code": draw(st.sampled_from(["27447", "64445", "99100", "0213T", "01402", None])),
        "pay_code": draw(st.sampled_from(["PPO", "HMO", "MCARE", "GOV-PPO", "WC", "SELF", None])),
        "start_time": None if start is None else f"{start // 60:02d}:{start % 60:02d}",
        "stop_time": None if start is None else f"{(start + 61) // 60:02d}:{(start + 61) % 60:02d}",
        "date_of_service": "2026-02-27",
        "date_of_post": "2026-03-11",
        "ob_case_position": draw(st.sampled_from([None, "S", "E", "SE", "M"])),
        "split_percent": draw(st.sampled_from([None, 2.11, 97.89, 50.0])),
        "anes_time_min": minutes,
        "anes_base_units": anes,
        "med_base_units": med,
        "other_units": draw(st.sampled_from([0.0, 1.0, 2.0])),
        "charge_amount": draw(st.integers(min_value=-500000, max_value=900000)) / 100,
        "sub_pool": draw(st.sampled_from(["UTCS", "SCSD"])),
        "sub_pool_percent": 100,
        "sub_pool_time_min": float(minutes),
        "sub_pool_anes_base": anes,
        "sub_pool_med_base": med,
        "group_pool": group,
        "group_pool_percent": 0 if group is None else 100,
        "group_pool_time_min": 0.0,
        "group_pool_anes_base": 0.0,
        "group_pool_med_base": 0.0,
    }


PLAIN = {
    "ticket": "73100001", "note": None, "patient_name": "Lee Ann", "original_charge_month": None,
    "site_code": "UF", "service_type": "An", "cpt_code": "45380", "pay_code": "PPO",
    "start_time": None, "stop_time": None, "ob_case_position": None, "split_percent": None,
    "anes_time_min": 10, "anes_base_units": 4.0, "med_base_units": 0.0, "other_units": 0.0,
    "charge_amount": 868.0, "sub_pool": "UTCS", "sub_pool_time_min": 10.0,
    "sub_pool_anes_base": 4.0, "sub_pool_med_base": 0.0, "group_pool": None,
    "group_pool_percent": 0,
}  # fmt: skip


def _cells(charge: dict) -> dict[str, str]:
    month = charge["original_charge_month"]
    return {
        "ticket": charge["ticket"], "note": charge["note"], "name": charge["patient_name"],
        "orig": month and f"{int(month[5:])}/{month[2:4]}", "site": charge["site_code"],
        "serv": charge["service_type"], "cpt": charge["cpt_code"], "pay": charge["pay_code"],
        "start": charge["start_time"], "stop": charge["stop_time"], "dos": "2/27/26",
        "dop": "3/11/26", "ob": charge["ob_case_position"],
        "split": None if charge["split_percent"] is None else f"{charge['split_percent']:.2f}",
        "time": str(charge["anes_time_min"]), "anes": f"{charge['anes_base_units']:.2f}",
        "med": f"{charge['med_base_units']:.1f}", "other": f"{charge['other_units']:.1f}",
        "charge": f"{charge['charge_amount']:,.2f}", "subpool": charge["sub_pool"],
        "sbpct": "100", "sptime": f"{charge['sub_pool_time_min']:,.2f}",
        "spanes": f"{charge['sub_pool_anes_base']:.2f}",
        "spmed": f"{charge['sub_pool_med_base']:.2f}", "grppool": charge["group_pool"],
        "grpct": str(charge["group_pool_percent"]), "gptime": "0.00", "gpanes": "0.00",
        "gpmed": "0.00",
    }  # fmt: skip


ONE_STRING = [("ticket", 10), ("note", 2), ("name", 26), ("orig", 6), ("site", 4), ("serv", 4),
              ("cpt", 6), ("pay", 8), ("start", 6), ("stop", 6), ("dos", 9), ("dop", 9),
              ("ob", 3), ("split", 7), ("time", 6), ("anes", 8), ("med", 6), ("other", 6),
              ("charge", 12), ("subpool", 6), ("sbpct", 4), ("sptime", 10), ("spanes", 8),
              ("spmed", 8), ("grppool", 6), ("grpct", 4), ("gptime", 8), ("gpanes", 8),
              ("gpmed", 8)]  # fmt: skip


def _one_string(cells: dict[str, str | None]) -> str:
    """A text-mode line: cells padded to fixed widths; a long name pushes the rest right."""
    line = ""
    for key, width in ONE_STRING:
        text = cells.get(key) or ""
        line += text.ljust(max(width, len(text) + 1))
    return line


def _draw_line(c: canvas.Canvas, cells: dict[str, str | None], y: float, style: str) -> None:
    if style == "one string":
        c.drawString(14, y, _one_string(cells))
        return
    order = list(cells)
    if style == "name last":  # drawing order unlike reading order
        order.remove("name")
        order.append("name")
    for key in order:
        text = cells[key]
        if not text:
            continue
        if key in TEXT_X:
            c.drawString(TEXT_X[key], y, text)
        elif key in CODE_X:
            c.drawString(CODE_X[key], y, text)
        else:
            c.drawRightString(NUMBER_RIGHT[key], y, text)


def _read_back(charge: dict, font: str, style: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f3.pdf"
        c = canvas.Canvas(str(path), pagesize=landscape(letter))
        c.setFont(font, 7)
        c.drawString(300, 580, "ChargeTransaction & Ticket Tracking Report (F3)")
        c.drawString(330, 571, "March, 2026")
        c.drawString(14, 540, "Phys Ticket Ref#")
        c.drawString(58, 540, "Patient Name")
        c.setFont(font, 6.5)
        _draw_line(c, _cells(charge), 500, style)
        # a second line without a note, so the page shows where names start
        _draw_line(c, _cells(PLAIN), 490, style)
        c.showPage()
        c.save()
        return extract_packet(path)["charges"][0]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    charges(),
    st.sampled_from(["Helvetica", "Times-Roman", "Courier"]),
    st.sampled_from(["cells", "name last", "one string"]),
)
def test_any_f3_line_reads_back(charge, font, style):
    if style == "one string":
        font = "Courier"
    got = _read_back(charge, font, style)
    got.pop("page")
    assert got == charge
