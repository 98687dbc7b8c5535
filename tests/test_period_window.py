"""Pages that grow with the history show its newest part unless asked for more.

A career's 30 years are 360 pay periods: the compensation table and the analysis charts
show the newest 36 by default (fast, and what a physician reads first), with one click to
ten years or every month, and typed months. Exports follow the same window.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from analytics.periods import period_window
from data.db import make_engine, make_session_factory
from data.synthetic import generate_history
from data.synthetic.practice import PracticeParams
from data_loader import PacketLoader

MONTHS = 62  # 2020-11 .. 2025-12: more than three years, six calendar years


@pytest.fixture(scope="module")
def long_history(tmp_path_factory):
    """Sixty-two months of small packets (a tenth of the usual cases), generated once."""
    return generate_history(
        tmp_path_factory.mktemp("history62"),
        months=MONTHS,
        start="2020-11",
        seed=4,
        params=PracticeParams(cases_scale=0.1),
    )


@pytest.fixture
def long_client(app, long_history):
    loader = PacketLoader(make_session_factory(make_engine(app.config["DATABASE_URL"])))
    for month in long_history:
        assert loader.import_file(month.pdf_path).ok
    return app.test_client()


def _periods(html: str) -> list[str]:
    return re.findall(r'<tr data-period="(\d{4}-\d{2})">', html)


def test_window_from_parameters() -> None:
    assert period_window({}, "2025-12").start == "2023-01"
    assert period_window({"years": "10"}, "2025-12").start == "2016-01"
    everything = period_window({"years": "all"}, "2025-12")
    assert (everything.start, everything.end, everything.params) == (None, None, {"years": "all"})
    typed = period_window({"from": "2024-02", "to": "2024-05", "years": "all"}, "2025-12")
    assert (typed.start, typed.end, typed.span) == ("2024-02", "2024-05", None)
    swapped = period_window({"from": "2024-05", "to": "2024-02"}, "2025-12")
    assert (swapped.start, swapped.end) == ("2024-02", "2024-05") and swapped.problems
    bad = period_window({"years": "forever", "from": "May"}, "2025-12")
    assert bad.start == "2023-01" and len(bad.problems) == 2
    assert period_window({}, None).start is None  # nothing stored yet


def test_compensation_shows_the_last_three_years_by_default(long_client) -> None:
    html = long_client.get("/compensation").get_data(as_text=True)
    periods = _periods(html)
    assert len(periods) == 36 and periods[0] == "2025-12" and periods[-1] == "2023-01"
    assert f"36 of {MONTHS} pay periods" in html
    every = _periods(long_client.get("/compensation?years=all").get_data(as_text=True))
    assert len(every) == MONTHS and every[-1] == "2020-11"
    typed = _periods(long_client.get("/compensation?from=2022-03&to=2022-05").get_data(True))
    assert typed == ["2022-05", "2022-04", "2022-03"]


def test_compensation_exports_follow_the_window(long_client) -> None:
    rows = list(csv.DictReader(io.StringIO(long_client.get("/compensation.csv").get_data(True))))
    assert len(rows) == 36
    rows = list(
        csv.DictReader(io.StringIO(long_client.get("/compensation.csv?years=all").get_data(True)))
    )
    assert len(rows) == MONTHS
    page = long_client.get("/compensation").get_data(as_text=True)
    # The export dialog opens with the page's months filled in.
    assert "&#34;from&#34;: &#34;2023-01&#34;" in page or "&#34;from&#34;:&#34;2023-01&#34;" in page


def test_analysis_charts_cover_the_window(long_client) -> None:
    trend = long_client.get("/analysis/income_trend.json").get_json()
    assert len(trend["x"]) == 36 and trend["x"][0] == "2023-01"
    assert len(long_client.get("/analysis/income_trend.json?years=all").get_json()["x"]) == MONTHS
    seasonal = long_client.get("/analysis/seasonal.json?from=2024-01&to=2024-12").get_json()
    assert [s["name"] for s in seasonal["series"]] == ["2024"]
    procedures = long_client.get("/analysis/procedures.json").get_json()
    # A bar's drill-down lists the lines of those months only.
    assert "post_from=2023-01-01" in procedures["series"][0]["links"][0]
    html = long_client.get("/analysis").get_data(as_text=True)
    assert f"36 of {MONTHS} pay periods" in html and 'data-span="all"' in html


def test_dashboard_and_delete_page_list_the_newest_packets(long_client) -> None:
    html = long_client.get("/").get_data(as_text=True)
    assert html.count('class="danger-link">Delete</a>') == 24
    assert f"The newest 24 of {MONTHS} packets" in html and "packets=all" in html
    every = long_client.get("/?packets=all").get_data(as_text=True)
    assert every.count('class="danger-link">Delete</a>') == MONTHS
    assert "The newest 24" not in every
    delete_page = long_client.get("/delete").get_data(as_text=True)
    assert delete_page.count(">Delete…</a></li>") == 24 and f"Show all {MONTHS}" in delete_page
    every_packet = long_client.get("/delete?packets=all").get_data(as_text=True)
    assert every_packet.count(">Delete…</a></li>") == MONTHS


def test_year_vs_year_draws_the_last_five_years_of_the_range(long_client) -> None:
    years = long_client.get("/insights/years.json").get_json()
    assert [s["name"] for s in years["series"]] == ["2021", "2022", "2023", "2024", "2025"]
    earlier = long_client.get("/insights/years.json?from=2022-01&to=2023-12").get_json()
    assert [s["name"] for s in earlier["series"]] == ["2020", "2021", "2022", "2023"]


def test_the_dashboard_counts_older_packets_with_failed_checks() -> None:
    from analytics.overview import Overview, PacketRow

    rows = [
        PacketRow(i, f"2025-{12 - i:02d}", f"p{i}.pdf", None, "2026-01-01", failed, 10)
        for i, failed in enumerate([0, 2, 0, 1, 3, 0])
    ]  # newest first
    overview = Overview(len(rows), rows[0].period, rows)
    assert overview.failing_before(2) == 2  # 2025-09 and 2025-08, not 2025-11
    assert overview.failing_before(6) == 0
