"""Points rules page: add with an effective date, delete, adopt the packets' own multipliers;
every change recomputes the cases and says how many changed."""

from __future__ import annotations

import pytest

from data.db import make_engine, make_session_factory, session_scope
from data.models import AuditLog, MasterCase
from data.repositories import AsmgRuleRepository, MonthlySummaryRepository
from data_loader import PacketLoader
from tests.conftest import csrf_token


@pytest.fixture
def loaded_app(app, history_36):
    """The app with the first 14 months imported (2023 prints 0.60 per medical unit)."""
    factory = make_session_factory(make_engine(app.config["DATABASE_URL"]))
    loader = PacketLoader(factory)
    for month in history_36[:14]:
        assert loader.import_file(month.pdf_path).ok
    app.extensions["test_factory"] = factory
    return app


def _points(factory) -> float:
    with session_scope(factory) as session:
        return sum(case.points for case in session.query(MasterCase))


def test_rules_page_suggests_and_adopts_packet_multipliers(loaded_app):
    client = loaded_app.test_client()
    factory = loaded_app.extensions["test_factory"]
    page = client.get("/asmg_rules").get_data(as_text=True)
    assert "Your packets print other multipliers" in page and "0.60" in page
    before = _points(factory)
    done = client.post(
        "/asmg_rules/adopt", data={"csrf_token": csrf_token(client)}, follow_redirects=True
    ).get_data(as_text=True)
    assert "2 rule(s) taken from your packets" in done
    assert "Your packets print other multipliers" not in done
    assert _points(factory) > before  # medical units now earn 0.60 in 2023
    with session_scope(factory) as session:
        failed = [
            c
            for p in MonthlySummaryRepository(session).list_all()
            for c in p.check_results
            if not c.ok
        ]
        assert failed == []


def test_add_rule_recomputes_and_reports_count(loaded_app):
    client = loaded_app.test_client()
    factory = loaded_app.extensions["test_factory"]
    before = _points(factory)
    done = client.post(
        "/asmg_rules",
        data={
            "csrf_token": csrf_token(client),
            "effective_date": "2023-06-01",
            "time": "0.20",
            "anes_base": "0.50",
            "med_base": "0.50",
            "description": "made-up test rule",
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Rule from 2023-06-01 saved;" in done and "cases changed" in done
    changed = int(done.split("saved; ")[1].split(" cases")[0])
    assert changed > 100
    assert _points(factory) > before
    with session_scope(factory) as session:
        assert session.query(AuditLog).filter_by(entity_type="asmg_rule").count() == 1


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("effective_date", "June 1st", "effective date as a date"),
        ("time", "ten", "points per minute as a number"),
        ("med_base", "11", "between 0 and 10"),
    ],
)
def test_bad_rule_input_saves_nothing(app, field, value, message):
    client = app.test_client()
    form = {
        "csrf_token": csrf_token(client),
        "effective_date": "2024-01-01",
        "time": "0.1",
        "anes_base": "0.5",
        "med_base": "0.5",
        field: value,
    }
    page = client.post("/asmg_rules", data=form, follow_redirects=True).get_data(as_text=True)
    assert "Nothing was saved" in page and message in page
    with session_scope(make_session_factory(make_engine(app.config["DATABASE_URL"]))) as s:
        assert AsmgRuleRepository(s).count() == 1


def test_delete_rule_but_never_the_last(app):
    client = app.test_client()
    client.post(
        "/asmg_rules",
        data={
            "csrf_token": csrf_token(client),
            "effective_date": "2020-01-01",
            "time": "0.1",
            "anes_base": "0.5",
            "med_base": "0.6",
        },
    )
    factory = make_session_factory(make_engine(app.config["DATABASE_URL"]))
    with session_scope(factory) as session:
        first, second = AsmgRuleRepository(session).list_all()
        first_id, second_id = first.id, second.id
    done = client.post(
        f"/asmg_rules/{second_id}/delete",
        data={"csrf_token": csrf_token(client)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Rule from 2020-01-01 deleted" in done
    refused = client.post(
        f"/asmg_rules/{first_id}/delete",
        data={"csrf_token": csrf_token(client)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "The last rule cannot be deleted" in refused
    with session_scope(factory) as session:
        assert AsmgRuleRepository(session).count() == 1
