"""Round trip: generated packets of many layouts, extracted and compared field by field with the
generator's truth. 20 layout seeds x 10 months = 200 packets, generated once per session."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from data.synthetic import LayoutOptions, generate_history
from data_extractor import extract_packet

ROOT = Path(__file__).resolve().parents[1]
SEEDS = range(1, 21)
MONTHS = 10
# Starts spread over the year so that January packets (histories spanning two years), young
# pools and quiet months all come up.
STARTS = ["2022-11", "2023-02", "2023-06", "2023-09", "2024-01"]


def field_diffs(got, want, path: str = "") -> list[str]:
    """Every field where got differs from want (keys only in got are allowed: extras)."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return [f"{path}: got {got!r}, want an object"]
        out = []
        for key, value in want.items():
            if key == "checks":
                continue
            if key not in got:
                out.append(f"{path}.{key}: missing")
                continue
            out += field_diffs(got[key], value, f"{path}.{key}")
        return out
    if isinstance(want, list):
        if not isinstance(got, list):
            return [f"{path}: got {got!r}, want a list"]
        out = [] if len(got) == len(want) else [f"{path}: {len(got)} items, want {len(want)}"]
        for i, (g, w) in enumerate(zip(got, want, strict=False)):
            out += field_diffs(g, w, f"{path}[{i}]")
        return out
    same_kind = isinstance(got, bool) == isinstance(want, bool)
    if got != want or not same_kind or (got is None) != (want is None):
        return [f"{path}: got {got!r}, want {want!r}"]
    return []


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> dict[int, list]:
    root = tmp_path_factory.mktemp("packets")
    return {
        seed: generate_history(
            root / f"seed{seed}",
            months=MONTHS,
            start=STARTS[seed % len(STARTS)],
            seed=seed,
            layout=LayoutOptions.random(seed),
        )
        for seed in SEEDS
    }


@pytest.fixture(scope="session")
def extracted(generated) -> dict[Path, dict]:
    """Each generated packet read once, shared by the tests below."""
    return {m.pdf_path: extract_packet(m.pdf_path) for months in generated.values() for m in months}


@pytest.mark.parametrize("seed", SEEDS)
def test_every_field_equals_truth(generated, extracted, seed):
    problems = []
    for month in generated[seed]:
        packet = extracted[month.pdf_path]
        diffs = field_diffs(packet, month.truth)
        if diffs:
            problems.append(f"{month.pdf_path.name} ({month.period}): " + "; ".join(diffs[:10]))
    assert not problems, f"layout {LayoutOptions.random(seed)}\n" + "\n".join(problems)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_check_passes_on_what_was_read(generated, extracted, seed):
    failed = []
    for month in generated[seed]:
        packet = extracted[month.pdf_path]
        failed += [
            f"{month.period} {c['name']}: {c['detail']}" for c in packet["checks"] if not c["ok"]
        ]
        assert packet["checks"], "a full packet runs the cross-checks"
    assert not failed, "\n".join(failed)


def test_at_least_200_packets_of_varied_layouts(generated):
    packets = [m for months in generated.values() for m in months]
    layouts = {LayoutOptions.random(seed) for seed in SEEDS}
    assert len(packets) >= 200
    assert len({layout.font for layout in layouts}) == 3
    assert {layout.f3_landscape for layout in layouts} == {True, False}
    assert any(m.period.endswith("-01") for m in packets)


def test_cli_prints_the_same_json(generated):
    month = generated[1][0]
    result = subprocess.run(
        [sys.executable, str(ROOT / "data_extractor.py"), str(month.pdf_path), "--json"],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == extract_packet(month.pdf_path)


def test_cli_summary_without_json(generated):
    month = generated[2][0]
    result = subprocess.run(
        [sys.executable, str(ROOT / "data_extractor.py"), str(month.pdf_path)],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"period {month.period}" in result.stdout
    assert "0 failed" in result.stdout


def test_password_protected_packet_reads_with_its_password(tmp_path):
    months = generate_history(tmp_path, months=1, start="2024-03", seed=5, password="pw-731")
    month = months[0]
    packet = extract_packet(month.pdf_path, password="pw-731")
    assert field_diffs(packet, month.truth) == []


def test_two_digit_years_of_the_last_century(tmp_path):
    """F3, F2 and expense dates print two-digit years: a career that began in the 1990s has
    packets whose 12/28/99 is 1999 (and a January 2000 packet holding 1999 services)."""
    months = generate_history(tmp_path, months=3, start="1999-11", seed=2)
    for month in months:
        packet = extract_packet(month.pdf_path)
        assert field_diffs(packet, month.truth) == [], month.period
        assert [c for c in packet["checks"] if not c["ok"]] == [], month.period
    services = {c["date_of_service"][:4] for c in extract_packet(months[-1].pdf_path)["charges"]}
    assert "1999" in services and services <= {"1999", "2000"}


def test_three_default_years_with_every_edge_case(tmp_path):
    """The generator's defaults put every edge case in 36 months: a month with no F3 lines,
    new pools with fewer than five months in Section 2, the medical-unit multiplier change,
    January packets, two-page expense reports."""
    months = generate_history(tmp_path, months=36, start="2023-01", seed=1)
    packets = [extract_packet(m.pdf_path) for m in months]
    problems = [
        f"{m.period}: " + "; ".join(field_diffs(p, m.truth)[:10])
        for m, p in zip(months, packets, strict=True)
        if field_diffs(p, m.truth)
    ]
    assert not problems, "\n".join(problems)
    assert any(p["charges"] == [] and p["charge_totals"]["anes_time_min"] == 0 for p in packets)
    young = [pool for p in packets for pool in p["pools"] if 0 < len(pool["adjusted"]) < 5]
    assert young, "a pool in its first months"
    multipliers = {pool["multipliers"]["med_base"] for p in packets for pool in p["pools"]}
    assert {0.5, 0.6} <= multipliers
    assert sum(m.period.endswith("-01") for m in months) == 3
    assert all(c["ok"] for p in packets for c in p["checks"])


EXTREME_LAYOUTS = [
    # (font, size, landscape F3, column shift, column scale, F3 rows/page, expense rows, offset)
    ("Courier", 8.0, True, 6.0, 1.03, 8, 5, (3.0, -1.5)),
    ("Courier", 6.0, False, -4.0, 0.97, 9, 6, (0.2, 0.0)),
    ("Times-Roman", 8.0, False, 6.0, 1.03, 60, 40, (2.5, 1.0)),
    ("Helvetica", 8.0, False, -4.0, 0.97, 12, 8, (1.5, -0.8)),
    ("Times-Roman", 6.0, True, -4.0, 1.03, 10, 6, (4.0, -2.0)),
]


@pytest.mark.parametrize("index", range(len(EXTREME_LAYOUTS)))
def test_extreme_layouts(tmp_path, index):
    """The corners of the layout space: cramped portrait pages where the Note letter touches
    the ticket number, page breaks every few lines, a `Period:` drawn twice far apart."""
    font, size, landscape, shift, scale, rows, expense_rows, offset = EXTREME_LAYOUTS[index]
    layout = LayoutOptions(
        font=font, font_size=size, f3_landscape=landscape, column_shift=shift,
        column_scale=scale, f3_rows_per_page=rows, expense_rows_per_page=expense_rows,
        period_offset=offset,
    )  # fmt: skip
    months = generate_history(tmp_path, months=3, start="2023-11", seed=100 + index, layout=layout)
    for month in months:
        packet = extract_packet(month.pdf_path)
        assert field_diffs(packet, month.truth) == [], f"{layout} {month.period}"
        assert all(c["ok"] for c in packet["checks"])
