"""The export modal in Chromium: it opens from a page's Export button with that page's
filters, and downloads the file (opened back here), under the app's CSP."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pytest

from tests import test_browser_pages
from tests.conftest import running_app

pytestmark = pytest.mark.browser
#: A Chromium page that fails the test on any console error (the browsing pages' fixture).
page = test_browser_pages.page


@pytest.fixture(scope="module")
def export_server(demo_db: Path, tmp_path_factory):
    """The app on a copy of the demo database (exports write the download history)."""
    folder = tmp_path_factory.mktemp("export-browser")
    shutil.copy(demo_db, folder / "demo.db")
    with running_app({"DATABASE_URL": f"sqlite:///{folder / 'demo.db'}"}) as url:
        yield url


def test_modal_downloads_the_filtered_lines_as_excel(page, export_server, tmp_path):
    page.goto(export_server + "/tickets?post_month=2024-03")
    lines = int(re.sub(r"[^0-9]", "", page.get_by_test_id("row-count").inner_text()))
    page.get_by_test_id("export-open-transactions").click()
    modal = page.get_by_test_id("export-modal")
    assert modal.is_visible()
    modal.locator("input[name=format][value=excel]").check()
    assert modal.locator("input[name=fields][value=patient_name]").is_disabled()
    with page.expect_download() as info:
        page.get_by_test_id("export-submit").click()
    download = info.value
    assert download.suggested_filename == "transactions-all.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    sheet = openpyxl.load_workbook(path)["Charge lines"]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == lines + 2  # header, the month's lines, totals
    assert "Patient" not in rows[0]
    modal.wait_for(state="hidden", timeout=5000)  # closed after the download started


def test_modal_on_compensation_exports_the_chosen_range_and_fields(page, export_server, tmp_path):
    page.goto(export_server + "/compensation")
    page.get_by_test_id("export-open-compensation").click()
    modal = page.get_by_test_id("export-modal")
    modal.locator("input[name=format][value=csv]").check()
    modal.locator("input[name=from]").fill("2024-01")
    modal.locator("input[name=to]").fill("2024-06")
    for key in ("period", "net_pay"):
        modal.locator(f"input[name=fields][value={key}]").check()
    with page.expect_download() as info:
        page.get_by_test_id("export-submit").click()
    path = tmp_path / "comp.csv"
    info.value.save_as(path)
    text = path.read_text(encoding="utf-8-sig").splitlines()
    assert info.value.suggested_filename == "compensation-2024-01_2024-06.csv"
    assert text[0] == "Pay period,Net pay" and len(text) == 1 + 6 + 1
    page.goto(export_server + "/exports")
    assert "compensation-2024-01_2024-06.csv" in page.get_by_test_id("history").inner_text()
