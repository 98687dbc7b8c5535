"""No patient data in the logs: import a packet and a case log through the web, browse and
export, fail on purpose (a broken database under a case page, a database error carrying a
row's values), then search everything logged for the test data's made-up patient names
and tickets."""

from __future__ import annotations

import io
import logging
import sqlite3
from pathlib import Path

import pytest

from analytics.privacy import redact, remember_names
from data.db import make_engine, make_session_factory, session_scope
from data.models import ChargeTransaction
from tests.conftest import csrf_token


@pytest.fixture(scope="module")
def one_month(tmp_path_factory):
    from data.synthetic import generate_history

    return generate_history(tmp_path_factory.mktemp("privacy"), months=1, start="2024-05", seed=5)[
        0
    ]


def test_logs_hold_no_patient_names_or_tickets(app, client, one_month, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    pdf = one_month.pdf_path
    charges = one_month.truth["charges"]
    names = {c["patient_name"] for c in charges if c.get("patient_name")}
    tickets = {c["ticket"] for c in charges}
    assert len(names) > 20 and len(tickets) > 20

    upload = client.post(
        "/upload",
        data={
            "csrf_token": csrf_token(client),
            "files": [(io.BytesIO(pdf.read_bytes()), pdf.name)],
        },
        content_type="multipart/form-data",
    )
    assert upload.status_code == 200 and "imported" in upload.get_data(as_text=True).lower()
    caselog = one_month.caselog_path
    logged = client.post(
        "/audit/upload",
        data={
            "csrf_token": csrf_token(client),
            "caselog": (io.BytesIO(caselog.read_bytes()), caselog.name),
        },
        content_type="multipart/form-data",
    )
    assert logged.status_code in (200, 302)

    some = sorted(tickets)[:5]
    for url in ["/tickets", "/cases", "/tickets.csv", "/cases.csv", "/audit", "/compensation"]:
        assert client.get(url).status_code == 200, url
    for ticket in some:
        assert client.get(f"/cases/{ticket}").status_code == 200
        assert client.get(f"/tickets?q={ticket}").status_code == 200
    assert client.get(f"/cases/{some[0]}?name={sorted(names)[0]}").status_code == 200

    # Fail on purpose 1: the database breaks under a case page (the error names the path).
    database = Path(app.config["DATABASE_URL"].removeprefix("sqlite:///"))
    with sqlite3.connect(database) as connection:
        connection.execute("DROP TABLE master_cases")
    broken = client.get(f"/cases/{some[1]}")
    assert broken.status_code == 500

    # Fail on purpose 2: a database error whose message carries a row's values.
    charge = next(c for c in charges if c.get("patient_name"))
    engine = make_engine(app.config["DATABASE_URL"])
    factory = make_session_factory(engine)
    with pytest.raises(Exception) as failure, session_scope(factory) as session:  # noqa: PT011
        session.add(
            ChargeTransaction(
                packet_id=999_999, ticket=charge["ticket"], patient_name=charge["patient_name"]
            )
        )
    engine.dispose()
    assert charge["patient_name"] in str(failure.value) or charge["ticket"] in str(failure.value)
    logging.getLogger("compensation").error(
        "Could not store %s for %s", charge["ticket"], charge["patient_name"],
        exc_info=failure.value,
    )  # fmt: skip

    records = caplog.records
    assert len(records) >= 3, "the run logged something to check"
    text = "\n".join(
        [record.getMessage() for record in records] + [record.exc_text or "" for record in records]
    ).lower()
    assert "[ticket]" in text and "[name]" in text, "the redaction was at work"
    leaked = sorted(name for name in names if name.lower() in text)
    leaked += sorted(ticket for ticket in tickets if ticket in text)
    assert not leaked, f"patient data in the logs: {leaked[:5]}"


def test_redaction_keeps_what_a_log_needs() -> None:
    remember_names(["Quintana-Rowe Maribel", None, "AB"])
    line = redact(
        "Imported 2024-03 (12 pages, 201 lines, $1,234.56) ticket 73101234 for "
        "QUINTANA-ROWE, MARIBEL seen 03/04/2024 CPT 64447 and 0213T"
    )
    assert "2024-03 (12 pages, 201 lines, $1,234.56)" in line
    assert line.endswith("ticket [ticket] for [name] seen [date] CPT [code] and [code]")
