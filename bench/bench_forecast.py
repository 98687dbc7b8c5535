"""Benchmark: forecast accuracy pooled over generated histories (rolling-origin backtest).

    python bench/bench_forecast.py [--histories 10] [--months 36] [--cache DIR] [--json]

Each history is a different seed of ``data.synthetic.generate_history`` (rates move as a
random walk with January steps, posting lags drift, a pool starts mid-history), imported
through the real ``PacketLoader`` into its own SQLite file; ``--cache`` keeps those files so
a second run skips generation. Prints, pooled over every history and origin: MAPE per
horizon and of the 12-month total for every model, the default model's ratio to the best
baseline, and 80 %/95 % interval coverage. Record the figures in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics.forecasting import (  # noqa: E402
    BASELINES,
    DEFAULT_MODEL,
    MODELS,
    TOTAL,
    Backtest,
    ForecastData,
    backtest,
)
from data.db import make_engine, make_session_factory  # noqa: E402
from data.synthetic import generate_history  # noqa: E402
from data_loader import PacketLoader  # noqa: E402
from setup_app import initialize_database  # noqa: E402


def history_db(folder: Path, seed: int, months: int) -> str:
    """A SQLite file holding ``months`` generated packets of ``seed`` (built once)."""
    db = folder / f"seed{seed}-{months}.db"
    url = f"sqlite:///{db}"
    if db.exists():
        return url
    partial = folder / f"seed{seed}-{months}.partial.db"
    partial.unlink(missing_ok=True)
    generated = generate_history(folder / f"seed{seed}", months=months, seed=seed)
    engine = make_engine(f"sqlite:///{partial}")
    initialize_database(engine)
    loader = PacketLoader(make_session_factory(engine))
    for month in generated:
        result = loader.import_file(month.pdf_path)
        if not result.ok:
            raise RuntimeError(f"seed {seed}: {month.pdf_path.name}: {result.message}")
    engine.dispose()
    partial.rename(db)
    return url


def pooled(urls: list[str], metric: str) -> Backtest:
    """Every history's backtest errors in one list."""
    result = Backtest(metric)
    for url in urls:
        engine = make_engine(url)
        session = make_session_factory(engine)()
        try:
            result.errors.extend(backtest(ForecastData(session), metric).errors)
        finally:
            session.close()
            engine.dispose()
    return result


def report(bt: Backtest) -> dict:
    """MAPE per model and horizon, ratios of the default model to the best baseline,
    and coverage."""
    horizons = [1, 2, 3, 6, 12, TOTAL]
    table = {}
    for model in MODELS:
        table[model] = {
            ("total_12" if h == TOTAL else f"h{h}"): bt.mape(model, h) for h in horizons
        }
        table[model]["coverage_80"] = bt.coverage(model, 0.80)
        table[model]["coverage_95"] = bt.coverage(model, 0.95)
        table[model]["coverage_95_h1_3"] = bt.coverage(model, 0.95, range(1, 4))
    ratios = {}
    for key in table[DEFAULT_MODEL]:
        if key.startswith("coverage"):
            continue
        best = min((table[m][key], m) for m in BASELINES if table[m][key] is not None)
        own = table[DEFAULT_MODEL][key]
        ratios[key] = {"best_baseline": best[1], "ratio": own / best[0] if own else math.nan}
    counts = {
        ("total_12" if h == TOTAL else f"h{h}"): len(bt.of(DEFAULT_MODEL, h)) for h in horizons
    }
    return {"metric": bt.metric, "mape": table, "ratios": ratios, "errors": counts}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--histories", type=int, default=10)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=None, help="keep the databases here")
    parser.add_argument(
        "--metric", action="append", default=None,
        help="pool_pay (default), total_compensation, net_pay; repeatable",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args()
    metrics = args.metric or ["pool_pay"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.cache or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        began = time.perf_counter()
        seeds = range(args.first_seed, args.first_seed + args.histories)
        urls = [history_db(folder, seed, args.months) for seed in seeds]
        built = time.perf_counter() - began
        results = []
        for metric in metrics:
            began = time.perf_counter()
            results.append(report(pooled(urls, metric)))
            results[-1]["seconds"] = time.perf_counter() - began
    if args.json:
        print(json.dumps(results, indent=1))
        return 0
    print(f"{args.histories} histories x {args.months} months (seeds {seeds.start}-"
          f"{seeds.stop - 1}); databases ready in {built:.0f} s")  # fmt: skip
    for result in results:
        print(f"\nmetric {result['metric']}  (backtest {result['seconds']:.1f} s; "
              f"errors per horizon {result['errors']})")  # fmt: skip
        keys = ["h1", "h2", "h3", "h6", "h12", "total_12", "coverage_80", "coverage_95"]
        print(f"{'model':22s} " + " ".join(f"{k:>11s}" for k in keys))
        for model, row in result["mape"].items():
            cells = " ".join(
                f"{100 * row[k]:10.1f}%" if row[k] is not None else f"{'-':>11s}" for k in keys
            )
            print(f"{model:22s} {cells}")
        print("default / best baseline: " + ", ".join(
            f"{k} {v['ratio']:.2f} ({v['best_baseline']})" for k, v in result["ratios"].items()
        ))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
