"""The browsing pages in Chromium on the demo data: figures shown, drill-down sums equal the
figures, filters, charts, a rule change recomputing cases; empty states on an empty database."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import running_app

pytestmark = pytest.mark.browser


def _number(text: str) -> float:
    return float(re.sub(r"[^0-9.\-]", "", text))


@pytest.fixture
def page(browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    page.close()
    assert errors == [], errors


def test_every_page_renders_its_figures(page, demo_server):
    page.goto(demo_server + "/")
    assert page.get_by_test_id("demo-banner").is_visible()
    assert _number(page.get_by_test_id("glance-net").inner_text()) > 0
    assert _number(page.get_by_test_id("glance-points").inner_text()) > 0
    page.goto(demo_server + "/compensation")
    assert page.locator("[data-testid=data-table] tbody tr").count() == 36
    page.goto(demo_server + "/tickets")
    assert _number(page.get_by_test_id("row-count").inner_text()) > 5000
    page.goto(demo_server + "/cases")
    assert page.locator("[data-testid=data-table] tbody tr").count() == 50  # one page
    page.goto(demo_server + "/cpt_codes")
    assert page.locator("[data-testid=data-table] tbody tr").count() >= 10
    page.goto(demo_server + "/asmg_rules")
    assert page.locator("[data-testid=rules] tbody tr").count() >= 2
    page.goto(demo_server + "/analysis")
    assert page.locator(".chart-canvas svg").count() == 6


def test_month_points_and_charges_drill_down_to_lines_that_sum_to_them(page, demo_server):
    page.goto(demo_server + "/compensation")
    row = page.locator("tr[data-period='2025-06']")
    points = _number(row.get_by_test_id("points-link").inner_text())
    row.get_by_test_id("points-link").click()
    page.wait_for_url(re.compile(r"/tickets\?post_month=2025-06"))
    shown = _number(page.locator("[data-sum=points]").inner_text())
    assert shown == pytest.approx(points, abs=0.011)

    page.goto(demo_server + "/compensation/2025-06")
    printed_charges = _number(page.get_by_test_id("f3-total-charges").inner_text())
    page.locator("#charges a", has_text="open them").click()
    page.wait_for_url(re.compile(r"/tickets\?"))
    line_charges = _number(page.locator("[data-sum=charge_amount]").inner_text())
    assert abs(line_charges - printed_charges) <= 1.0  # printed total is whole dollars


def test_pay_figures_open_the_packet_section_they_come_from(page, demo_server):
    page.goto(demo_server + "/compensation")
    link = page.locator("tr[data-period='2025-03'] a[data-figure=net_pay]")
    amount = link.inner_text()
    link.click()
    page.wait_for_url(re.compile(r"/compensation/2025-03#sec-net-compensation-net-pay$"))
    section = page.locator("#sec-net-compensation-net-pay")
    assert amount in section.inner_text()
    page.goto(demo_server + "/compensation")
    pool_link = page.locator("tr[data-period='2025-03'] td a[href*='#pool-UTCS']")
    pay = pool_link.inner_text()
    pool_link.click()
    page.wait_for_url(re.compile(r"/compensation/2025-03#pool-UTCS$"))
    assert pay in page.locator("#pool-UTCS").inner_text()


def test_filter_tickets_by_cpt_and_service_dates(page, demo_server):
    page.goto(demo_server + "/tickets")
    page.fill("input[name=cpt]", "45380")
    page.fill("input[name=service_from]", "2024-02-01")
    page.fill("input[name=service_to]", "2024-04-30")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"cpt=45380"))
    rows = page.locator("[data-testid=data-table] tbody tr")
    assert rows.count() > 0
    for i in range(rows.count()):
        assert rows.nth(i).locator("td[data-col=cpt_code]").inner_text() == "45380"
        served = rows.nth(i).locator("td[data-col=date_of_service]").inner_text()
        assert "2024-02-01" <= served <= "2024-04-30"


def test_chart_hover_shows_values_and_exports_download(page, demo_server, tmp_path):
    page.goto(demo_server + "/analysis")
    page.hover("#chart-income_trend .chart-hit >> nth=5")
    tooltip = page.locator("#chart-income_trend .chart-tooltip")
    assert tooltip.is_visible() and "Net pay: $" in tooltip.inner_text()
    with page.expect_download() as download:
        page.get_by_test_id("png-income_trend").click()
    png = Path(download.value.path()).read_bytes()
    assert png.startswith(b"\x89PNG")
    with page.expect_download() as download:
        page.get_by_test_id("csv-payers").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("Pay code,")


def test_adding_a_rule_recomputes_cases(browser, demo_db, tmp_path):
    copy = tmp_path / "demo-copy.db"
    shutil.copy(demo_db, copy)
    with running_app({"DATABASE_URL": f"sqlite:///{copy}"}) as url:
        page = browser.new_page()
        page.goto(url + "/cases")
        before = _number(page.get_by_test_id("summary").locator("strong").inner_text())
        page.goto(url + "/asmg_rules")
        page.fill("input[name=effective_date]", "2025-01-01")
        page.fill("input[name=time]", "0.12")
        page.get_by_role("button", name="Add rule").click()
        page.wait_for_selector(".flash")
        message = page.locator(".flash").inner_text()
        changed = int(re.search(r"(\d+) cases changed", message).group(1))
        assert changed > 1000
        page.goto(url + "/cases")
        after = _number(page.get_by_test_id("summary").locator("strong").inner_text())
        assert after > before
        page.close()


def test_every_page_on_an_empty_database_says_what_to_do(page, live_server):
    for path in ("/", "/compensation", "/tickets", "/cases", "/cpt_codes", "/analysis"):
        page.goto(live_server + path)
        empty = page.get_by_test_id("empty-state")
        assert empty.is_visible(), path
        assert "No packets imported yet" in empty.inner_text()
