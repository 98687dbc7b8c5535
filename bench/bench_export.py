"""Benchmark: 45,000 charge lines exported to Excel — seconds and peak memory.

    python bench/bench_export.py [--db PATH] [--scale 7.8] [--repeat 3]

Builds the data the real way (the generator writes 36 months of packets with the case
volume scaled up, and PacketLoader imports them: ~45,300 F3 lines), unless --db names a
database built before (it is kept at --db when given). Each run is a fresh process that
asks the analytics layer for every line (tickets_table, all rows), writes the workbook
(Summary, the lines sheet, Charts with a native chart) and reports its wall time and peak
resident memory (ru_maxrss, the whole process), and the CPU seconds it used (on a shared
machine wall time grows with the load; CPU time much less). Record the figures in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ONE_RUN = """
import json, resource, sys, time
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
began = time.perf_counter()
from data.db import make_engine, make_session_factory
from exports.excel_exporter import ExcelExporter
from exports.service import ExportRequest, build_export
imported = time.perf_counter()
cpu_began = cpu()
session = make_session_factory(make_engine(sys.argv[1]))()
data = build_export(session, "transactions", ExportRequest())
fetched = time.perf_counter()
ExcelExporter().export(data, sys.argv[2])
done = time.perf_counter()
print(json.dumps({"lines": len(data.main.rows), "fetch": fetched - imported,
                  "write": done - fetched, "export": done - imported, "cpu": cpu() - cpu_began,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def build(db: Path, scale: float) -> int:
    """36 generated months at ``scale`` times the case volume, imported; returns lines."""
    from data.db import make_engine, make_session_factory
    from data.synthetic import generate_history
    from data.synthetic.practice import PracticeParams
    from data_loader import PacketLoader
    from setup_app import initialize_database

    with tempfile.TemporaryDirectory() as folder:
        months = generate_history(Path(folder), months=36, params=PracticeParams(cases_scale=scale))
        engine = make_engine(f"sqlite:///{db}")
        initialize_database(engine)
        loader = PacketLoader(make_session_factory(engine))
        lines = 0
        for month in months:
            result = loader.import_file(month.pdf_path)
            assert result.ok, result.message
            lines += result.charge_lines
        engine.dispose()
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="database to reuse or to build and keep")
    parser.add_argument("--scale", type=float, default=7.8, help="case volume factor")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = args.db or Path(folder) / "bench.db"
        if not db.exists():
            began = time.perf_counter()
            lines = build(db, args.scale)
            print(f"built {db}: {lines:,} lines in {time.perf_counter() - began:.0f} s")
        runs = []
        for _ in range(args.repeat):
            out = Path(folder) / "lines.xlsx"
            result = subprocess.run(
                [sys.executable, "-c", ONE_RUN, f"sqlite:///{db}", str(out)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            run = json.loads(result.stdout)
            run["size_mb"] = out.stat().st_size / 1e6
            runs.append(run)
    median = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    each = ", ".join(f"{r['export']:.2f}" for r in runs)
    print(
        f"{median['lines']:,.0f} lines to Excel: median {median['export']:.2f} s "
        f"(fetch {median['fetch']:.2f} s + write {median['write']:.2f} s; "
        f"CPU {median['cpu']:.2f} s), "
        f"peak memory {median['peak_mb']:.0f} MB, file {median['size_mb']:.1f} MB "
        f"(runs: {each})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
