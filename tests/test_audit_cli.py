"""cli_tools/audit.py run for real on a copy of the demo database."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from analytics.audit import KINDS
from cli_tools.audit import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def db_url(demo_db: Path, tmp_path_factory) -> str:
    target = tmp_path_factory.mktemp("audit-cli") / "demo.db"
    shutil.copy(demo_db, target)
    return f"sqlite:///{target}"


@pytest.fixture(scope="module")
def month_log(demo_db: Path) -> tuple[Path, dict]:
    folder = demo_db.parent / "demo-packets"
    truth = json.loads((folder / "caselog-2024-03.truth.json").read_text())
    return folder / "caselog-2024-03.csv", truth


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "cli_tools/audit.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_json_lists_the_months_findings(db_url: str, month_log) -> None:
    log, truth = month_log
    done = run(str(log), "--database-url", db_url, "--json")
    assert done.returncode == 0, done.stderr
    findings = json.loads(done.stdout)
    assert all(
        {"kind", "ticket", "date_of_service", "cpt_codes", "detail"} <= set(f) for f in findings
    )
    assert {f["kind"] for f in findings} <= set(KINDS)
    assert all("patient" not in f for f in findings)
    assert all("2024-03-01" <= f["date_of_service"] <= "2024-03-31" for f in findings)

    def tickets(kind: str) -> set[str]:
        return {f["ticket"] for f in findings if f["kind"] == kind}

    assert tickets("missing_overdue") == {x["ticket"] for x in truth["never_billed"]}
    assert tickets("unexpected") == {x["ticket"] for x in truth["not_in_log"]}
    assert tickets("cpt_mismatch") == {x["ticket"] for x in truth["wrong_cpt"]}
    assert tickets("ticket_mismatch") == {x["ticket"] for x in truth["mistyped_ticket"]}
    again = run(str(log), "--database-url", db_url)
    assert again.returncode == 0 and "stored 0 new, 149 already stored" in again.stdout


def test_reports_in_three_formats(db_url: str, month_log, tmp_path: Path) -> None:
    log, truth = month_log
    done = run(str(log), "--database-url", db_url, "--out", str(tmp_path / "report.pdf"))
    assert done.returncode == 0, done.stderr
    assert "Billed, not in your log (unexpected)" in done.stdout
    for ext in ("xlsx", "csv"):  # the same main() in this process: quicker
        out = str(tmp_path / f"report.{ext}")
        assert main([str(log), "--database-url", db_url, "--out", out]) == 0
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Billing audit" in text and "Billed, not in your log (2)" in text
    for item in truth["not_in_log"] + truth["wrong_cpt"]:
        assert item["ticket"] in text
    book = load_workbook(tmp_path / "report.xlsx")
    rows = list(book["Findings"].iter_rows(values_only=True))
    assert rows[0][:4] == ("Finding", "Ticket", "Date of service", "CPT codes")
    assert {r[1] for r in rows[1:] if r[-1] == "cpt_mismatch"} == {
        x["ticket"] for x in truth["wrong_cpt"]
    }
    lines = list(csv.DictReader(io.StringIO((tmp_path / "report.csv").read_text("utf-8-sig"))))
    assert {r["Ticket"] for r in lines if r["Kind"] == "unexpected"} == {
        x["ticket"] for x in truth["not_in_log"]
    }
    assert all(r["Packet"] and r["Page"] for r in lines if r["Kind"] == "unexpected")
    assert "Patient" not in lines[0]


def test_bad_logs_and_arguments(db_url: str, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("date,ticket,cpt\n1/2/24,73100001,45380\n2/30/24,73100002,45380\n")
    done = run(str(bad), "--database-url", db_url)
    assert done.returncode == 1
    assert "Nothing was stored: 1 row(s)" in done.stderr and "line 3" in done.stderr
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(200)))
    assert main([str(binary), "--database-url", db_url]) == 1
    assert "not a text CSV" in capsys.readouterr().err
    for args in (
        [str(bad), "--out", "x.doc"],
        [str(tmp_path / "none.csv")],
        [str(bad), "--from", "2024-13-01"],
        [str(bad), "--from", "2024-03-02", "--to", "2024-03-01"],
    ):
        with pytest.raises(SystemExit) as exit_:
            main(args)
        assert exit_.value.code == 2
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    usage = capsys.readouterr().out
    assert exit_.value.code == 0 and "--json" in usage and "case log" in usage


def test_without_packets_nothing_is_judged(month_log, tmp_path: Path, capsys) -> None:
    log, _truth = month_log
    assert main([str(log), "--database-url", f"sqlite:///{tmp_path / 'empty.db'}"]) == 0
    out = capsys.readouterr().out
    assert "149 logged case(s) not judged" in out and "No findings" not in out
