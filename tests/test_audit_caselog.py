"""Reading case logs: tolerant of real files, strict about rows, clear about bad files."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook

from analytics.caselog import CaseLogError, parse_case_log, parse_cpt_codes, parse_time

TODAY = dt.date(2026, 1, 15)


def parse(text: str | bytes, name: str = "log.csv"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_case_log(data, name, today=TODAY)


def test_headers_synonyms_bom_semicolons_and_date_forms() -> None:
    text = (
        "\ufeffDOS;Ticket #;CPT;Anes Start;End Time;Pt Name;Comments\r\n"
        "3/4/25;73101234;45380, 64447;7:03;07:47;Doe J;first\r\n"
        "3/5/2025;73101235;27447 64447;7:03 PM;2130;;\r\n"
        "2025-03-06;73101236;45378;;;AB;\r\n"
        "\r\n"
    )
    parsed = parse(text)
    assert parsed.ok and len(parsed.rows) == 3
    assert parsed.columns["date"] == "DOS" and parsed.columns["stop_time"] == "End Time"
    first, second, third = parsed.rows
    assert first.case_date == dt.date(2025, 3, 4) and first.cpt_codes == ("45380", "64447")
    assert (first.start_time, first.stop_time, first.patient) == ("07:03", "07:47", "Doe J")
    assert second.case_date == dt.date(2025, 3, 5) and second.cpt_codes == ("27447", "64447")
    assert (second.start_time, second.stop_time) == ("19:03", "21:30")
    assert third.case_date == dt.date(2025, 3, 6) and third.row_number == 4


def test_comma_file_with_quoted_codes_and_repeats() -> None:
    text = (
        "date,ticket,cpt_codes\n"
        '01/02/24,73100001,"45380,64447"\n'
        '01/02/24,73100001,"45380,64447"\n'
        "01/03/24,,29881;64447\n"
    )
    parsed = parse(text)
    assert [r.cpt_codes for r in parsed.rows] == [("45380", "64447"), ("29881", "64447")]
    assert parsed.repeated == [3]
    assert parsed.rows[1].ticket is None
    assert parsed.rows[0].row_key != parsed.rows[1].row_key


def test_rows_refused_with_reasons_and_nothing_else_lost() -> None:
    text = (
        "date,ticket,cpt,start,stop,patient\n"
        "13/45/24,73100001,45380,,,Secret Name\n"
        "2024-02-30,73100002,45380,,,\n"
        "1/2/24,73100003,4538,,,\n"
        "1/2/24,,,,,\n"
        "1/2/24,73100005,45380,25:00,,\n"
        "1/2/24,73100006,45380,,08:00,\n"
        "1/2/27,73100007,45380,,,\n"
        "1/2/24,73100008,45380,07:00,08:00,\n"
    )
    parsed = parse(text)
    assert not parsed.ok and len(parsed.rows) == 1
    reasons = {r.row_number: r.reason for r in parsed.rejected}
    assert "'13/45/24' is not a date" in reasons[2]
    assert "is not a date" in reasons[3]
    assert "'4538' is not a CPT code" in reasons[4]
    assert "neither a ticket nor a CPT code" in reasons[5]
    assert "not a time" in reasons[6]
    assert "stop time without a start time" in reasons[7]
    assert "in the future" in reasons[8]
    assert all("Secret" not in r.values for r in parsed.rejected)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"\xef\xbb\xbf\r\n  \n", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "not a text CSV"),
        (b"%PDF-1.7\n...", "is a PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel .xls"),
        (b"PK\x03\x04broken zip", "cannot be read"),
        (b"name,amount\nA,1\n", "lacks a date column"),
        (b"date,patient\n1/1/24,AB\n", "lacks a ticket or CPT codes column"),
        (b"date,ticket,cpt\n", "no case rows"),
    ],
)
def test_bad_files_get_a_clear_file_error(data: bytes, message: str) -> None:
    with pytest.raises(CaseLogError) as error:
        parse(data, "upload.csv")
    assert message in error.value.message and "upload.csv" in error.value.message


def test_xlsx_with_date_and_time_cells() -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Date of Service", "Ticket", "CPT Codes", "Start", "Stop", "Notes"])
    sheet.append([dt.datetime(2024, 5, 6), 73101111, 45380, dt.time(7, 5), dt.time(7, 40), "x"])
    sheet.append(["5/7/24", "73101112", "27447;64447", "08:00", None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    parsed = parse(buffer.getvalue(), "log.xlsx")
    assert parsed.ok
    first, second = parsed.rows
    assert (first.case_date, first.ticket, first.cpt_codes) == (
        dt.date(2024, 5, 6),
        "73101111",
        ("45380",),
    )
    assert (first.start_time, first.stop_time, first.notes) == ("07:05", "07:40", "x")
    assert second.cpt_codes == ("27447", "64447")


def test_cells() -> None:
    assert parse_time("0703") == "07:03" and parse_time("12:15 am") == "00:15"
    assert parse_time(None) is None
    assert parse_cpt_codes("45380 / 64447; 99100") == ("45380", "64447", "99100")
    assert parse_cpt_codes("0213T") == ("0213T",)
    with pytest.raises(ValueError):
        parse_cpt_codes("ABCDE")
