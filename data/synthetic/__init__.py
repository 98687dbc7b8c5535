"""Synthetic monthly compensation packets from a simulated anesthesia practice.

We never use real packets (they hold patient data), so demo data, tests and benchmarks all come
from here: per month the packet PDF in the real layout, its truth in the extraction contract,
and the physician's own case log. See docs/synthetic-packets.md.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from data.synthetic.caselog import write_caselogs
from data.synthetic.layout import LayoutOptions
from data.synthetic.packet import build_truth, file_stem
from data.synthetic.pay import build_ledger
from data.synthetic.payroll import build_pay
from data.synthetic.practice import PracticeParams, simulate
from data.synthetic.render import render_packet
from data_extractor import compute_checks

__all__ = ["GeneratedMonth", "LayoutOptions", "PracticeParams", "generate_history"]


@dataclass(frozen=True)
class GeneratedMonth:
    """The files written for one pay period, and its truth dict."""

    period: str
    pdf_path: Path
    truth_path: Path
    caselog_path: Path
    truth: dict


def generate_history(
    out_dir: Path,
    months: int = 36,
    start: str = "2023-01",
    seed: int = 1,
    layout: LayoutOptions | None = None,
    password: str | None = None,
    params: PracticeParams | None = None,
) -> list[GeneratedMonth]:
    """Simulate one physician for `months` pay periods from `start` and write every file.

    Deterministic for (months, start, seed, layout, password, params). A password gives
    encrypted packets named like the originals (without `_unlocked`).
    """
    if months < 1:
        raise ValueError("months must be at least 1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    layout = layout or LayoutOptions()
    practice = simulate(start, months, seed, params)
    ledger = build_ledger(practice, seed)
    pays = build_pay(practice, ledger, seed)
    periods = practice.months[-months:]
    caselogs = write_caselogs(out_dir, practice.cases, periods)
    by_seq = {case.seq: case for case in practice.cases}
    generated = []
    for month in periods:
        pay = pays[month]
        truth = build_truth(practice, ledger, pay, month, by_seq)
        stem = file_stem(month, locked=password is not None)
        pdf_path = out_dir / f"{stem}.pdf"
        categories = [item.category for item in pay.expenses]
        render_packet(pdf_path, truth, layout, password, categories)
        truth["source_file"] = pdf_path.name
        truth["sha256"] = hashlib.sha256(pdf_path.read_bytes()).hexdigest()
        truth["checks"] = compute_checks(truth)
        truth_path = out_dir / f"{stem}.truth.json"
        truth_path.write_text(json.dumps(truth, indent=1, ensure_ascii=False), encoding="utf-8")
        generated.append(GeneratedMonth(month, pdf_path, truth_path, caselogs[month], truth))
    return generated
