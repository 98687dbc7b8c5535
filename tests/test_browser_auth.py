"""The sign-in page in a real browser: a wrong password is refused with a message, the right
one opens the page first asked for, and signing out asks again."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import running_app

pytestmark = pytest.mark.browser

PASSWORD = "made-up passphrase 42"


def test_sign_in_and_out_in_the_browser(browser, tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'auth.db'}", "APP_PASSWORD": PASSWORD}
    with running_app(env) as url:
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{url}/tickets")
        assert "/login?next=" in page.url
        page.fill("#password", "wrong")
        page.click("button[type=submit]")
        assert page.get_by_test_id("auth-message").inner_text() == "Wrong password."
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/tickets")
        assert page.locator("h1").first.is_visible()
        page.goto(f"{url}/logout")
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/login")
        page.goto(f"{url}/")
        assert "/login?next=" in page.url
        # The refused password is a 401 (the console notes it); nothing else went wrong.
        assert [e for e in errors if "401" not in e] == [], errors
        page.close()
