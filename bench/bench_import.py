"""Benchmark: the demo import — generate N months and import them through the real path.

    python bench/bench_import.py [--months 36] [--repeat 3]

Prints the seconds for generation + extraction + import into a fresh SQLite file (what
``setup_app.py --demo`` does), and the import alone per packet. Record the figures in
docs/benchmarks.md ("Import").
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data.db import make_engine, make_session_factory  # noqa: E402
from data.synthetic import generate_history  # noqa: E402
from data_loader import PacketLoader  # noqa: E402
from setup_app import build_demo, initialize_database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    demo_times, import_times = [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            result = build_demo(
                f"sqlite:///{tmp}/demo.db", packets_dir=Path(tmp) / "p", months=args.months
            )
            demo_times.append(result.seconds)
        with tempfile.TemporaryDirectory() as tmp:
            months = generate_history(Path(tmp) / "p", months=args.months)
            engine = make_engine(f"sqlite:///{tmp}/import.db")
            initialize_database(engine)
            loader = PacketLoader(make_session_factory(engine))
            began = time.perf_counter()
            for month in months:
                assert loader.import_file(month.pdf_path).ok
            import_times.append(time.perf_counter() - began)
            engine.dispose()
    demo = statistics.median(demo_times)
    imp = statistics.median(import_times)
    print(
        f"demo build ({args.months} months, generate+extract+import): median {demo:.2f} s "
        f"(runs: {', '.join(f'{t:.2f}' for t in demo_times)})"
    )
    print(
        f"import only (extract+load+group+checks): median {imp:.2f} s, "
        f"{args.months / imp:.1f} packets/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
