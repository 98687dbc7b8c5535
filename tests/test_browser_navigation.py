"""In a real browser: the served app answers, and every navigation link opens without error."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_every_navigation_link_opens_without_error(browser, live_server: str) -> None:
    page = browser.new_page()
    console_errors: list[str] = []
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: console_errors.append(str(exc)))

    response = page.goto(live_server + "/")
    assert response is not None and response.status == 200
    assert page.get_by_text("No packets imported yet").is_visible()

    links = page.locator("nav.nav a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs, "the navigation bar has no links"
    for href in hrefs:
        response = page.goto(live_server + href)
        assert response is not None and response.status == 200, href
        assert page.locator("h1").count() >= 1, href
        assert "Traceback" not in page.content()
    # Stylesheet loaded under the Content-Security-Policy (the top bar is coloured).
    background = page.evaluate(
        "getComputedStyle(document.querySelector('.topbar')).backgroundColor"
    )
    assert background == "rgb(31, 95, 139)"
    assert console_errors == []
    page.close()
