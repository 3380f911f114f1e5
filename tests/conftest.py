"""Layered fixtures: one migrated database per session, emptied before each test; a fresh app per test.

Set DOCPIPE_TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test) to run on PostgreSQL;
the default is a SQLite file in the session's temporary folder.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import text

from config import TestConfig
from webapp import create_app
from webapp.extensions import db

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
MIGRATIONS = str(ROOT / "migrations")


def corpus_file(name: str) -> Path:
    path = CORPUS / name
    if not path.exists():
        raise FileNotFoundError(f"corpus file missing: {path} (the shared corpus must sit beside the project)")
    return path


Part = tuple[str, str | tuple[bytes, str]]


def multipart_body(fields: dict[str, str | tuple[bytes, str]]) -> tuple[bytes, str]:
    """Encode a multipart/form-data body in memory. (Werkzeug's test client spools big bodies to a temp
    file it never closes, which ``filterwarnings = error`` turns into a failure.)"""
    return multipart_parts(list(fields.items()))


def multipart_parts(parts: list[Part]) -> tuple[bytes, str]:
    """``[("file", (data, "a.pdf")), ("file", (data, "b.pdf")), ("priority", "7")]`` → (body, content type):
    like ``multipart_body``, with a name allowed more than once (several ``file`` parts)."""
    boundary = uuid.uuid4().hex
    chunks = []
    for name, value in parts:
        if isinstance(value, tuple):
            data, filename = value
            head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            chunks.append(head.encode() + b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n")
        else:
            chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    return b"".join(chunks) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _test_config(data_dir: Path, database_url: str, **overrides) -> dict:
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config.update(DATA_DIR=str(data_dir), DATABASE_URL=database_url)
    # DOCPIPE_TEST_REDIS_URL runs the queue (PriorityRedisHuey) and rate limits on a real Redis.
    config["REDIS_URL"] = os.environ.get("DOCPIPE_TEST_REDIS_URL") or None
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("DOCPIPE_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'docpipe.db'}"


@pytest.fixture(scope="session")
def migrated_database(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    app = create_app(_test_config(tmp_path_factory.mktemp("migrate"), database_url))
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(directory=MIGRATIONS)
        db.engine.dispose()
    return database_url


def _empty_tables() -> None:
    # Children first so foreign keys never object; alembic_version stays.
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def make_app(migrated_database: str, tmp_path: Path):
    """Build an app on the session database with this test's own data dir and optional overrides."""
    created: list[Flask] = []

    def factory(**overrides) -> Flask:
        app = create_app(_test_config(tmp_path / "data", migrated_database, **overrides))
        created.append(app)
        return app

    yield factory
    for app in created:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        # A Redis queue's sockets stay open as long as the app holds the queue: close them with the app.
        pool = getattr(getattr(app.extensions.get("docpipe.huey"), "storage", None), "pool", None)
        if pool is not None:
            pool.disconnect()


@pytest.fixture
def app(make_app) -> Iterator[Flask]:
    app = make_app()
    with app.app_context():
        _empty_tables()
        if app.config["REDIS_URL"]:
            import redis

            # The queue, its schedule and the rate-limit counters start empty in every test.
            with redis.Redis.from_url(app.config["REDIS_URL"]) as client:
                client.flushdb()
        from webapp.services.pipelines import ensure_default_pipeline

        ensure_default_pipeline()
        db.session.remove()
    yield app


PASSWORD = "correct horse battery staple"


class Accounts:
    """Users of each role with an API key each, created on first use in the test's database."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.keys: dict[str, str] = {}
        self.ids: dict[str, str] = {}

    def email(self, role: str) -> str:
        return f"{role}@example.com"

    def ensure(self, role: str) -> str:
        """The API key of the user with ``role`` (created with that user the first time)."""
        if role not in self.keys:
            from webapp.services import api_keys, users

            with self.app.app_context():
                user = users.create_user(self.email(role), PASSWORD, role)
                self.ids[role] = user.id
                self.keys[role] = api_keys.create_key(user, f"{role} test key")[1]
                db.session.remove()
        return self.keys[role]

    def client(self, role: str | None):
        """A test client acting as ``role``: its API key on every request and a signed-in dashboard session.
        ``None`` gives an anonymous client."""
        client = self.app.test_client()
        if role is None:
            return client
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {self.ensure(role)}"
        response = client.post("/login", data={"email": self.email(role), "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client


@pytest.fixture
def accounts(app: Flask) -> Accounts:
    return Accounts(app)


@pytest.fixture
def client(accounts: Accounts):
    """An admin: may do everything, so tests of behaviour are not about permissions."""
    return accounts.client("admin")


@pytest.fixture
def anon(app: Flask):
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def work_queue(app: Flask):
    """Run every queued job with the real worker code, in-process, the way a consumer would."""
    from webapp.models import Job
    from webapp.services.processing import process_job

    def run() -> list[str]:
        done = []
        with app.app_context():
            while True:
                ids = db.session.execute(db.select(Job.id).filter_by(status="queued").order_by(Job.id)).scalars().all()
                db.session.remove()
                if not ids:
                    return done
                for job_id in ids:
                    process_job(job_id, "test-worker")
                    db.session.remove()
                    done.append(job_id)

    return run
