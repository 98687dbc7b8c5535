"""Benchmark: server time of every page and its .json, on 3, 10 and 30 years of history.

    python bench/bench_pages.py                         # 3, 10, 30 years, 15 runs per URL
    python bench/bench_pages.py --years 30 --runs 30    # one history, more runs
    python bench/bench_pages.py --years 30 --scale 5.2 --runs 5   # 300,000-line stress point
    python bench/bench_pages.py --json out.json         # also write every figure as JSON
    python bench/bench_pages.py --db some.db --runs 3   # any database file
    python bench/bench_pages.py --db some.db --only forecast   # URLs containing "forecast"

The databases come from ``bench/build_history.py`` (built through the real import the
first time). Every GET route of the app is enumerated from its URL map; each gets its
plain URL and typical filters (a month, a search, a sort, the last page, a CPT code), its
``.json`` where it has one, and path arguments filled from the database (the newest
period, a ticket, each chart). A route the script cannot fill is listed as skipped,
never silently dropped. Server time is the wall time of one request through Flask's
test client in this process (routing, queries, rendering; no network). The first request
of each URL is timed apart with every cached figure dropped first ("cold": as right after an
import, see analytics/cache.py) and the rest give p50 and p95.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402

from bench.build_history import HistoryDatabase, history_database  # noqa: E402

#: Routes that download files or change data: measured by bench_scale.py or not at all.
NOT_PAGES = {
    "static",
    "health",
    "backups_download",
    "exports_file",
    "export_data",
    "export_form",
    "exports_template_run",
    "audit_report",
}


@dataclass
class Timing:
    """One URL's timings in milliseconds."""

    endpoint: str
    url: str
    status: int
    cold_ms: float
    p50_ms: float
    p95_ms: float
    max_ms: float
    runs: int


@dataclass
class PageRun:
    """Every URL timed on one database."""

    database: dict
    timings: list[Timing] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def worst(self) -> Timing:
        return max(self.timings, key=lambda t: t.p95_ms)


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[rank]


def _facts(url: str) -> dict:
    """Values to fill path arguments and filters with, read from the database."""
    engine = create_engine(url)
    with engine.connect() as db:
        one = lambda sql: db.execute(text(sql)).scalar()  # noqa: E731
        facts = {
            "period": one("SELECT max(period) FROM packets"),
            "first_period": one("SELECT min(period) FROM packets"),
            "packet_id": one("SELECT id FROM packets ORDER BY period DESC LIMIT 1"),
            "ticket": one("SELECT ticket FROM master_cases ORDER BY date_of_service DESC LIMIT 1"),
            "cpt": one(
                "SELECT cpt_code FROM charge_transactions WHERE cpt_code IS NOT NULL "
                "GROUP BY cpt_code ORDER BY count(*) DESC LIMIT 1"
            ),
            "pool": one("SELECT sub_pool FROM charge_transactions GROUP BY sub_pool LIMIT 1"),
            "lines": one("SELECT count(*) FROM charge_transactions"),
            "cases": one("SELECT count(*) FROM master_cases"),
        }
    engine.dispose()
    return facts


