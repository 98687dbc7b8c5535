"""Pages per second of `extract_packet` on synthetic packets, checked field by field.

Run from the repository root:

    python bench/bench_extraction.py                 # pypdfium2 extractor, 12-page packets
    python bench/bench_extraction.py --pdfplumber    # also time pdfplumber's words on the same
    python bench/bench_extraction.py --record        # write the figures to docs/benchmarks.md

It generates a year of packets with the default layout (data.synthetic), keeps those of exactly
12 pages (the size the issue measures on), extracts each one `--repeat` times and reports the
median pages/s. A figure only counts when every field equals the generator's truth, so the
script also compares each extraction with its truth and fails loudly if one differs.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pypdfium2 as pdfium  # noqa: E402

from data.synthetic import LayoutOptions, generate_history  # noqa: E402
from data_extractor import extract_packet  # noqa: E402

SECTION_TITLE = "## Extraction"


def _page_count(path: Path) -> int:
    document = pdfium.PdfDocument(str(path))
    try:
        return len(document)
    finally:
        document.close()


def _equal_to_truth(packet: dict, truth: dict) -> bool:
    return all(packet.get(key) == value for key, value in truth.items() if key != "checks")


def _time(function, path: Path, repeat: int) -> float:
    """Median seconds of one call over `repeat` runs (one warm-up run first)."""
    function(path)
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        function(path)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def _pdfplumber_words(path: Path) -> None:
    import pdfplumber

    with pdfplumber.open(str(path)) as pdf:
        for page in pdf.pages:
            page.extract_words()


def run(pages: int, repeat: int, with_pdfplumber: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        months = generate_history(Path(tmp), months=24, start="2023-01", seed=1,
                                  layout=LayoutOptions())  # fmt: skip
        chosen = [m for m in months if _page_count(m.pdf_path) == pages]
        if not chosen:
            sizes = sorted({_page_count(m.pdf_path) for m in months})
            raise SystemExit(f"no generated packet has {pages} pages (sizes: {sizes})")
        rates, plumber_rates = [], []
        for month in chosen:
            packet = extract_packet(month.pdf_path)
            if not _equal_to_truth(packet, month.truth):
                raise SystemExit(f"{month.pdf_path.name}: extraction differs from truth")
            rates.append(pages / _time(extract_packet, month.pdf_path, repeat))
            if with_pdfplumber:
                plumber_rates.append(pages / _time(_pdfplumber_words, month.pdf_path, 1))
    return {
        "packets": len(chosen),
        "pages": pages,
        "pages_per_s": statistics.median(rates),
        "slowest": min(rates),
        "pdfplumber": statistics.median(plumber_rates) if plumber_rates else None,
    }


def _section(result: dict, command: str) -> str:
    lines = [
        SECTION_TITLE,
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {platform.machine()} with "
        f"{os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f} at the end: other "
        f"jobs share the machine), Python {platform.python_version()}, pypdfium2 "
        f"{pdfium.PYPDFIUM_INFO}, with `{command}`.",
        "",
        "| what | pages/s |",
        "| --- | --- |",
        f"| `extract_packet`, {result['pages']}-page packets ({result['packets']} of them), "
        f"median | {result['pages_per_s']:.0f} |",
        f"| `extract_packet`, slowest of those packets | {result['slowest']:.0f} |",
    ]
    if result["pdfplumber"] is not None:
        lines.append(
            f"| pdfplumber `extract_words` alone on the same packets | {result['pdfplumber']:.1f} |"
        )
    lines += [
        "",
        "Every packet timed was first checked field by field against the generator's truth. "
        "The cost is pdfium's text page plus one loose-box and one text-object call per "
        "character (see docs/extraction.md); the goal is at least 80 pages/s.",
        "",
    ]
    return "\n".join(lines)


def record(section: str, path: Path) -> None:
    """Replace (or add) only the Extraction section of docs/benchmarks.md."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    pattern = re.compile(rf"^{re.escape(SECTION_TITLE)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(section.replace("\\", "\\\\") + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=12, help="packet size to time (12)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per packet (5)")
    parser.add_argument("--pdfplumber", action="store_true", help="also time pdfplumber")
    parser.add_argument("--record", action="store_true", help="write docs/benchmarks.md")
    args = parser.parse_args()
    result = run(args.pages, args.repeat, args.pdfplumber)
    print(
        f"{result['packets']} packets of {result['pages']} pages: "
        f"{result['pages_per_s']:.0f} pages/s median, {result['slowest']:.0f} slowest"
    )
    if result["pdfplumber"] is not None:
        print(f"pdfplumber extract_words: {result['pdfplumber']:.1f} pages/s")
    if args.record:
        command = "python bench/bench_extraction.py " + " ".join(sys.argv[1:])
        record(_section(result, command.strip()), ROOT / "docs" / "benchmarks.md")
        print("recorded in docs/benchmarks.md")


if __name__ == "__main__":
    main()
