"""The migration history: one head, every revision with a message, and it builds the models' schema."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import inspect

from tests.conftest import MIGRATIONS
from webapp.extensions import db


def _scripts() -> ScriptDirectory:
    config = Config(str(Path(MIGRATIONS) / "alembic.ini"))
    config.set_main_option("script_location", MIGRATIONS)
    return ScriptDirectory.from_config(config)


def test_one_head_and_every_revision_has_a_message():
    scripts = _scripts()
    assert len(scripts.get_heads()) == 1
    for revision in scripts.walk_revisions():
        assert revision.doc and revision.doc.strip(), revision.revision


def test_upgrade_builds_an_empty_database_that_matches_the_models(tmp_path):
    from tests.conftest import _test_config
    from webapp import create_app

    app = create_app(_test_config(tmp_path, f"sqlite:///{tmp_path / 'fresh.db'}"))
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        tables = set(inspect(db.engine).get_table_names())
        assert {"pipelines", "pipeline_versions", "jobs", "job_stage_runs", "results", "stored_files"} <= tables
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == [], diff
        db.engine.dispose()
