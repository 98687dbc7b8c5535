"""The synthetic packet generator: every cross-check holds, money follows the F2 formulas across
months, the edge cases an extractor must face occur, and output is deterministic."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from data.synthetic import GeneratedMonth, LayoutOptions, PracticeParams, generate_history
from data.synthetic.dates import add_months

MONTHS = 36
WEIGHTS = {-4: 0.10, -3: 0.15, -2: 0.25, -1: 0.40, 0: 0.10}


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> list[GeneratedMonth]:
    return generate_history(tmp_path_factory.mktemp("gen"), months=MONTHS, seed=1)


def _pools(month: GeneratedMonth) -> dict[str, dict]:
    return {p["pool"]: p for p in month.truth["pools"]}


def _cents(value: float) -> int:
    return round(value * 100)


def _half_up(numerator: int, denominator: int) -> int:
    sign = -1 if numerator < 0 else 1
    return sign * ((2 * abs(numerator) + denominator) // (2 * denominator))


def test_every_cross_check_holds_in_every_month(history):
    assert [m.period for m in history] == [add_months("2023-01", i) for i in range(MONTHS)]
    for month in history:
        checks = month.truth["checks"]
        failed = [c for c in checks if not c["ok"]]
        assert failed == [], (month.period, failed)
        names = {c["name"] for c in checks}
        for expected in ("charge totals", "W-2 income", "net pay", "F2 allocation ALL"):
            assert expected in names, (month.period, expected)
        assert any(n.startswith("clinical line ") for n in names)


@pytest.mark.parametrize("seed,pool_count,start", [(2, 2, "2023-07"), (3, 1, "2024-02")])
def test_other_seeds_and_pool_counts_pass_every_check(tmp_path, seed, pool_count, start):
    params = PracticeParams(pool_count=pool_count)
    months = generate_history(tmp_path, months=24, start=start, seed=seed, params=params)
    for month in months:
        assert [c for c in month.truth["checks"] if not c["ok"]] == [], month.period
    codes = set().union(*(set(_pools(m)) for m in months)) - {"ALL"}
    assert len(codes) == pool_count
    first = months[0].truth["compensation"]["lines"]
    # a history starting mid-year carries the warm-up months' YTD
    assert any(x["year_to_date"] != (x["period_to_date"] or 0.0) for x in first)


@pytest.mark.parametrize("layout_seed", [3, 9, 11, 42])
def test_cross_checks_hold_and_figures_do_not_depend_on_layout(tmp_path, history, layout_seed):
    layout = LayoutOptions.random(layout_seed)
    months = generate_history(tmp_path, months=14, seed=1, layout=layout)
    for month, default in zip(months, history, strict=False):
        assert all(c["ok"] for c in month.truth["checks"]), month.period

        def strip(truth: dict) -> dict:
            charges = [{k: v for k, v in c.items() if k != "page"} for c in truth["charges"]]
            rest = {k: v for k, v in truth.items() if k not in ("sha256", "charges", "checks")}
            return {**rest, "charges": charges}

        assert strip(month.truth) == strip(default.truth)


def test_files_are_named_like_real_packets_and_truth_matches_the_pdf(history):
    import hashlib

    for month in history:
        name = month.pdf_path.name
        assert name.endswith("-731-Compensation_Reports_unlocked.pdf")
        assert name[:8] == month.truth["pay_date"].replace("-", "")
        assert month.truth["source_file"] == name
        assert month.truth["sha256"] == hashlib.sha256(month.pdf_path.read_bytes()).hexdigest()
        assert month.truth_path.name == name[: -len(".pdf")] + ".truth.json"
        assert json.loads(month.truth_path.read_text(encoding="utf-8")) == month.truth
        assert month.caselog_path.name == f"caselog-{month.period}.csv"


def test_same_seed_gives_identical_truth_and_another_seed_does_not(tmp_path):
    a = generate_history(tmp_path / "a", months=4, start="2024-11", seed=7)
    b = generate_history(tmp_path / "b", months=4, start="2024-11", seed=7)
    c = generate_history(tmp_path / "c", months=4, start="2024-11", seed=8)
    assert [m.truth_path.read_bytes() for m in a] == [m.truth_path.read_bytes() for m in b]
    assert [m.pdf_path.read_bytes() for m in a] == [m.pdf_path.read_bytes() for m in b]
    assert a[0].truth["charges"] != c[0].truth["charges"]


def test_pool_money_follows_the_f2_formulas_across_months(history):
    """Sections 2-5 recomputed from this and earlier packets' own printed figures."""
    by_period = {m.period: _pools(m) for m in history}
    checked = 0
    for month in history:
        t = month.period
        for code, pool in _pools(month).items():
            if code == "ALL":
                continue
            earlier = {p: by_period[p][code] for p in by_period if p < t and code in by_period[p]}
            # Section 2: months with points among the last five, each with its own weight
            for entry in pool["adjusted"]:
                offset = [k for k in WEIGHTS if add_months(t, k) == entry["month"]][0]
                assert entry["weight"] == WEIGHTS[offset]
                pct = round(entry["weight"] * 100)
                assert _cents(entry["adjusted"]) == _half_up(_cents(entry["points"]) * pct, 100)
                if entry["month"] in earlier:
                    assert entry["points"] == earlier[entry["month"]]["points"]
            assert _cents(pool["adjusted_points"]) == sum(
                _cents(a["adjusted"]) for a in pool["adjusted"]
            )
            # Section 3: twelve months of N and rates, as printed in those months
            assert pool["history"][-1] == {
                "month": t, "rate": pool["rate"], "adjusted_points": pool["adjusted_points"]
            }  # fmt: skip
            for h in pool["history"][:-1]:
                if h["month"] in earlier:
                    assert h["rate"] == earlier[h["month"]]["rate"]
                    assert h["adjusted_points"] == earlier[h["month"]]["adjusted_points"]
            started_before = code in _pools(history[0])
            assert len(pool["history"]) == (12 if started_before else min(12, len(earlier) + 1))
            assert _cents(pool["pooled_points"]) == sum(
                _cents(h["adjusted_points"]) for h in pool["history"]
            )
            # Sections 4-5: Q = the S each earlier month actually paid; S = R - Q; R = O x P
            priors = pool["prior_allocations"]
            assert [p["month"] for p in priors] == [h["month"] for h in pool["history"][:-1]]
            for p in priors:
                if p["month"] in earlier:
                    assert p["amount"] == earlier[p["month"]]["current_allocation"]
            assert _cents(pool["prior_allocation"]) == sum(_cents(p["amount"]) for p in priors)
            r, q, s = (_cents(pool[k]) for k in ("total_allocation", "prior_allocation",
                                                 "current_allocation"))  # fmt: skip
            assert s == r - q
            assert abs(r - pool["rate"] * pool["pooled_points"] * 100) <= 0.5 + 1e-6
            if not earlier and not started_before:
                assert priors == [] and q == 0
            checked += 1
    assert checked > 90


