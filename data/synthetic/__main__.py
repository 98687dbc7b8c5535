"""CLI: python -m data.synthetic --months 36 --start 2023-01 --seed 1 --out DIR."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from data.synthetic import LayoutOptions, generate_history


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m data.synthetic",
        description="Write synthetic monthly compensation packets (PDF + truth JSON) and the "
        "physician's case logs for a simulated anesthesia practice. Only made-up names.",
    )
    parser.add_argument("--months", type=int, default=36, help="pay periods to write (36)")
    parser.add_argument("--start", default="2023-01", help="first pay period, YYYY-MM (2023-01)")
    parser.add_argument("--seed", type=int, default=1, help="practice seed (1)")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument(
        "--layout-seed",
        type=int,
        default=None,
        help="draw a random valid report-writer layout from this seed (default: the common one)",
    )
    parser.add_argument(
        "--password", default=None, help="encrypt the PDFs with this password (as originals are)"
    )
    args = parser.parse_args(argv)
    layout = LayoutOptions.random(args.layout_seed) if args.layout_seed is not None else None
    began = time.perf_counter()
    months = generate_history(
        args.out, args.months, args.start, args.seed, layout=layout, password=args.password
    )
    failed = [(m.period, c["name"]) for m in months for c in m.truth["checks"] if not c["ok"]]
    elapsed = time.perf_counter() - began
    print(f"wrote {len(months)} packets to {args.out} in {elapsed:.1f} s")
    for period, name in failed:
        print(f"cross-check failed: {period} {name}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
