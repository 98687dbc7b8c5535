"""Every route answers malformed input with a clear page, never a 500; exports open."""

from __future__ import annotations

import csv
import io
import json

import matplotlib.image
import pytest

from analytics.rules import adopt_rules_from_packets
from data.db import make_engine, make_session_factory, session_scope
from data_loader import PacketLoader
from tests.conftest import csrf_token

GARBAGE = {
    "q": "'; DROP TABLE packets; --",
    "cpt": "<script>",
    "ticket": "x" * 500,
    "service_from": "31/31/2024",
    "service_to": "yesterday",
    "post_from": "2024-13-45",
    "post_to": "0",
    "post_month": "2024-13",
    "service_month": "June",
    "service_type": "An;",
    "pay_code": "%00",
    "pool": "../../etc",
    "note": "??",
    "packet": "-1",
    "page": "-5",
    "per_page": "99999999",
    "sort": "__class__",
    "dir": "sideways",
    "from": "2024/01",
    "to": "x",
    "years": "forever",
    "include_names": "maybe",
    "download": "2",
}
PATH_VALUES = {
    "ticket": "no-such-ticket",
    "period": "9999-99",
    "name": "nothing",
    "fmt": "csv",
    "token": "bad-token",
    "packet_id": "999999",
    "rule_id": "999999",
}


@pytest.fixture
def loaded_client(app, history_36):
    factory = make_session_factory(make_engine(app.config["DATABASE_URL"]))
    loader = PacketLoader(factory)
    for month in history_36[:3]:
        assert loader.import_file(month.pdf_path).ok
    with session_scope(factory) as session:
        adopt_rules_from_packets(session)  # 2023 packets pay 0.60 per medical unit
    return app.test_client()


def _urls(app, method: str) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if method not in rule.methods or rule.endpoint == "static":
            continue
        url = rule.rule
        for argument in rule.arguments:
            url = url.replace(f"<{argument}>", PATH_VALUES.get(argument, "x"))
            url = url.replace(f"<int:{argument}>", PATH_VALUES.get(argument, "1"))
            url = url.replace(f"<any(csv,json):{argument}>", "csv")
            url = url.replace(f"<any(png,csv,json):{argument}>", "png")
        urls.append(url)
    return urls


@pytest.mark.parametrize("loaded", [False, True])
def test_no_route_answers_500_to_malformed_parameters(app, loaded, request):
    client = request.getfixturevalue("loaded_client") if loaded else app.test_client()
    urls = _urls(app, "GET")
    assert "/tickets" in urls and "/compensation/<period>" not in urls
    for url in urls:
        response = client.get(url, query_string=GARBAGE)
        assert response.status_code < 500, url
        assert b"Traceback" not in response.data, url
    token = csrf_token(client)
    for url in _urls(app, "POST"):
        if url.startswith("/demo/"):
            continue  # building the demo is tested on its own
        response = client.post(
            url,
            data={
                **GARBAGE,
                "csrf_token": token,
                "effective_date": "soon",
                "time": "x",
                "action": "??",
                "confirm": "no",
            },
        )
        assert response.status_code < 500, url
        assert b"Traceback" not in response.data, url


def test_bad_filters_are_explained_on_the_page(loaded_client):
    html = loaded_client.get(
        "/tickets", query_string={"post_month": "2024-13", "sort": "nope"}
    ).get_data(as_text=True)
    assert "must be a month like 2025-03" in html and "Cannot sort by" in html


def test_table_exports_agree_with_the_page_and_hide_names(loaded_client, history_36):
    period = history_36[1].period
    page = loaded_client.get(f"/tickets.json?post_month={period}&per_page=1000").get_json()
    lines = len(history_36[1].truth["charges"])
    assert page["total"] == lines == len(page["rows"])
    assert "patient_name" not in page["rows"][0]
    printed = next(p["points"] for p in history_36[1].truth["pools"] if p["pool"] == "ALL")
    assert page["sums"]["points"] == pytest.approx(printed, abs=0.011)
    text = loaded_client.get(f"/tickets.csv?post_month={period}").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == lines and "Patient" not in rows[0]
    named = loaded_client.get(f"/tickets.csv?post_month={period}&include_names=1")
    assert "Patient" in named.data.decode("utf-8-sig").splitlines()[0]
    comp = list(
        csv.DictReader(io.StringIO(loaded_client.get("/compensation.csv").data.decode("utf-8-sig")))
    )
    assert [r["Pay period"] for r in comp] == [m.period for m in reversed(history_36[:3])]


def test_chart_png_csv_json_open(loaded_client, tmp_path):
    for name in ("income_trend", "seasonal", "pool_points", "pool_rates", "procedures", "payers"):
        png = loaded_client.get(f"/analysis/{name}.png")
        assert png.status_code == 200 and png.mimetype == "image/png"
        path = tmp_path / f"{name}.png"
        path.write_bytes(png.data)
        assert matplotlib.image.imread(path).shape[0] > 300
        rows = list(
            csv.reader(
                io.StringIO(loaded_client.get(f"/analysis/{name}.csv").data.decode("utf-8-sig"))
            )
        )
        assert len(rows) > 1
        chart = json.loads(loaded_client.get(f"/analysis/{name}.json").data)
        assert chart["series"] and len(chart["x"]) == len(rows) - 1
    assert loaded_client.get("/analysis/nothing.png").status_code == 404
