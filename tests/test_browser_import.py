"""In Chromium: import packets with the file picker and by drag and drop, see a result per
file, then delete a packet through its confirmation page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_import_by_picker_and_drop_then_delete(browser, live_server, history_36):
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server + "/")
    assert page.get_by_text("No packets imported yet").is_visible()
    assert page.get_by_role("button", name="Open the demo").is_visible()

    first, second, third = (m.pdf_path for m in history_36[12:15])
    page.set_input_files("input[type=file]", [str(first), str(second)])
    page.get_by_role("button", name="Import").click()
    page.wait_for_selector("[data-testid=import-results]")
    rows = page.locator("[data-testid=import-results] tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).locator(".badge").inner_text() == "imported"

    # Drag and drop a third packet onto the drop zone.
    page.goto(live_server + "/")
    transfer = page.evaluate_handle(
        """([name, bytes]) => {
            const dt = new DataTransfer();
            dt.items.add(new File([new Uint8Array(bytes)], name, {type: "application/pdf"}));
            return dt;
        }""",
        [third.name, list(third.read_bytes())],
    )
    page.dispatch_event("[data-dropzone-target]", "drop", {"dataTransfer": transfer})
    assert "1 file(s) ready" in page.locator("[data-dropzone-target] p").first.inner_text()
    page.get_by_role("button", name="Import").click()
    page.wait_for_selector("[data-testid=import-results]")
    assert third.name in page.content()

    page.goto(live_server + "/")
    assert page.locator("[data-testid=packets] tbody tr").count() == 3
    page.locator("[data-testid=packets] a", has_text="Delete").first.click()
    page.get_by_role("button", name="Delete this packet").click()
    page.wait_for_selector(".flash")
    assert "deleted the packet" in page.locator(".flash").inner_text()
    assert page.locator("[data-testid=packets] tbody tr").count() == 2
    assert errors == []
    page.close()