def test_section1_points_use_each_charges_multipliers(history):
    switch = "2024-01"
    for month in history:
        for code, pool in _pools(month).items():
            s1 = pool["section1"]
            assert pool["multipliers"]["med_base"] == (0.60 if month.period < switch else 0.50)
            assert _cents(pool["points"]) == sum(_cents(c["points"]) for c in s1.values())
            assert _cents(s1["anes_time_min"]["points"]) == round(s1["anes_time_min"]["total"] * 10)
            med = s1["med_base_units"]
            at_current = round(med["total"] * pool["multipliers"]["med_base"] * 100)
            if pool["notes"] and "previous rate of 60%" in pool["notes"]:
                assert _cents(med["points"]) != at_current
            elif code != "ALL":
                assert _cents(med["points"]) == at_current
    notes = [m.period for m in history for p in m.truth["pools"] if "60%" in (p["notes"] or "")]
    assert notes and all(p >= switch for p in notes)


def test_rates_move_like_real_rates(history):
    changes = defaultdict(list)
    for prev, month in zip(history, history[1:], strict=False):
        for code, pool in _pools(month).items():
            before = _pools(prev).get(code)
            if code != "ALL" and before:
                changes[code].append(pool["rate"] / before["rate"] - 1)
    for code, values in changes.items():
        mean = sum(values) / len(values)
        sd = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5
        assert 0.008 < sd < 0.03, (code, sd)
        assert max(abs(v) for v in values) < 0.08


