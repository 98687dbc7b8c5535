"""Benchmark: backup, verify and restore of the demo database (36 generated months).

    python bench/bench_backup.py [--repeat 5]

Builds the demo database in a temporary folder (~10 s), then times ``create_backup``
(gzip and plain), ``verify`` and ``restore_backup`` (which includes its own verification
and the restore point), and ``backup_before`` (what a delete or bulk import waits for).
Record the figures in docs/benchmarks.md ("Backup").
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data.backup import DatabaseBackup, backup_before  # noqa: E402
from setup_app import build_demo  # noqa: E402


def _timed(repeat: int, action: Callable[[], object]) -> list[float]:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/demo.db"
        build_demo(url, packets_dir=Path(tmp) / "packets")
        store = DatabaseBackup(url, Path(tmp) / "backups")
        size = store.database.stat().st_size
        gz = store.create_backup(None)
        plain = store.create_backup(None, compress=False)
        rows = {
            "create_backup, gzip": _timed(args.repeat, lambda: store.create_backup(None)),
            "create_backup, no gzip": _timed(
                args.repeat, lambda: store.create_backup(None, compress=False)
            ),
            "verify (gzip)": _timed(args.repeat, lambda: store.verify(gz)),
            "restore_backup (gzip; verify + restore point + swap)": _timed(
                args.repeat, lambda: store.restore_backup(gz)
            ),
            "backup_before (backup + retention)": _timed(
                args.repeat, lambda: backup_before("bench", url, Path(tmp) / "auto")
            ),
        }
        print(
            f"demo database {size / 1e6:.1f} MB; backup {gz.stat().st_size / 1e6:.1f} MB "
            f"gzipped, {plain.stat().st_size / 1e6:.1f} MB plain"
        )
        for name, times in rows.items():
            print(
                f"{name}: median {statistics.median(times):.3f} s "
                f"(min {min(times):.3f}, max {max(times):.3f}, {len(times)} runs)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
