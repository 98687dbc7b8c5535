"""The insights page in Chromium on the demo data: cards that drill down, the range picker,
alerts that open their lines, and chart exports that open."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import matplotlib.image
import pytest

pytestmark = pytest.mark.browser


def _number(text: str) -> float:
    return float(re.sub(r"[^0-9.\-]", "", text))


def test_insights_cards_drill_down(browser, demo_server):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(demo_server + "/insights")
    cards = page.get_by_test_id("insight-card")
    assert cards.count() >= 6
    net = cards.filter(has_text="Net pay (").first
    amount = net.locator(".card-value").inner_text()
    assert "vs last year" in net.inner_text()
    net.click()
    page.wait_for_url(re.compile(r"/compensation/\d{4}-\d{2}#sec-net-compensation-net-pay$"))
    assert amount in page.locator("#sec-net-compensation-net-pay").inner_text()

    page.goto(demo_server + "/insights")
    owed = page.get_by_test_id("insight-card").filter(has_text="Earned, not yet paid")
    value = _number(owed.locator(".card-value").inner_text())
    rows = page.get_by_test_id("pipeline").locator("tbody tr")
    total = sum(_number(rows.nth(i).locator("td").last.inner_text()) for i in range(rows.count()))
    assert total == pytest.approx(value, abs=0.05 * rows.count())
    page.close()


def test_range_picker_changes_the_comparison(browser, demo_server):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(demo_server + "/insights")
    chart = page.locator("#chart-ranges script[type='application/json']")
    before = chart.text_content()
    picker = page.get_by_test_id("range-picker")
    picker.locator("select[name=metric]").select_option("points")
    picker.locator("input[name=from]").fill("2024-01")
    picker.locator("input[name=to]").fill("2024-06")
    picker.get_by_role("button", name="Compare").click()
    page.wait_for_url(re.compile(r"metric=points"))
    after = page.locator("#chart-ranges script[type='application/json']").text_content()
    assert after != before
    assert '"2024-06"' in after and '"2024-07"' not in after
    assert "Points (M): month vs a year earlier" in page.locator("#chart-ranges h2").inner_text()
    page.hover("#chart-ranges .chart-mark >> nth=0")
    assert "A year earlier" in page.locator("#chart-ranges .chart-tooltip").inner_text()
    page.close()


def test_alert_opens_its_lines_and_exports_open(browser, demo_server):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(demo_server + "/insights")
    alerts = page.get_by_test_id("alerts").locator("li a")
    assert alerts.count() > 0
    title = alerts.first.inner_text()
    with page.expect_navigation():
        alerts.first.click()
    assert page.locator("h1").inner_text() in ("Lines behind the figure",) or "/compensation/" in (
        page.url
    )
    if "Ticket" in title:
        assert page.locator("[data-testid=data-table] tbody tr").count() >= 1

    page.goto(demo_server + "/insights")
    with page.expect_download() as download:
        page.get_by_test_id("png-years").click()
    png = Path(download.value.path())
    assert matplotlib.image.imread(png).shape[0] > 300
    with page.expect_download() as download:
        page.get_by_test_id("csv-workload").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text("utf-8-sig"))))
    assert rows[0][0] == "Month of service" and len(rows) > 2
    page.close()