def test_year_to_date_carries_over_and_restarts_in_january(history):
    for prev, month in zip(history, history[1:], strict=False):
        lines = month.truth["compensation"]["lines"]
        before = {(x["section"], x["label"]): x for x in prev.truth["compensation"]["lines"]}
        for line in lines:
            if line["subtotal"]:
                continue
            period = line["period_to_date"] or 0.0
            if month.period.endswith("-01"):
                assert _cents(line["year_to_date"]) == _cents(period), line
            elif (line["section"], line["label"]) in before:
                old = before[(line["section"], line["label"])]["year_to_date"]
                assert _cents(line["year_to_date"]) == _cents(old) + _cents(period), line
        stub = {x["label"]: x for x in month.truth["payroll"]["lines"]}
        old_stub = {x["label"]: x for x in prev.truth["payroll"]["lines"]}
        for label, line in stub.items():
            expected = (
                line["current"]
                if month.period.endswith("-01")
                else (old_stub[label]["ytd"] + line["current"])
            )
            assert _cents(line["ytd"]) == _cents(expected), (month.period, label)
    ytd_only = [
        line
        for m in history
        for line in m.truth["compensation"]["lines"]
        if line["period_to_date"] is None and not line["subtotal"]
    ]
    assert any(x["label"] == "Estimate to Actual Adjustme" for x in ytd_only)


