"""Schema migrations, run programmatically through Alembic.

The app and ``setup_app.py`` bring a database to the newest schema with
:func:`upgrade_to_head`; ``/health`` reports :func:`head_revision` against the database's.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from data.db import PROJECT_ROOT, schema_version

ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"


def alembic_config(engine: Engine | None = None) -> Config:
    """Alembic's config for this project, bound to ``engine`` when one is given."""
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(Path(PROJECT_ROOT, "data", "migrations")))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def head_revision() -> str | None:
    """The newest migration the code knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def needs_upgrade(engine: Engine) -> bool:
    return schema_version(engine) != head_revision()


def upgrade_to_head(engine: Engine, backup: bool = True) -> str | None:
    """Create or upgrade the database to the newest schema; returns the revision now in force.

    An existing database that is not at head is backed up first (``backup=False`` for a
    copy being restored, which is a backup already)."""
    if backup and schema_version(engine) not in (None, head_revision()):
        from data.backup import backup_before

        backup_before("before schema migration", engine.url.render_as_string(False))
    command.upgrade(alembic_config(engine), "head")
    return schema_version(engine)
