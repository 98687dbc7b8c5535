"""Exports opened back: CSV with pandas, xlsx with openpyxl (sheets, native charts,
formats), PDF with pdftotext and pdftoppm; figures equal the pages' for the same range;
patient names only when asked; templates, history, CLI and bad input."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.chart import BarChart, LineChart

from data.db import make_engine, make_session_factory
from data.models import ChargeTransaction, ExportLog
from exports.service import ExportError, parse_date_range

ROOT = Path(__file__).resolve().parent.parent
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def demo_copy(demo_db: Path, tmp_path_factory) -> Path:
    """A copy of the demo database these tests may write to (the download history)."""
    folder = tmp_path_factory.mktemp("exports")
    shutil.copy(demo_db, folder / "demo.db")
    return folder / "demo.db"


@pytest.fixture(scope="module")
def web(demo_copy: Path):
    from app import create_app

    app = create_app(
        {"DATABASE_URL": f"sqlite:///{demo_copy}", "TESTING": True, "SECRET_KEY": "test"}
    )
    return app.test_client()


@pytest.fixture(scope="module")
def patient_names(demo_copy: Path) -> list[str]:
    """Made-up patient names of charge lines posted in 2024."""
    session = make_session_factory(make_engine(f"sqlite:///{demo_copy}"))()
    try:
        lines = session.query(ChargeTransaction).filter(ChargeTransaction.patient_name.isnot(None))
        names = {line.patient_name for line in lines.limit(400)}
        return sorted(n for n in names if len(n) > 8)[:40]
    finally:
        session.close()


def _get(web, url: str, **params) -> bytes:
    response = web.get(url, query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)[-500:]
    return response.data


def _pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _renders(content: bytes, tmp_path: Path) -> int:
    """Pages pdftoppm renders to PNG (all of them, at low resolution)."""
    path = tmp_path / "render.pdf"
    path.write_bytes(content)
    subprocess.run(["pdftoppm", "-r", "20", "-png", str(path), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert all(p.stat().st_size > 500 for p in pages)
    return len(pages)


def _sheet_rows(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


# --------------------------------------------------------------------------- ranges


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2024", "2024-01", "2024-12"),
        ("2024-03", "2024-03", "2024-03"),
        ("2024-01:2024-06", "2024-01", "2024-06"),
        ("2023:2024-02", "2023-01", "2024-02"),
        ("all", None, None),
        ("", None, None),
    ],
)
def test_ranges(text, start, end):
    dr = parse_date_range(text)
    assert (dr.start, dr.end) == (start, end)


@pytest.mark.parametrize("text", ["2024-13", "24", "2024-06:2024-01", "last year"])
def test_bad_ranges_say_what_to_give(text):
    with pytest.raises(ExportError, match="2024|after"):
        parse_date_range(text)


# --------------------------------------------------------------------------- the files


def test_compensation_excel_has_sheets_formats_native_chart_and_page_figures(web):
    content = _get(web, "/export/compensation/excel", range="2024")
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Summary", "Compensation by pay period", "Charts"]
    table = book["Compensation by pay period"]
    header = [c.value for c in table[1]]
    assert header[:3] == ["Pay period", "Pay date", "Total comp."]
    assert table[1][0].font.bold and table.freeze_panes == "A2"
    rows = _sheet_rows(table)[1:]
    assert rows[-1][0] == "Total" and len(rows) == 13  # 12 pay periods + totals
    net = header.index("Net pay")
    assert table.cell(row=2, column=net + 1).number_format.startswith('"$"#,##0.00')
    assert table.cell(row=2, column=2).is_date
    # Figures equal the compensation page's for the same range.
    page = web.get("/compensation.json", query_string={"from": "2024-01", "to": "2024-12"}).json
    assert [r[0] for r in rows[:-1]] == [r["period"] for r in page["rows"]]
    assert [r[net] for r in rows[:-1]] == [r["net_pay"] for r in page["rows"]]
    assert rows[-1][net] == pytest.approx(sum(r["net_pay"] for r in page["rows"]), abs=0.01)
    charts = book["Charts"]._charts
    assert len(charts) == 1 and isinstance(charts[0], LineChart)
    assert len(charts[0].series) == 2  # total compensation and net pay, over cells


def test_transactions_csv_pdf_and_xlsx_equal_the_tickets_page_without_names(
    web, patient_names, tmp_path
):
    params = {"range": "2024-01:2024-06"}
    page = web.get(
        "/tickets.json", query_string={"post_from": "2024-01-01", "post_to": "2024-06-30"}
    ).json
    frame = pd.read_csv(io.BytesIO(_get(web, "/export/transactions/csv", **params)))
    assert "Patient" not in frame.columns
    body = frame[frame["Ticket"] != "Total"]
    assert len(body) == page["sums"]["lines"]
    assert body["Points"].astype(float).sum() == pytest.approx(page["sums"]["points"], abs=0.01)
    assert body["Charge"].astype(float).sum() == pytest.approx(page["sums"]["charge_amount"])

    book = openpyxl.load_workbook(io.BytesIO(_get(web, "/export/transactions/excel", **params)))
    sheet = book["Charge lines"]
    rows = _sheet_rows(sheet)
    header = list(rows[0])
    assert "Patient" not in header and rows[-1][0] == "Total"
    assert rows[-1][header.index("Points")] == pytest.approx(page["sums"]["points"], abs=0.01)
    assert sheet.auto_filter.ref.startswith("A1:")
    assert isinstance(book["Charts"]._charts[0], BarChart)

    pdf = _get(web, "/export/transactions/pdf", **params)
    text = _pdf_text(pdf, tmp_path)
    assert "Charge transactions" in text and "Page 1 of" in text and "generated on" in text
    assert f"{page['sums']['points']:,.2f}" in text  # the totals row
    assert text.count("Ticket") >= 3  # the header repeats on every page
    everything = frame.to_csv() + text + str(rows)
    assert patient_names and not any(name in everything for name in patient_names)
    assert _renders(pdf, tmp_path) >= 3


def test_names_only_when_asked(web, patient_names):
    frame = pd.read_csv(
        io.BytesIO(_get(web, "/export/transactions/csv", range="2024", include_names="1"))
    )
    assert "Patient" in frame.columns
    assert set(patient_names) & set(frame["Patient"].dropna())
    response = web.get("/export/cases/csv", query_string={"fields": ["ticket", "patient_name"]})
    assert response.status_code == 400 and b"Include" in response.data


def test_cases_and_cpt_codes_equal_their_pages(web):
    cases = pd.read_csv(io.BytesIO(_get(web, "/export/cases/csv", range="2024")))
    page = web.get(
        "/cases.json", query_string={"service_from": "2024-01-01", "service_to": "2024-12-31"}
    ).json
    body = cases[cases["Ticket"] != "Total"]
    assert len(body) == page["total"]
    assert body["Points"].sum() == pytest.approx(page["sums"]["points"], abs=0.01)
    cpt = pd.read_csv(io.BytesIO(_get(web, "/export/cpt_codes/csv", range="2024")))
    cpt_page = web.get(
        "/cpt_codes.json", query_string={"post_from": "2024-01-01", "post_to": "2024-12-31"}
    ).json
    assert cpt["Points"].iloc[:-1].sum() == pytest.approx(cpt_page["sums"]["points"], abs=0.01)


def test_chosen_fields_in_that_order(web):
    frame = pd.read_csv(
        io.BytesIO(
            _get(
                web, "/export/compensation/csv", range="2024", fields=["period", "net_pay", "taxes"]
            )
        )
    )
    assert list(frame.columns) == ["Pay period", "Net pay", "Taxes"]


@pytest.mark.parametrize(
    "entity", ["charts", "insights", "points", "forecast", "audit", "monthly_summary"]
)
def test_every_other_entity_in_every_format(web, entity, tmp_path):
    book = openpyxl.load_workbook(io.BytesIO(_get(web, f"/export/{entity}/excel", range="2024-06")))
    assert book.sheetnames[0] == "Summary" and len(book.sheetnames) >= 2
    text = _pdf_text(_get(web, f"/export/{entity}/pdf", range="2024-06"), tmp_path)
    assert "generated on" in text and "Page 1 of" in text
    frame = pd.read_csv(io.BytesIO(_get(web, f"/export/{entity}/csv", range="2024-06")))
    assert len(frame.columns) >= 2


def test_one_chart_with_its_values(web):
    book = openpyxl.load_workbook(
        io.BytesIO(_get(web, "/export/charts/excel", chart="income_trend", range="2024"))
    )
    rows = _sheet_rows(book["Income trend"])
    assert [r[0] for r in rows[1:]] == [f"2024-{m:02d}" for m in range(1, 13)]
    assert book["Charts"]._charts


def test_pdf_monthly_summary_and_asmg_report(demo_copy, tmp_path):
    from exports.pdf_exporter import PDFExporter

    session = make_session_factory(make_engine(f"sqlite:///{demo_copy}"))()
    try:
        exporter = PDFExporter(session)
        summary = exporter.generate_monthly_summary(6, 2024, tmp_path / "m.pdf").read_bytes()
        asmg = exporter.generate_asmg_report("2024", tmp_path / "a.pdf").read_bytes()
        from analytics.reports import monthly_summary

        net = monthly_summary(session, "2024-06").pay["net_pay"]
    finally:
        session.close()
    text = _pdf_text(summary, tmp_path)
    assert "Monthly summary, pay period 2024-06" in text and f"${net:,.2f}" in text
    assert "F2 pools" in text and "Page 1 of" in text
    assert "Points by posting month and pool" in _pdf_text(asmg, tmp_path)
    assert _renders(summary, tmp_path) >= 1


# --------------------------------------------------------------------------- templates


def test_tax_prep_workbook(web, demo_copy):
    from analytics.compensation import monthly_figures

    response = web.get("/exports/templates/tax_prep/run", query_string={"range": "2024"})
    assert response.status_code == 200 and response.mimetype == XLSX
    assert "tax_prep-2024.xlsx" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Summary", "Compensation by pay period", "Year-to-date totals"]
    header = [c.value for c in book["Compensation by pay period"][1]]
    assert header[:4] == ["Pay period", "Pay date", "Gross earnings (stub)", "Total comp."]
    assert not any("Patient" in str(h) for h in header)
    ytd = _sheet_rows(book["Year-to-date totals"])
    assert ytd[1][:2] == ("2024", "2024-12")
    session = make_session_factory(make_engine(f"sqlite:///{demo_copy}"))()
    try:
        december = monthly_figures(session, "2024-12", "2024-12")[0]
    finally:
        session.close()
    net_column = ytd[0].index("YTD Net pay")
    assert ytd[1][net_column] == pytest.approx(december.ytd["net_pay"])


def test_billing_audit_pdf(web, tmp_path):
    response = web.get("/exports/templates/billing_audit/run", query_string={"range": "2024-06"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _pdf_text(response.data, tmp_path)
    for title in ("Billing audit", "Expected cases", "Billed and missing cases", "Discrepancies"):
        assert title in text


def test_user_templates_are_saved_run_edited_and_deleted(web):
    from tests.conftest import csrf_token

    token = csrf_token(web)
    form = {
        "csrf_token": token,
        "name": "quarter cases",
        "export_format": "csv",
        "entity_type": "cases",
        "fields": "ticket, date_of_service, points",
        "date_range": "2024-01:2024-03",
    }
    assert web.post("/exports/templates", data=form).status_code == 302
    page = web.get("/exports").get_data(as_text=True)
    for name in ("quarter cases", "tax_prep", "billing_audit"):
        assert f'data-template="{name}"' in page
    frame = pd.read_csv(io.BytesIO(_get(web, "/exports/templates/quarter cases/run")))
    assert list(frame.columns) == ["Ticket", "Service", "Points"]
    assert frame["Service"].iloc[:-1].str[:7].between("2024-01", "2024-03").all()
    bad = web.post("/exports/templates", data={**form, "fields": "ticket, nope"})
    assert "Unknown field" in web.get(bad.location).get_data(as_text=True)
    web.post("/exports/templates", data={**form, "export_format": "pdf"})
    assert _get(web, "/exports/templates/quarter cases/run")[:4] == b"%PDF"
    web.post("/exports/templates/quarter cases/delete", data={"csrf_token": token})
    assert 'data-template="quarter cases"' not in web.get("/exports").get_data(as_text=True)
    refused = web.post("/exports/templates/tax_prep/delete", data={"csrf_token": token})
    assert "built in" in web.get(refused.location).get_data(as_text=True)
    names = web.post("/exports/templates", data={**form, "name": "tax_prep", "include_names": "1"})
    assert "never holds patient names" in web.get(names.location).get_data(as_text=True)


# --------------------------------------------------------------------------- history, errors


def test_history_lists_every_export(web, demo_copy):
    _get(web, "/export/points/csv", range="2024-02")
    session = make_session_factory(make_engine(f"sqlite:///{demo_copy}"))()
    try:
        last = session.query(ExportLog).order_by(ExportLog.id.desc()).first()
    finally:
        session.close()
    assert (last.export_type, last.entity_type, last.filename) == (
        "csv",
        "points",
        "points-2024-02.csv",
    )
    assert str(last.date_range_start) == "2024-02-01" and str(last.date_range_end) == "2024-02-29"
    assert last.file_size > 100
    assert "points-2024-02.csv" in web.get("/exports").get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "params", "says"),
    [
        ("/export/nothing/csv", {}, "choose one of"),
        ("/export/cases/docx", {}, "csv, excel or pdf"),
        ("/export/cases/csv", {"range": "2024-14"}, "not a month"),
        ("/export/cases/csv", {"fields": "bogus"}, "Unknown field"),
        ("/export/charts/csv", {"chart": "nope"}, "no chart called"),
        ("/export", {"entity": "cases"}, "Choose what to export"),
    ],
)
def test_bad_input_gets_a_clear_message(web, url, params, says):
    response = web.get(url, query_string=params)
    assert response.status_code == 400
    assert says in response.get_data(as_text=True)


def test_the_plain_form_redirects_to_the_export(web):
    response = web.get(
        "/export", query_string={"entity": "cases", "format": "csv", "range": "2024"}
    )
    assert response.status_code == 302 and "/export/cases/csv?range=2024" in response.location


def test_monthly_summary_made_after_a_web_import(tmp_path, history_36):
    from app import create_app
    from tests.conftest import csrf_token

    app = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'user.db'}", "TESTING": True, "SECRET_KEY": "t"}
    )
    client = app.test_client()
    month = history_36[0]
    with open(month.pdf_path, "rb") as handle:
        client.post(
            "/upload",
            data={"csrf_token": csrf_token(client), "files": (handle, month.pdf_path.name)},
            content_type="multipart/form-data",
        )
    kept = tmp_path / "exports" / f"monthly_summary-{month.period}.pdf"
    assert kept.is_file()
    page = client.get("/exports").get_data(as_text=True)
    assert f"monthly_summary-{month.period}.pdf" in page and "monthly_summary (automatic)" in page
    served = client.get("/exports/files/1")
    assert served.status_code == 200 and served.data == kept.read_bytes()
    kept.unlink()
    assert (
        client.post("/exports/monthly", data={"csrf_token": csrf_token(client)}).status_code == 302
    )
    assert kept.is_file()


def test_cli(demo_copy, tmp_path):
    from cli_tools.export import main

    url = f"sqlite:///{demo_copy}"
    out = tmp_path / "comp.xlsx"
    assert (
        main(
            [
                "--type=excel",
                "--entity=compensation",
                "--range=2024",
                f"--out={out}",
                f"--database-url={url}",
            ]
        )
        == 0
    )
    assert openpyxl.load_workbook(out)["Charts"]._charts
    out = tmp_path / "tax.xlsx"
    assert (
        main(["--template", "tax_prep", "--range=2024", "--out", str(out), "--database-url", url])
        == 0
    )
    assert "Year-to-date totals" in openpyxl.load_workbook(out).sheetnames
    assert main(["--type=csv", "--entity=cases", "--range=2024-99", "--database-url", url]) == 2
    result = subprocess.run(
        [sys.executable, "cli_tools/export.py", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert (
        result.returncode == 0
        and "--template" in result.stdout
        and "2024-01:2024-06" in result.stdout
    )


def test_design_methods(demo_copy, tmp_path):
    """The design's calls: export_workbook with plain rows and charts, the CSV methods."""
    from analytics.analysis import build_chart
    from analytics.compensation import compensation_rows
    from exports.csv_exporter import CSVExporter
    from exports.excel_exporter import ExcelExporter

    session = make_session_factory(make_engine(f"sqlite:///{demo_copy}"))()
    try:
        _pools, monthly = compensation_rows(session, "2024-01", "2024-12")
        chart = build_chart(session, "income_trend")
        path = ExcelExporter().export_workbook(
            {"summary": monthly, "charts": [chart]}, tmp_path / "output.xlsx"
        )
        book = openpyxl.load_workbook(path)
        assert book.sheetnames == ["summary", "charts"]
        assert _sheet_rows(book["summary"])[1][0] == "2024-12"
        assert isinstance(book["charts"]._charts[0], LineChart)
        csv = CSVExporter(session)
        frame = pd.read_csv(csv.export_compensation_summary("2024", tmp_path / "c.csv"))
        assert len(frame) == 13 and frame["Pay period"].iloc[-1] == "Total"
        lines = pd.read_csv(csv.export_transactions({"post_month": "2024-02"}, tmp_path / "t.csv"))
        assert lines["Posted"].iloc[:-1].str.startswith("2024-02").all()
        cases = ExcelExporter(session).export_master_cases({"cpt": "45380"}, tmp_path / "m.xlsx")
        case_rows = _sheet_rows(openpyxl.load_workbook(cases)["Cases"])
        codes = case_rows[0].index("CPT codes")
        assert all("45380" in row[codes] for row in case_rows[1:-1]) and len(case_rows) > 3
        rows = [{"month": "2025-01", "value": 1.5}, {"month": "2025-02", "value": 2.5}]
        forecast = pd.read_csv(csv.export_forecast(rows, tmp_path / "f.csv"))
        assert list(forecast["value"]) == [1.5, 2.5]
    finally:
        session.close()
    with pytest.raises(ValueError, match="session"):
        CSVExporter().export_compensation_summary("2024", tmp_path / "x.csv")


