"""Create or upgrade the app's database and seed what a new database needs.

    python setup_app.py            # the database of DATABASE_URL, or instance/compensation.db
    python setup_app.py --demo     # also build the demo database (instance/demo.db)

Safe to run any number of times: migrations only move forward, and the default points
rule is added only to a database that has no rule yet.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from asmg_calculator import DEFAULT_RULE
from data.db import (
    INSTANCE_DIR,
    default_database_url,
    make_engine,
    make_session_factory,
    session_scope,
    sqlite_path,
)
from data.models import AsmgRule
from data.repositories import AsmgRuleRepository
from data.schema import upgrade_to_head


def seed_default_rule(engine: Engine) -> bool:
    """Add the current F2 multipliers as the first rule if there are no rules. True if added."""
    with session_scope(make_session_factory(engine)) as session:
        rules = AsmgRuleRepository(session)
        if rules.count():
            return False
        rules.save(
            AsmgRule(
                effective_date=DEFAULT_RULE.effective_date,
                time_multiplier=DEFAULT_RULE.multipliers.time,
                anes_base_multiplier=DEFAULT_RULE.multipliers.anes_base,
                med_base_multiplier=DEFAULT_RULE.multipliers.med_base,
                description=DEFAULT_RULE.description,
            )
        )
        return True


def backfill_derived(engine: Engine) -> int:
    """Compute derived figures a migration added but could not fill (line points, from
    schema 0002 on) by regrouping every case. Returns the lines that lacked them."""
    from case_grouper import CaseGrouper
    from data.repositories import ChargeTransactionRepository

    with session_scope(make_session_factory(engine)) as session:
        missing = ChargeTransactionRepository(session).count_without_points()
        if missing:
            CaseGrouper(session).regroup_all()
        return missing


def initialize_database(engine: Engine) -> str | None:
    """Bring ``engine``'s database to the newest schema and seed it; returns the revision."""
    revision = upgrade_to_head(engine)
    seed_default_rule(engine)
    backfill_derived(engine)
    return revision


DEMO_PACKETS_DIR = INSTANCE_DIR / "demo-packets"


@dataclass
class DemoBuild:
    """The demo database and how it was made."""

    url: str
    packets: int
    seconds: float
    already_built: bool


def build_demo(
    url: str | None = None,
    packets_dir: Path | None = None,
    months: int = 36,
    start: str = "2023-01",
    seed: int = 1,
) -> DemoBuild:
    """Generate ``months`` synthetic packets (made-up physician and patients) and import
    them through the normal import path into the demo database, never the user's.
    The PDFs are kept beside the demo database (``demo-packets/``) for the curious.
    Does nothing if the demo database already holds packets."""
    from analytics.rules import adopt_rules_from_packets
    from data.repositories import MonthlySummaryRepository
    from data.synthetic import generate_history
    from data_loader import PacketLoader

    url = url or default_database_url(demo=True)
    if packets_dir is None:
        db_file = sqlite_path(url)
        packets_dir = db_file.parent / "demo-packets" if db_file else DEMO_PACKETS_DIR
    began = time.perf_counter()
    engine = make_engine(url)
    try:
        initialize_database(engine)
        factory = make_session_factory(engine)
        with session_scope(factory) as session:
            stored = MonthlySummaryRepository(session).count()
        if stored:
            return DemoBuild(url, stored, time.perf_counter() - began, already_built=True)
        shutil.rmtree(packets_dir, ignore_errors=True)
        generated = generate_history(packets_dir, months=months, start=start, seed=seed)
        loader = PacketLoader(factory)
        failures = [r for r in (loader.import_file(m.pdf_path) for m in generated) if not r.ok]
        if failures:
            raise RuntimeError(
                f"demo import failed: {failures[0].file_name}: {failures[0].message}"
            )
        with session_scope(factory) as session:
            adopt_rules_from_packets(session)
        return DemoBuild(url, len(generated), time.perf_counter() - began, already_built=False)
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Create or upgrade the compensation database (safe to run again).",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="SQLAlchemy URL (default: DATABASE_URL, else instance/compensation.db)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="also build the demo database (36 months of made-up packets) in instance/demo.db",
    )
    args = parser.parse_args(argv)
    url = args.database_url or default_database_url()
    engine = None
    try:
        engine = make_engine(url)
        revision = initialize_database(engine)
    except Exception as exc:  # noqa: BLE001 - one clear line for the user, not a traceback
        print(f"Could not set up the database at {url}: {exc}", file=sys.stderr)
        return 1
    finally:
        if engine is not None:
            engine.dispose()
    print(f"Database ready at {url} (schema {revision}).")
    if args.demo:
        try:
            demo = build_demo()
        except Exception as exc:  # noqa: BLE001
            print(f"Could not build the demo database: {exc}", file=sys.stderr)
            return 1
        state = "already built" if demo.already_built else f"built in {demo.seconds:.1f} s"
        print(f"Demo database ready at {demo.url}: {demo.packets} packets ({state}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
