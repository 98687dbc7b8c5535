"""Time the synthetic packet generator: 36 months, default and random layouts.

Run: python bench/bench_generator.py [--runs 3]. Figures go in docs/benchmarks.md ("Generator").
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pypdfium2

from data.synthetic import LayoutOptions, generate_history


def time_history(layout: LayoutOptions | None, runs: int) -> list[float]:
    """Wall-clock seconds of generate_history(36 months) per run, into a fresh directory."""
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            began = time.perf_counter()
            months = generate_history(Path(tmp), months=36, seed=1, layout=layout)
            times.append(time.perf_counter() - began)
            assert all(c["ok"] for m in months for c in m.truth["checks"])
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        months = generate_history(Path(tmp), months=36, seed=1)
        pages = sum(len(pypdfium2.PdfDocument(str(m.pdf_path))) for m in months)
        lines = sum(len(m.truth["charges"]) for m in months)
        size = sum(m.pdf_path.stat().st_size for m in months)
    print(f"36 months: {lines} F3 lines, {size / 1e6:.1f} MB of PDF, ~{pages} pages")
    for name, layout in (
        ("default layout", None),
        ("layout seed 9 (Courier)", LayoutOptions.random(9)),
        ("layout seed 11 (portrait)", LayoutOptions.random(11)),
    ):
        times = time_history(layout, args.runs)
        print(
            f"{name}: median {statistics.median(times):.2f} s, "
            f"min {min(times):.2f} s, max {max(times):.2f} s over {args.runs} runs"
        )


if __name__ == "__main__":
    main()