def test_excel_cells_keep_text_numbers_dates_and_escape_xml(tmp_path):
    import datetime as dt

    from analytics.browse import Column
    from exports.excel_exporter import ExcelExporter
    from exports.service import ExportTable

    table = ExportTable(
        "Odd values",
        [Column("t", "Text"), Column("d", "Date", "date"), Column("m", "Money", "money")],
        [
            {"t": "A & B <c>", "d": dt.date(2024, 2, 29), "m": -12.5},
            {"t": " leading\x01", "d": "2024-03-01", "m": 3},
            {"t": "00731", "d": None, "m": None},
        ],
        {"m": -9.5},
    )
    path = ExcelExporter().export_workbook({"Odd": table}, tmp_path / "odd.xlsx")
    rows = _sheet_rows(openpyxl.load_workbook(path)["Odd"])
    assert rows[1] == ("A & B <c>", dt.datetime(2024, 2, 29), -12.5)
    assert rows[2] == (" leading", dt.datetime(2024, 3, 1), 3)
    assert rows[3] == ("00731", None, None) and rows[4] == ("Total", None, -9.5)


def test_command_line_import_keeps_the_newest_months_summary(tmp_path, history_36):
    from cli_tools.import_reports import main as import_main

    database = tmp_path / "cli.db"
    paths = [str(month.pdf_path) for month in history_36[:2]]
    assert import_main([*paths, "--database-url", f"sqlite:///{database}", "--quiet"]) == 0
    newest = history_36[1].period
    kept = tmp_path / "exports" / f"monthly_summary-{newest}.pdf"
    assert kept.is_file() and kept.read_bytes()[:4] == b"%PDF"
    assert not (tmp_path / "exports" / f"monthly_summary-{history_36[0].period}.pdf").exists()
    session = make_session_factory(make_engine(f"sqlite:///{database}"))()
    try:
        entry = session.query(ExportLog).one()
    finally:
        session.close()
    assert entry.stored_path == str(kept) and entry.template_name == "monthly_summary (automatic)"