def _month_back(period: str, months: int) -> str:
    year, month = int(period[:4]), int(period[5:7])
    index = year * 12 + month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _q(path: str, **params: object) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def page_urls(app, client, facts: dict) -> tuple[list[tuple[str, str]], list[str]]:  # noqa: ANN001
    """(endpoint, URL) for every GET page with typical filters, and what was skipped."""
    from analytics.analysis import CHART_NAMES

    period, cpt, ticket = facts["period"], facts["cpt"], facts["ticket"]
    year_ago = _month_back(period, 11)
    last_line_page = max(1, -(-facts["lines"] // 50))
    last_case_page = max(1, -(-facts["cases"] // 50))
    table_filters = {
        "tickets": [
            {},
            {"post_month": period},
            {"q": ticket[:4]},
            {"cpt": cpt, "sort": "points", "dir": "desc"},
            {"page": last_line_page},
            {"service_from": f"{year_ago}-01", "per_page": 250},
        ],
        "cases": [
            {},
            {"service_month": period},
            {"q": ticket[:4]},
            {"pool": facts["pool"], "sort": "points", "dir": "desc"},
            {"page": last_case_page},
        ],
        "cpt_codes": [{}, {"post_month": period}, {"service_from": f"{year_ago}-01"}],
        "compensation": [{}, {"from": year_ago, "to": period}],
        "insights": [{}, {"metric": "points", "from": year_ago, "to": period}],
        "forecast": [{}, {"volume": 10, "rate": 2}],  # the base case, and a what-if
    }
    insights_html = client.get("/insights").get_data(as_text=True)
    drill = re.findall(r'href="(/drilldown\?[^"]+)"', insights_html)
    insight_charts = sorted(set(re.findall(r"/insights/([a-z0-9_]+)\.png", insights_html)))
    urls: list[tuple[str, str]] = []
    skipped: list[str] = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        endpoint, args = rule.endpoint, set(rule.arguments)
        if not args:
            for params in table_filters.get(endpoint, [{}]):
                urls.append((endpoint, _q(rule.rule, **params)))
            continue
        if args == {"fmt"}:
            base = rule.rule.split(".<")[0]
            page = base.lstrip("/")
            if endpoint == "drilldown_export":
                urls += [
                    (endpoint, link.replace("/drilldown?", "/drilldown.json?"))
                    for link in drill[:2]
                ]
                continue
            for params in table_filters.get(page, [{}]):
                urls.append((endpoint, _q(f"{base}.json", **params)))
            continue
        if endpoint == "case":
            urls.append((endpoint, f"/cases/{ticket}"))
        elif endpoint == "compensation_month":
            urls += [
                (endpoint, f"/compensation/{period}"),
                (endpoint, f"/compensation/{facts['first_period']}"),
            ]
        elif endpoint == "analysis_chart":
            urls += [(endpoint, f"/analysis/{name}.json") for name in CHART_NAMES]
        elif endpoint == "insights_chart_export":
            urls += [(endpoint, f"/insights/{name}.json") for name in insight_charts]
        elif endpoint == "delete_packet":
            urls.append((endpoint, f"/packets/{facts['packet_id']}/delete"))
        else:
            skipped.append(f"{rule.rule} ({endpoint}): no value to fill {sorted(args)}")
    if drill:
        urls += [("drilldown", link) for link in drill[:2]]
    return [(e, u.replace("&amp;", "&")) for e, u in urls], skipped


def _print(*args: object) -> None:
    print(*args, flush=True)


def bench_database(
    built: HistoryDatabase,
    runs: int,
    log=_print,  # noqa: ANN001
    only: list[str] | None = None,
) -> PageRun:
    """Time every page URL ``runs`` times on one database (with ``only``, just the URLs
    containing one of those strings)."""
    from analytics.cache import clear as clear_cache
    from analytics.cache import settle_heap, unsettle_heap
    from app import create_app

    app = create_app(
        {"DATABASE_URL": built.url, "TESTING": True, "SECRET_KEY": "bench", "DEMO": False}
    )
    client = app.test_client()
    facts = _facts(built.url)
    urls, skipped = page_urls(app, client, facts)
    if only:
        urls = [(e, u) for e, u in urls if any(word in u for word in only)]
    result = PageRun(database=asdict(built), skipped=skipped)
    for endpoint, url in urls:
        times = []
        status = 0
        for run in range(runs + 1):
            if run == 0:
                clear_cache()  # the first request as right after an import: nothing cached
                unsettle_heap()
            began = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - began) * 1000)
            status = response.status_code
            response.close()
            if run == 0:
                settle_heap()  # as the served app's cache warmer leaves the heap
        cold, warm = times[0], times[1:]
        timing = Timing(
            endpoint,
            url,
            status,
            round(cold, 1),
            round(statistics.median(warm), 1),
            round(percentile(warm, 0.95), 1),
            round(max(warm), 1),
            len(warm),
        )
        result.timings.append(timing)
        flag = "" if status == 200 else f"  STATUS {status}"
        log(f"  {timing.p50_ms:8.1f} {timing.p95_ms:8.1f} {timing.cold_ms:8.1f}  {url}{flag}")
    app.extensions["databases"].dispose()
    return result


def _given(path: Path) -> HistoryDatabase:
    """A database file not built by build_history.py, described by what it holds."""
    engine = create_engine(f"sqlite:///{path.resolve()}")
    with engine.connect() as db:
        packets = db.execute(text("SELECT count(*) FROM packets")).scalar()
        lines = db.execute(text("SELECT count(*) FROM charge_transactions")).scalar()
    engine.dispose()
    return HistoryDatabase(path.stem, str(path.resolve()), 0, 0.0, packets, lines, 0.0, 0.0)


def growth_table(runs: list[PageRun]) -> list[str]:
    """Markdown rows: each URL's p95 on every database and the growth first -> last."""
    names = [r.database["name"] for r in runs]
    by_url: dict[str, dict[str, Timing]] = {}
    for run in runs:
        for timing in run.timings:
            by_url.setdefault(timing.url, {})[run.database["name"]] = timing
    lines = [
        "| URL | " + " | ".join(f"{n} p50 / p95 ms" for n in names) + " | growth p95 |",
        "| --- | " + " | ".join("---" for _ in names) + " | --- |",
    ]
    for url, per in by_url.items():
        cells = [f"{per[n].p50_ms:.0f} / {per[n].p95_ms:.0f}" if n in per else "-" for n in names]
        first, last = per.get(names[0]), per.get(names[-1])
        growth = f"{last.p95_ms / first.p95_ms:.1f}x" if first and last and first.p95_ms else "-"
        lines.append(f"| `{url}` | " + " | ".join(cells) + f" | {growth} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="p50/p95 server time of every page and its .json (Flask test client) "
        "on benchmark databases of N years of generated history."
    )
    parser.add_argument("--years", type=int, nargs="+", default=[3, 10, 30])
    parser.add_argument("--scale", type=float, default=1.0, help="cases per month (1)")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per URL (15)")
    parser.add_argument(
        "--db", type=Path, help="time this SQLite file instead (e.g. a copy of a partial build)"
    )
    parser.add_argument("--json", type=Path, help="write every timing to this JSON file")
    parser.add_argument("--markdown", action="store_true", help="print the growth table")
    parser.add_argument(
        "--only", nargs="+", metavar="TEXT", help="time only URLs containing one of these"
    )
    args = parser.parse_args(argv)
    if args.runs < 2:
        parser.error("--runs must be at least 2")
    runs = []
    for years in [0] if args.db else args.years:
        built = _given(args.db) if args.db else history_database(years, args.scale)
        print(
            f"{built.name}: {built.packets} packets, {built.charge_lines:,} lines "
            f"({args.runs} runs; columns: p50 p95 cold, ms)"
        )
        run = bench_database(built, args.runs, only=args.only)
        worst = run.worst()
        print(f"  worst p95: {worst.p95_ms:.1f} ms at {worst.url}")
        for skip in run.skipped:
            print(f"  skipped: {skip}")
        runs.append(run)
    if args.markdown:
        print("\n".join(growth_table(runs)))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in runs], indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
