"""In Chromium: upload a case log on /audit, see the findings and the timeline, download
the PDF report and read it back with pdftotext."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import running_app

pytestmark = pytest.mark.browser


@pytest.fixture
def audit_server(demo_db: Path, tmp_path: Path):
    """The real app on a private copy of the demo database (packets, no case log yet)."""
    target = tmp_path / "mine.db"
    shutil.copy(demo_db, target)
    with running_app({"DATABASE_URL": f"sqlite:///{target}"}) as url:
        yield url


def test_upload_log_see_findings_download_pdf(browser, audit_server, demo_db, tmp_path):
    log = demo_db.parent / "demo-packets" / "caselog-2024-03.csv"
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(audit_server + "/audit")
    assert page.locator("nav").get_by_role("link", name="Audit").is_visible()
    assert page.get_by_test_id("no-log").is_visible()

    # A bad row first: refused with its reason, nothing stored.
    bad = tmp_path / "bad.csv"
    bad.write_text("date,ticket,cpt_codes\n3/4/24,73117474,29827\n3/4/24,73117475,2988\n")
    page.set_input_files("[data-testid=caselog-file]", str(bad))
    page.get_by_test_id("caselog-upload").click()
    rejected = page.get_by_test_id("rejected-rows")
    assert "'2988' is not a CPT code" in rejected.inner_text()
    assert page.get_by_test_id("no-log").is_visible()

    page.set_input_files("[data-testid=caselog-file]", str(log))
    page.get_by_test_id("caselog-upload").click()
    page.wait_for_selector("[data-testid=audit-summary]")
    page.wait_for_load_state("load")  # the new page's charts are drawn by its script
    assert "149 new stored" in page.locator(".flash").inner_text()
    counts = page.get_by_test_id("finding-counts").inner_text()
    assert "Billed, not in your log 2" in counts and "CPT differs 2" in counts
    assert page.locator("[data-testid=audit-timeline] svg rect").count() > 0

    # Each click navigates; wait for the new page to load before reading it (a bare
    # count() right after the click can read the half-loaded document: CI saw 0 rows).
    page.get_by_test_id("kind-unexpected").click()
    page.wait_for_url(re.compile(r"/audit\?kind=unexpected"))
    rows = page.locator("[data-testid=findings] tbody tr")
    assert rows.count() == 2
    rows.first.locator("a").first.click()  # drill down to the billed case
    page.wait_for_url(re.compile(r"/cases/"))
    assert page.locator("h1").is_visible()
    page.go_back()
    page.wait_for_url(re.compile(r"/audit\?kind=unexpected"))

    with page.expect_download() as download:
        page.get_by_test_id("report-download").click()
    pdf = tmp_path / "report.pdf"
    download.value.save_as(pdf)
    assert download.value.suggested_filename == "billing-audit-2024-03-01-to-2024-03-31.pdf"
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Billing audit" in text and "Billed, not in your log (2)" in text
    assert "73117503" in text and "73117585" in text  # the two billed cases not logged
    assert errors == []
    page.close()
