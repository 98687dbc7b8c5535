"""The forecast page in Chromium on the demo data: shaded bands drawn, a what-if recomputes."""

from __future__ import annotations

import re

import pytest

from tests.test_browser_pages import page  # noqa: F401  (the page fixture: fails on JS errors)

pytestmark = pytest.mark.browser


def _money(text: str) -> float:
    return float(re.sub(r"[^0-9.\-]", "", text.replace("−", "-")))


def test_bands_drawn_and_what_if_changes_the_forecast(page, demo_server):  # noqa: F811
    page.goto(demo_server + "/forecast")
    assert page.locator("#chart-forecast path.chart-band").count() == 2  # 95 % and 80 %
    rows = page.locator("[data-testid=forecast-table] tbody tr")
    assert rows.count() == 12
    month = rows.nth(3).locator("td").first.inner_text()
    before = _money(page.get_by_test_id(f"value-{month}").inner_text())
    page.locator("input[name=volume]").fill("20")
    page.get_by_role("button", name="Recompute").click()
    page.wait_for_selector("[data-testid=what-if-on]")
    page.wait_for_load_state("load")  # the new page's charts are drawn by its script
    after = _money(page.get_by_test_id(f"value-{month}").inner_text())
    assert after > before * 1.05
    change = _money(page.get_by_test_id(f"change-{month}").inner_text())
    assert change == pytest.approx(after - before, abs=2)
    assert page.locator("#chart-forecast path.chart-band").count() == 2
    assert page.get_by_test_id("backtest").locator("tbody tr").count() >= 6
