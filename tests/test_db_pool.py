"""Pooled database connections: pinged before use only after sitting idle (webapp/app.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from webapp.extensions import db


def _kill_other_backends(app) -> None:
    """What a database restart does to the connections sitting in the pool."""
    import psycopg

    url = app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def _query_after_backends_killed(make_app, idle_seconds: float) -> int:
    app = make_app(DB_PING_AFTER_IDLE_SECONDS=idle_seconds)
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("needs PostgreSQL (DOCPIPE_TEST_DATABASE_URL): SQLite connections do not die")
    with app.app_context():
        assert db.session.execute(text("SELECT 1")).scalar_one() == 1
        db.session.remove()  # the connection goes back to the pool
        _kill_other_backends(app)
        return db.session.execute(text("SELECT 2")).scalar_one()


def test_an_idle_connection_killed_by_a_restart_is_replaced(make_app):
    """GIVEN a pooled connection whose server process died while it sat idle (idle limit 0 s)
    WHEN the next request takes it THEN the ping notices and the pool hands out a fresh connection."""
    assert _query_after_backends_killed(make_app, idle_seconds=0) == 2


def test_a_connection_used_moments_ago_is_not_pinged(make_app):
    """GIVEN the same dead connection, used moments ago (idle limit 1 hour) THEN it is not pinged: the
    query fails once (and SQLAlchemy then invalidates the pool), which is the price of no ping per request."""
    with pytest.raises(OperationalError):
        _query_after_backends_killed(make_app, idle_seconds=3600)