def test_edge_cases_an_extractor_must_face_occur(history):
    charges = [(m, c) for m in history for c in m.truth["charges"]]
    notes = {c["note"] for _, c in charges}
    assert {"B", "S", "M", "D", "Z"} <= notes
    assert {"S", "E", "SE", "M"} <= {c["ob_case_position"] for _, c in charges}
    assert {"An", "Me", "Mo", "CP"} <= {c["service_type"] for _, c in charges}
    credits = [c for _, c in charges if c["charge_amount"] < 0]
    moved = [c for c in credits if c["original_charge_month"]]
    assert len(moved) > 10  # backouts of earlier months' charges carry Original Chg Mo
    assert all(c["original_charge_month"] < c["date_of_post"][:7] for c in moved)
    assert all(c["charge_amount"] < 0 for _, c in charges if c["original_charge_month"])
    assert any(len(c["patient_name"]) > 40 for _, c in charges)  # wraps
    assert any(30 <= len(c["patient_name"]) <= 40 for _, c in charges)  # overflows
    spans = defaultdict(set)
    for m, c in charges:
        spans[(m.period, c["ticket"])].add(c["page"])
    assert any(len(pages) > 1 for pages in spans.values())
    empty = [m for m in history if not m.truth["charges"]]
    assert empty and all(m.truth["charge_totals"]["anes_time_min"] == 0 for m in empty)
    pools_by_month = [set(_pools(m)) for m in history]
    assert pools_by_month[0] < pools_by_month[-1]  # a pool started later
    new = [m for m in history if "PBOB" in _pools(m)][0]
    assert _pools(new)["PBOB"]["prior_allocations"] == []
    assert len(_pools(new)["PBOB"]["adjusted"]) == 1
    january = [m for m in history if m.period.endswith("-01")][1]
    years = {h["month"][:4] for h in _pools(january)["UTCS"]["history"]}
    assert len(years) == 2
    expense_pages = {m.period: m.truth["expenses"] is not None for m in history}
    assert True in expense_pages.values() and False in expense_pages.values()
    lags = []
    from datetime import date

    for _, c in charges:
        if c["original_charge_month"] is None and c["note"] != "D":
            lag = date.fromisoformat(c["date_of_post"]) - date.fromisoformat(c["date_of_service"])
            lags.append(lag.days)
    lags.sort()
    assert lags[0] >= 7 and 7 <= lags[len(lags) // 2] <= 56 and lags[-1] > 56


def test_patient_names_are_made_up_varied_and_printable(history):
    names = {c["patient_name"] for m in history for c in m.truth["charges"]}
    assert len(names) > 1000
    for name in names:
        name.encode("cp1252")  # drawable in the report writer's standard fonts
    assert any("-" in n for n in names) and any("'" in n for n in names)
    assert any(n.endswith(" Jr") for n in names)
    assert any(any(ch in n for ch in "áéíóúñüöçøå") for n in names)


def test_pdf_text_carries_the_truth(history):
    """Every charge's ticket and amount are on the page the truth says; headers are there."""
    import pdfplumber

    month = next(m for m in history if m.period == "2024-03")
    with pdfplumber.open(month.pdf_path) as pdf:
        texts = [page.extract_text() for page in pdf.pages]
    assert "PERIOD March 2024" in texts[0] and "Pay Date: 04/10/2024" in texts[0]
    assert "Period: March 2024" not in texts[0]  # drawn twice with an offset, as real stubs
    assert "Physician Compensation Report" in texts[1]
    f3 = [i for i, t in enumerate(texts) if "ChargeTransaction & Ticket Tracking Report (F3)" in t]
    assert all("etoN" in texts[i] for i in f3)
    for charge in month.truth["charges"]:
        page = texts[charge["page"] - 1]
        assert charge["ticket"] in page
        assert f"{charge['charge_amount']:,.2f}" in page
    total = month.truth["charge_totals"]["charge_amount"]
    assert f"{total:,d}" in texts[f3[-1]]
    f2 = [t for t in texts if "Pooled Compensation Report (F2)" in t]
    assert len(f2) == len(month.truth["pools"])
    for pool in month.truth["pools"]:
        assert any(f"{pool['current_allocation']:,.2f}" in t for t in f2)


def test_password_protected_packets(tmp_path):
    import pypdfium2

    months = generate_history(tmp_path, months=1, start="2025-06", seed=2, password="s3cret")
    path = months[0].pdf_path
    assert path.name.endswith("-731-Compensation_Reports.pdf")
    with pytest.raises(pypdfium2.PdfiumError):
        pypdfium2.PdfDocument(str(path))
    doc = pypdfium2.PdfDocument(str(path), password="s3cret")
    assert "Anesthesia Service Medical Group" in doc[0].get_textpage().get_text_range()
    doc.close()


def test_case_log_and_its_known_discrepancies(history):
    import csv

    out = history[0].pdf_path.parent
    billed = {c["ticket"]: c for m in history for c in m.truth["charges"]}
    with (out / "caselog-all.csv").open(encoding="utf-8") as handle:
        all_rows = list(csv.DictReader(handle))
    assert list(all_rows[0]) == ["date", "ticket", "cpt_codes", "start_time", "patient", "notes"]
    logged_tickets = {r["ticket"] for r in all_rows}
    truths = {
        m.period: json.loads((out / f"caselog-{m.period}.truth.json").read_text("utf-8"))
        for m in history
    }
    # a mistyped ticket can hit another case's number: only those may shadow a missing case
    typos = {item["logged"] for t in truths.values() for item in t["mistyped_ticket"]}
    found = defaultdict(int)
    for month in history:
        truth = truths[month.period]
        with month.caselog_path.open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == truth["cases_logged"] <= truth["cases_done"]
        assert all(r["date"].startswith(month.period) for r in rows)
        for item in truth["never_billed"]:
            assert item["ticket"] not in billed
            found["never_billed"] += 1
        for item in truth["not_in_log"]:
            assert item["ticket"] not in logged_tickets - typos
            found["not_in_log"] += 1
        by_ticket = {r["ticket"]: r for r in rows}
        for item in truth["wrong_cpt"]:
            assert by_ticket[item["ticket"]]["cpt_codes"].split(",")[0] == item["logged"]
            if item["ticket"] in billed:
                assert billed[item["ticket"]]["cpt_code"] != item["logged"]
            found["wrong_cpt"] += 1
        for item in truth["mistyped_ticket"]:
            assert item["logged"] in by_ticket and item["ticket"] not in by_ticket
            found["mistyped_ticket"] += 1
    assert all(found[k] > 0 for k in ("never_billed", "not_in_log", "wrong_cpt", "mistyped_ticket"))


def test_cli_writes_packets(tmp_path, capsys):
    from data.synthetic.__main__ import main

    assert (
        main(["--months", "2", "--start", "2025-12", "--out", str(tmp_path), "--layout-seed", "5"])
        == 0
    )
    assert len(list(tmp_path.glob("*-731-Compensation_Reports_unlocked.pdf"))) == 2
    assert (tmp_path / "caselog-all.csv").exists()
    assert "wrote 2 packets" in capsys.readouterr().out


def test_layout_options_validate_and_vary():
    variants = {LayoutOptions.random(seed) for seed in range(40)}
    assert {v.font for v in variants} == {"Helvetica", "Courier", "Times-Roman"}
    assert {v.f3_landscape for v in variants} == {True, False}
    assert all(6.0 <= v.font_size <= 8.0 for v in variants)
    with pytest.raises(ValueError):
        LayoutOptions(font="Arial")
    with pytest.raises(ValueError):
        LayoutOptions(font_size=9)


def test_no_charge_line_without_its_pool_page(history):
    for month in history:
        pools = _pools(month)
        for charge in month.truth["charges"]:
            assert charge["sub_pool"] in pools
        assert Path(month.pdf_path).stat().st_size > 10_000
