"""The /audit page through Flask's test client, on a copy of the demo database."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app import create_app
from tests.conftest import csrf_token


@pytest.fixture
def web(demo_db: Path, tmp_path: Path):
    target = tmp_path / "demo.db"
    shutil.copy(demo_db, target)
    app = create_app({"DATABASE_URL": f"sqlite:///{target}", "TESTING": True, "SECRET_KEY": "t"})
    return app.test_client()


@pytest.fixture(scope="module")
def month_log(demo_db: Path) -> bytes:
    return (demo_db.parent / "demo-packets" / "caselog-2024-03.csv").read_bytes()


def upload(client, data: bytes, name: str = "log.csv", token: str | None = None):
    """Post a file as the page's form does (fetching a token shows and so clears any
    waiting messages: pass ``token`` to keep them)."""
    return client.post(
        "/audit/upload",
        data={"csrf_token": token or csrf_token(client), "caselog": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def text(response) -> str:
    return response.get_data(as_text=True)


def test_upload_then_findings_report_and_clear(web, month_log: bytes) -> None:
    span = "from=2024-03-01&to=2024-03-31"
    token = csrf_token(web)
    before = text(web.get(f"/audit?{span}"))
    assert 'data-testid="no-log"' in before and 'href="/audit"' in before
    assert "kind-unexpected" not in before and "kind-ticket_gap" in before

    response = upload(web, month_log, "caselog-2024-03.csv", token)
    assert response.status_code == 302
    assert response.headers["Location"] == "/audit?from=2024-03-01&to=2024-03-31"
    page = text(web.get(response.headers["Location"]))
    assert "149 new stored, 0 already stored" in page
    for kind in ("missing_overdue", "unexpected", "cpt_mismatch", "ticket_mismatch"):
        assert f'data-testid="kind-{kind}"' in page
    assert 'data-chart="audit_timeline"' in page and "Expected vs actual" in page
    assert "/cases/73117503" in page  # a billed case not in the log drills to its case
    assert "/compensation/2024-03" in page

    again = upload(web, month_log, "caselog-2024-03.csv", token)
    assert "0 new stored, 149 already stored" in text(web.get(again.headers["Location"]))

    only = text(web.get("/audit?kind=unexpected&from=2024-03-01&to=2024-03-31"))
    assert len(re.findall(r'<tr data-kind="unexpected"', only)) == 2
    assert '<tr data-kind="cpt_mismatch"' not in only

    pdf = web.get("/audit/report?fmt=pdf&from=2024-03-01&to=2024-03-31")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    csv_text = web.get(f"/audit/report?fmt=csv&{span}").data.decode("utf-8-sig")
    assert "73117503" in csv_text and "Patient" not in csv_text.splitlines()[0]
    named = web.get("/audit/report?fmt=xlsx&from=2024-03-01&to=2024-03-31&include_names=1")
    header = next(load_workbook(io.BytesIO(named.data))["Findings"].iter_rows(values_only=True))
    assert "Patient" in header

    rematched = web.post("/audit/rematch", data={"csrf_token": token})
    assert "148 of 149 logged cases are verified" in text(web.get(rematched.headers["Location"]))

    cleared = web.post("/audit/clear", data={"csrf_token": token})
    assert cleared.status_code == 302
    after = text(web.get("/audit?from=2030-01-01"))  # an empty range: a quick page
    assert "Removed your stored case log (149 rows)" in after and 'data-testid="no-log"' in after


def test_bad_uploads_store_nothing(web) -> None:
    bad_rows = b"date,ticket,cpt\n3/4/24,73117474,29827\n3/40/24,73117475,29881\n"
    response = upload(web, bad_rows)
    assert response.status_code == 422
    page = text(response)
    assert 'data-testid="rejected-rows"' in page and "is not a date" in page
    assert "Nothing was stored: 1 row(s) of log.csv are refused" in page
    bad_files = (
        (b"", "is empty"),
        (b"\x00\x01\x02binary\x00" * 20, "not a text CSV"),
        (b"who,what\nx,y\n", "lacks a date column"),
    )
    token = csrf_token(web)
    for data, _message in bad_files:
        assert upload(web, data, token=token).headers["Location"] == "/audit"
    follow = text(web.get("/audit"))  # the three messages wait for the next page
    for _data, message in bad_files:
        assert message in follow
    assert follow.count("Nothing was stored") == 3 and 'data-testid="no-log"' in follow
    assert web.post("/audit/upload", data={"csrf_token": csrf_token(web)}).status_code == 302


def test_bad_queries_and_report_without_log(web) -> None:
    page = web.get("/audit?from=2024-99-01&kind=nonsense&month=March")
    assert page.status_code == 200
    body = text(page)
    assert "must be a date like 2025-03-31" in body and "is not a kind of finding" in body
    for one_sided in ("from=2030-01-01", "to=1999-01-01", "from=0001-01-01&to=9999-12-31"):
        assert web.get(f"/audit?{one_sided}").status_code == 200
    assert web.get("/audit/report?fmt=pdf").status_code == 400
    assert web.get("/audit/report?fmt=doc").status_code == 400
    assert web.post("/audit/clear").status_code == 400  # no CSRF token


def test_the_kept_audit_follows_every_change_of_the_log(web, month_log: bytes) -> None:
    """The page's audit is kept until the data changes: an upload, a removal and another
    log of as many rows (same row ids again) each show at once."""
    span = "from=2024-03-01&to=2024-03-31"
    token = csrf_token(web)
    assert 'data-testid="no-log"' in text(web.get(f"/audit?{span}"))
    assert text(web.get(f"/audit?{span}")).count('data-kind="unexpected"') == 0

    upload(web, month_log, "caselog-2024-03.csv", token)
    first = text(web.get(f"/audit?{span}&kind=missing_overdue"))
    assert "73199999" not in first and len(re.findall(r'<tr data-kind="missing_overdue"', first))

    web.post("/audit/clear", data={"csrf_token": token})
    assert 'data-testid="no-log"' in text(web.get(f"/audit?{span}"))
    # The same 149 rows but one: a ticket never billed, served on a day with no such case.
    other = month_log.replace(b"2024-03-01,73117475,29881", b"2024-03-02,73199999,01967", 1)
    assert other != month_log
    upload(web, other, "other.csv", token)
    second = text(web.get(f"/audit?{span}&kind=missing_overdue"))
    assert "73199999" in second
    missing = len(re.findall(r'<tr data-kind="missing_overdue"', second))
    assert missing == len(re.findall(r'<tr data-kind="missing_overdue"', first)) + 1


def test_page_says_what_it_audits_and_pages_the_findings(web, month_log: bytes) -> None:
    """Without a log: the latest 12 posted months, said so, with the way to widen it; a
    long list of findings comes 250 a page."""
    page = text(web.get("/audit"))
    said = page[page.index('data-testid="audit-range"') :][:900]
    assert "2025-01-01" in said and "2025-12-31" in said
    assert "the latest 12 posted months (no case log stored)" in said
    assert "24 months before them (from 2023-01-01)" in said
    widen = re.search(r'href="(/audit\?from=[^"]+)" data-testid="audit-everything"', said)
    assert widen
    everything = text(web.get(widen.group(1).replace("&amp;", "&")))
    assert "the dates you chose" in everything
    assert 'data-testid="audit-everything"' not in everything

    upload(web, month_log, "caselog-2024-03.csv")
    span = "from=2023-01-01&to=2025-12-31"
    first = text(web.get(f"/audit?{span}"))
    total = int(re.search(r"All findings\s*\((\d+)\)", first).group(1))
    assert total > 500  # every billed case of the other months is not in this log
    rows = re.findall(r'<tr data-kind="(\w+)"', first)
    assert len(rows) == 250 and 'data-testid="findings-pager"' in first
    assert f"Page 1 of {-(-total // 250)}" in first and 'rel="next"' in first
    second = text(web.get(f"/audit?{span}&page=2"))
    assert len(re.findall(r'<tr data-kind="', second)) == 250 and 'rel="prev"' in second
    last = text(web.get(f"/audit?{span}&page=999"))
    assert len(re.findall(r'<tr data-kind="', last)) == total - 250 * (-(-total // 250) - 1)
    one_kind = text(web.get(f"/audit?{span}&kind=overlap"))
    assert 'data-testid="findings-pager"' not in one_kind  # 89 overlaps: one page
