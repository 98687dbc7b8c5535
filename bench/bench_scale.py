"""Benchmark: what grows with the history: import, export, backup/restore, forecast, audit.

    python bench/bench_scale.py                      # 3, 10 and 30 years
    python bench/bench_scale.py --years 30 --only export-xlsx backup
    python bench/bench_scale.py --extraction --demo  # also extraction pages/s, demo build

Every task runs in a fresh child process on the cached database of
``bench/build_history.py`` (a copy where the task writes), and reports its wall time, the
CPU seconds it used (on a shared machine wall time grows with the load, CPU time much less)
and its peak resident memory (``VmHWM`` of the whole child, Python included). Import
figures come from building the databases (``bench/.cache/*.json``). Tasks:

- ``export-xlsx`` / ``export-csv``: every charge line (``transactions``) through
  ``exports.service.build_export`` and ``exports.templates.write_export``;
  ``export-xlsx-45k``: the newest whole posting months holding at most 45,000 lines;
- ``backup`` / ``restore``: ``DatabaseBackup.create_backup`` (gzip, integrity check,
  checksum) and ``restore_backup`` of that file over a copy of the database;
- ``forecast``: ``analytics.forecasting.year_end_projection`` (what Insights shows) and a
  12-month ``IncomeForecast`` of total compensation with the default model;
- ``audit``: ``BillingAudit.generate_audit_report`` with no case log (what the first view
  of /audit after an import computes: the latest 12 posted months, against the 24 months
  before them).

``--extraction`` times ``extract_packet`` over 12 freshly generated packets (pages/s);
``--demo`` times ``setup_app.build_demo`` (generate 36 months + extract + import).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.build_history import history_database  # noqa: E402

TASKS = ("export-xlsx", "export-xlsx-45k", "export-csv", "backup", "restore", "forecast", "audit")


def _usage() -> tuple[float, float]:
    """CPU seconds so far and peak resident MB of this process. The peak is Linux's
    ``VmHWM`` (reset by exec; ``ru_maxrss`` would carry the parent's size into a child)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = usage.ru_maxrss / 1024
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    return usage.ru_utime + usage.ru_stime, peak


def _newest_months(session, lines: int) -> str | None:  # noqa: ANN001
    """The first posting month from which at most ``lines`` charge lines were posted."""
    from sqlalchemy import text

    months = session.execute(
        text(
            "SELECT strftime('%Y-%m', date_of_post) AS m, count(*) FROM charge_transactions "
            "GROUP BY m ORDER BY m DESC"
        )
    ).all()
    total, start = 0, None
    for month, count in months:
        if total + count > lines:
            break
        total, start = total + count, month
    return start


def _export(url: str, fmt: str, folder: Path, lines: int | None = None) -> dict:
    from data.db import make_engine, make_session_factory
    from exports.service import DateRange, ExportRequest, build_export
    from exports.templates import write_export

    engine = make_engine(url)
    session = make_session_factory(engine)()
    request = ExportRequest()
    if lines is not None:
        request = ExportRequest(date_range=DateRange(_newest_months(session, lines), None))
    data = build_export(session, "transactions", request)
    path = write_export(data, fmt, folder / data.file_name(fmt))
    rows = len(data.main.rows)
    return {"rows": rows, "bytes": path.stat().st_size}


def _backup(url: str, folder: Path, restore: bool) -> dict:
    from data.backup import DatabaseBackup

    store = DatabaseBackup(url, folder / "backups")
    if not restore:
        path = store.create_backup(folder / "backups", compress=True, reason="bench")
        return {"bytes": path.stat().st_size}
    made = sorted((folder / "backups").glob("*.db*"))
    backup = next(p for p in made if not p.name.endswith(".sha256"))
    store.restore_backup(backup)
    return {"bytes": backup.stat().st_size}


def _forecast(url: str) -> dict:
    from analytics.forecasting import ForecastData, IncomeForecast, year_end_projection
    from data.db import make_engine, make_session_factory

    session = make_session_factory(make_engine(url))()
    year_end_projection(session)
    forecast = IncomeForecast(session, "total_compensation", data=ForecastData(session))
    return {"model": forecast.forecast(12).model}


def _audit(url: str) -> dict:
    from analytics.audit import BillingAudit
    from data.db import make_engine, make_session_factory

    session = make_session_factory(make_engine(url))()
    report = BillingAudit(session).generate_audit_report()
    return {"billed_cases": report.billed_cases, "findings": len(report.findings)}


def child(task: str, db: Path, folder: Path) -> dict:
    """Run one task in this (fresh) process; the database is already where it may be
    written (a copy for backup and restore)."""
    url = f"sqlite:///{db}"
    began = time.perf_counter()
    cpu_before, _ = _usage()
    if task == "export-xlsx-45k":
        extra = _export(url, "excel", folder, lines=45_000)
    elif task.startswith("export-"):
        extra = _export(url, {"export-xlsx": "excel", "export-csv": "csv"}[task], folder)
    elif task in ("backup", "restore"):
        if task == "restore":
            _backup(url, folder, restore=False)
            began = time.perf_counter()
            cpu_before, _ = _usage()
        extra = _backup(url, folder, restore=task == "restore")
    elif task == "forecast":
        extra = _forecast(url)
    elif task == "audit":
        extra = _audit(url)
    else:
        raise SystemExit(f"unknown task {task}")
    cpu_after, peak = _usage()
    return {
        "task": task,
        "seconds": round(time.perf_counter() - began, 2),
        "cpu_seconds": round(cpu_after - cpu_before, 2),
        "peak_mb": round(peak, 1),
        **extra,
    }


def run_task(task: str, db: Path) -> dict:
    """``task`` in a fresh child process on a private copy of ``db``."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / db.name
        shutil.copy(db, copy)
        done = subprocess.run(
            [sys.executable, __file__, "--child", task, "--db", str(copy), "--tmp", tmp],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"task": task, "error": last[:200]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def extraction_rate(packets: int = 12) -> dict:
    """Pages per second of ``extract_packet`` over freshly generated packets."""
    import pypdfium2

    from data.extraction.packet import extract_packet
    from data.synthetic import generate_history

    with tempfile.TemporaryDirectory() as tmp:
        months = generate_history(Path(tmp), months=packets, start="2025-01", seed=3)
        pages = sum(len(pypdfium2.PdfDocument(str(m.pdf_path))) for m in months)
        began = time.perf_counter()
        cpu_before, _ = _usage()
        for month in months:
            extract_packet(month.pdf_path)
        seconds = time.perf_counter() - began
        cpu = _usage()[0] - cpu_before
    return {
        "packets": packets,
        "pages": pages,
        "seconds": round(seconds, 2),
        "pages_per_s": round(pages / seconds, 1),
        "pages_per_cpu_s": round(pages / cpu, 1) if cpu else None,
    }


def demo_build() -> dict:
    """``setup_app.build_demo`` into a fresh file: generate 36 months, extract, import."""
    from setup_app import build_demo

    with tempfile.TemporaryDirectory() as tmp:
        cpu_before, _ = _usage()
        built = build_demo(f"sqlite:///{tmp}/demo.db", packets_dir=Path(tmp) / "p", months=36)
        cpu = _usage()[0] - cpu_before
    return {"packets": built.packets, "seconds": round(built.seconds, 2), "cpu_seconds": cpu}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Import, export, backup/restore, forecast and audit times on benchmark "
        "databases of N years of generated history (bench/build_history.py)."
    )
    parser.add_argument("--years", type=int, nargs="+", default=[3, 10, 30])
    parser.add_argument("--scale", type=float, default=1.0, help="cases per month (1)")
    parser.add_argument("--only", nargs="+", choices=TASKS, help="these tasks only")
    parser.add_argument("--extraction", action="store_true", help="also extraction pages/s")
    parser.add_argument("--demo", action="store_true", help="also the 36-month demo build")
    parser.add_argument("--json", type=Path, help="write every figure to this JSON file")
    parser.add_argument("--child", choices=TASKS, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--tmp", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.db, args.tmp)))
        return 0
    results: dict = {"databases": []}
    if args.extraction:
        results["extraction"] = extraction_rate()
        print(f"extraction: {results['extraction']}", flush=True)
    if args.demo:
        results["demo"] = demo_build()
        print(f"demo build: {results['demo']}", flush=True)
    for years in args.years:
        built = history_database(years, args.scale)
        entry = {
            "name": built.name,
            "packets": built.packets,
            "charge_lines": built.charge_lines,
            "import_seconds": built.import_seconds,
            "import_packets_per_s": round(built.packets_per_second, 2),
            "tasks": [],
        }
        print(
            f"{built.name}: {built.packets} packets, {built.charge_lines:,} lines; import "
            f"{built.import_seconds:.0f} s ({built.packets_per_second:.2f} packets/s)",
            flush=True,
        )
        for task in args.only or TASKS:
            figure = run_task(task, Path(built.path))
            entry["tasks"].append(figure)
            print(f"  {json.dumps(figure)}", flush=True)
        results["databases"].append(entry)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
