"""Income forecast from the command line: the next twelve months with 80 %/95 % intervals,
and how well every model has forecast this database's own history.

    python cli_tools/forecast.py                      # the forecast of pool pay
    python cli_tools/forecast.py --metric net_pay     # or total_compensation, pool:UTCS
    python cli_tools/forecast.py --backtest           # rolling-origin MAPE and coverage
    python cli_tools/forecast.py --backtest --json    # the same as JSON
    python cli_tools/forecast.py --save               # keep this forecast for accuracy tracking
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics.forecasting import (  # noqa: E402
    MAX_HORIZON,
    METRICS,
    MODELS,
    Assumptions,
    IncomeForecast,
    record_actuals,
)
from data.db import (  # noqa: E402
    default_database_url,
    make_engine,
    make_session_factory,
    session_scope,  # noqa: E402
)
from setup_app import initialize_database  # noqa: E402


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def forecast_payload(engine: IncomeForecast, with_backtest: bool) -> dict[str, Any]:
    """What the command prints, as plain data (the --json output)."""
    forecast = engine.forecast(MAX_HORIZON)
    payload: dict[str, Any] = {
        "metric": engine.metric,
        "assumptions": engine.assumptions.describe(),
        "forecast": forecast.to_dict(),
        "totals": [
            {
                "months": t.months,
                "value": t.value,
                "lower_95": t.lower_95,
                "upper_95": t.upper_95,
                "method": t.method,
            }
            for t in engine.totals(forecast)
        ],  # fmt: skip
    }
    if with_backtest:
        bt = engine.backtest()
        payload["backtest"] = bt.summary()
        payload["backtest_origins"] = len({e.origin for e in bt.errors})
    return payload


def print_text(payload: dict[str, Any]) -> None:
    forecast = payload["forecast"]
    print(f"{METRICS.get(payload['metric'], payload['metric'])} from {forecast['origin']}: "
          f"{forecast['label']} ({payload['assumptions']})")  # fmt: skip
    if forecast["note"]:
        print(forecast["note"])
    print(f"{'month':8s} {'forecast':>11s} {'80% low':>11s} {'80% high':>11s} "
          f"{'95% low':>11s} {'95% high':>11s}  interval")  # fmt: skip
    for i, month in enumerate(forecast["months"]):
        print(
            f"{month:8s} {_money(forecast['values'][i]):>11s} "
            f"{_money(forecast['lower_80'][i]):>11s} {_money(forecast['upper_80'][i]):>11s} "
            f"{_money(forecast['lower_95'][i]):>11s} {_money(forecast['upper_95'][i]):>11s}  "
            f"{forecast['interval_method'][i]}"
        )
    for total in payload["totals"]:
        print(f"next {total['months']:2d} months: {_money(total['value'])} "
              f"(95%: {_money(total['lower_95'])} to {_money(total['upper_95'])}, "
              f"{total['method']})")  # fmt: skip
    if "backtest" not in payload:
        return
    print(f"\nRolling-origin backtest on this database ({payload['backtest_origins']} origins): "
          "MAPE by months ahead, of the 12-month total, and interval coverage")  # fmt: skip
    keys = ["h1", "h2", "h3", "h6", "h12", "total_12", "coverage_80", "coverage_95"]
    print(f"{'model':22s} " + " ".join(f"{k:>11s}" for k in keys))
    for row in payload["backtest"]:
        print(f"{row['model']:22s} " + " ".join(f"{_pct(row[k]):>11s}" for k in keys))
    print("total_12: the sum of the next twelve months (a pool pays exactly R over twelve)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Forecast pay for the next twelve months from the imported packets "
        "(the F2 payout schedule run forward), with intervals from the model's own "
        "backtest errors.",
        epilog=f"Models: {', '.join(MODELS)}.",
    )
    parser.add_argument(
        "--metric",
        default="pool_pay",
        help="pool_pay (default), total_compensation, net_pay, or pool:CODE for one pool",
    )
    parser.add_argument(
        "--backtest",
        action="store_true",
        help="also score every model by a rolling-origin backtest on this database",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--save",
        action="store_true",
        help="keep this forecast (and fill in actuals of earlier ones) for accuracy tracking",
    )
    parser.add_argument("--volume", type=float, default=0.0, help="what-if: case volume, %%")
    parser.add_argument("--rate", type=float, default=0.0, help="what-if: $/point rate, %%")
    parser.add_argument(
        "--database-url",
        default=None,
        help="database (default: DATABASE_URL, else instance/compensation.db)",
    )
    args = parser.parse_args(argv)
    if not -90 <= args.volume <= 200 or not -50 <= args.rate <= 100:
        parser.error("--volume must be between -90 and 200, --rate between -50 and 100")
    engine_db = make_engine(args.database_url or default_database_url())
    try:
        initialize_database(engine_db)
        factory = make_session_factory(engine_db)
        with session_scope(factory) as session:
            assumptions = Assumptions(args.volume / 100, args.rate / 100)
            try:
                engine = IncomeForecast(session, args.metric, assumptions)
            except ValueError as exc:
                parser.error(str(exc))
            if engine.origin is None:
                print("No packets imported yet: nothing to forecast from.", file=sys.stderr)
                return 1
            payload = forecast_payload(engine, args.backtest)
            if args.save:
                payload["saved"] = engine.save_snapshots()
                payload["actuals_filled"] = record_actuals(session, engine.data)
    finally:
        engine_db.dispose()
    if args.json:
        print(json.dumps(payload, indent=1, default=str))
    else:
        print_text(payload)
        if args.save:
            print(f"Saved {payload['saved']} forecasts; filled {payload['actuals_filled']} "
                  "actuals of earlier ones.")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
