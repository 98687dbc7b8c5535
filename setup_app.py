"""Create or upgrade the app's database and seed what a new database needs.

    python setup_app.py            # the database of DATABASE_URL, or instance/compensation.db

Safe to run any number of times: migrations only move forward, and the default points
rule is added only to a database that has no rule yet.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import Engine

from asmg_calculator import DEFAULT_RULE
from data.db import default_database_url, make_engine, make_session_factory, session_scope
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


def initialize_database(engine: Engine) -> str | None:
    """Bring ``engine``'s database to the newest schema and seed it; returns the revision."""
    revision = upgrade_to_head(engine)
    seed_default_rule(engine)
    return revision


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Create or upgrade the compensation database (safe to run again).",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="SQLAlchemy URL (default: DATABASE_URL, else instance/compensation.db)",
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
