"""The operator commands: setup, users create, extract."""

from __future__ import annotations

import json

from tests.conftest import corpus_file
from webapp.extensions import db
from webapp.models import Pipeline, User


def test_setup_is_idempotent_and_prints_the_admin_login(app, runner):
    first = runner.invoke(args=["setup"])
    assert first.exit_code == 0, first.output
    assert "Admin created: admin@localhost / " in first.output
    password = first.output.split("Admin created: admin@localhost / ")[1].split()[0]
    second = runner.invoke(args=["setup"])
    assert second.exit_code == 0 and "password unchanged" in second.output
    with app.app_context():
        from webapp.services.users import find_by_email, verify_password

        admin = find_by_email("admin@localhost")
        assert admin.role == "admin" and verify_password(admin, password)
        assert not admin.password_hash.startswith(password)
        assert db.session.execute(db.select(db.func.count()).select_from(Pipeline)).scalar_one() == 1


def test_users_create(app, runner):
    ok = runner.invoke(
        args=["users", "create", "--email", "Op@Example.com", "--password", "s3cret-pass", "--role", "operator"]
    )
    assert ok.exit_code == 0, ok.output
    duplicate = runner.invoke(args=["users", "create", "--email", "op@example.com", "--password", "s3cret-pass"])
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
    short = runner.invoke(args=["users", "create", "--email", "x@example.com", "--password", "short"])
    assert short.exit_code != 0 and "at least 8" in short.output
    with app.app_context():
        assert db.session.execute(db.select(User.role).filter_by(email="op@example.com")).scalar_one() == "operator"


def test_extract_prints_json_per_file_and_exit_status_reflects_failures(runner):
    good = corpus_file("docx_docling_word_sample.docx")
    bad = corpus_file("bad_pdf_truncated_derived.pdf")
    result = runner.invoke(args=["extract", str(good), str(bad)])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert lines[0]["file"] == str(good) and lines[0]["metadata"]["mime_type"].endswith("wordprocessingml.document")
    assert lines[0]["text"] and lines[0]["pipeline"]["name"] == "default"
    assert lines[1]["error"]["type"] == "corrupt_file" and lines[1]["error"]["stage"] == "parse"


def test_extract_text_format_and_success_exit(runner):
    result = runner.invoke(args=["extract", str(corpus_file("html_tika_testHTML.html")), "--format", "text"])
    assert result.exit_code == 0, result.output
    assert "<" not in result.output.splitlines()[0]
    assert len(result.output.split()) > 5


def test_extract_unknown_pipeline_is_an_error(runner):
    result = runner.invoke(args=["extract", str(corpus_file("txt_norwich-city.txt")), "--pipeline", "nope"])
    assert result.exit_code != 0 and "no pipeline 'nope'" in result.output
