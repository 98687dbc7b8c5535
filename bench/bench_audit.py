"""Benchmark: the billing audit over 36 months of packets and the whole case log.

    python bench/bench_audit.py [--months 36] [--repeat 5]

Builds the demo database (generate + import, once) in a temp folder, then times: reading
the generated caselog-all.csv, storing its rows, and the full audit with matches saved
(what the upload on /audit does; the page it opens then reuses that report), the audit
alone with nothing kept (a page view right after an import: analytics.cache cleared) and
once more (a later view: the report is kept). Record the figures in docs/benchmarks.md
("Billing audit").
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics.audit import BillingAudit  # noqa: E402
from analytics.cache import clear as clear_cache  # noqa: E402
from analytics.caselog import parse_case_log  # noqa: E402
from data.db import make_engine, make_session_factory, session_scope  # noqa: E402
from setup_app import build_demo  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/demo.db"
        build_demo(url, packets_dir=Path(tmp) / "p", months=args.months)
        data = (Path(tmp) / "p" / "caselog-all.csv").read_bytes()
        factory = make_session_factory(make_engine(url))
        parse_times, upload_times, view_times, kept_times = [], [], [], []
        rows = findings = 0
        for _ in range(args.repeat):
            began = time.perf_counter()
            parsed = parse_case_log(data, "caselog-all.csv")
            parse_times.append(time.perf_counter() - began)
            rows = len(parsed.rows)
            began = time.perf_counter()
            with session_scope(factory) as session:
                audit = BillingAudit(session)
                audit.clear_log()
                audit.store_log(parsed)
                audit.generate_audit_report(save_matches=True)
            upload_times.append(time.perf_counter() - began)
            clear_cache()
            began = time.perf_counter()
            with session_scope(factory) as session:
                findings = len(BillingAudit(session).generate_audit_report().findings)
            view_times.append(time.perf_counter() - began)
            began = time.perf_counter()
            with session_scope(factory) as session:
                BillingAudit(session).generate_audit_report()
            kept_times.append(time.perf_counter() - began)
    print(f"case log: {rows} rows, {len(data) / 1024:.0f} KiB; {findings} findings")
    for name, times in (
        ("parse", parse_times),
        ("store + audit + save matches", upload_times),
        ("audit, nothing kept (a page view after an import)", view_times),
        ("audit again (a later page view: kept)", kept_times),
    ):
        print(
            f"{name}: median {statistics.median(times):.3f} s "
            f"(min {min(times):.3f}, max {max(times):.3f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
