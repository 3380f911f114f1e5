"""Structured logs in-process: JSON lines carrying the request id in a request and the job id, pipeline and stage
in a worker; a readable console format when asked; nothing secret and no document text."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.conftest import multipart_body
from webapp import logs

SECRET_TEXT = "Confidential-merger-codeword-ZEPHYR-7731"


def json_lines(text: str) -> list[dict]:
    """The JSON log lines of captured output (other handlers, e.g. alembic's, print plain lines too)."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_request_logs_carry_the_request_id(make_app, capsys):
    client = make_app(LOG_FORMAT="json").test_client()
    capsys.readouterr()
    response = client.get(
        "/api/v1/jobs", headers={"X-Request-ID": "req-obs-0001", "Authorization": "Bearer dp_not-a-real-key"}
    )
    assert response.status_code == 401
    assert response.headers["X-Request-ID"] == "req-obs-0001"
    err = capsys.readouterr().err
    lines = [line for line in json_lines(err) if "refused credentials" in line["event"]]
    assert lines, err
    line = lines[0]
    assert line["request_id"] == "req-obs-0001"
    assert line["level"] == "info" and line["logger"] == "webapp.auth" and line["timestamp"].endswith("Z")
    assert "dp_not-a-real-key" not in err


def test_the_request_id_does_not_outlive_its_request(make_app, capsys):
    app = make_app(LOG_FORMAT="json")
    app.test_client().get("/livez", headers={"X-Request-ID": "req-obs-0002"})
    capsys.readouterr()
    with app.app_context():
        app.logger.warning("after the request")
    (line,) = [line for line in json_lines(capsys.readouterr().err) if line["event"] == "after the request"]
    assert "request_id" not in line


def test_worker_logs_carry_job_pipeline_and_stage_and_no_document_text(app, client, work_queue, capsys):
    body, content_type = multipart_body({"file": (f"Board minutes. {SECRET_TEXT}.".encode(), "minutes.txt")})
    job_id = client.post("/api/v1/jobs", data=body, content_type=content_type).get_json()["id"]
    capsys.readouterr()
    work_queue()
    err = capsys.readouterr().err
    lines = [line for line in json_lines(err) if line.get("job_id") == job_id]
    assert any(line["event"].endswith("started") for line in lines)
    finished = next(line for line in lines if line["event"].endswith("succeeded"))
    assert finished["pipeline"] == "default" and finished["stage"] == "output"
    assert SECRET_TEXT not in err
    # The context ends with the job.
    from webapp.services.processing import log as processing_log

    processing_log.warning("between jobs")
    (after,) = [line for line in json_lines(capsys.readouterr().err) if line["event"] == "between jobs"]
    assert not {"job_id", "pipeline", "stage"} & set(after)


def test_console_format_for_people(make_app, capsys):
    client = make_app(LOG_FORMAT="console").test_client()
    capsys.readouterr()
    client.get("/api/v1/jobs", headers={"X-Request-ID": "req-obs-0003", "Authorization": "Bearer nope"})
    err = capsys.readouterr().err
    line = next(line for line in err.splitlines() if "refused credentials" in line)
    assert not line.startswith("{")
    assert "request_id=req-obs-0003" in line


def test_format_choice(monkeypatch):
    monkeypatch.delenv("DOCPIPE_LOG_FORMAT", raising=False)
    monkeypatch.setenv("DOCPIPE_ENV", "production")
    assert logs.log_format() == "json"
    assert logs.log_format("console") == "console"
    monkeypatch.setenv("DOCPIPE_LOG_FORMAT", "console")
    assert logs.log_format() == "console"
    with pytest.raises(ValueError, match="DOCPIPE_LOG_FORMAT"):
        logs.log_format("xml")


def test_job_context_restores_what_was_bound_before():
    with logs.bound(request_id="outer"), logs.job_context("job_A"):
        logs.bind(stage="parse")
        from structlog.contextvars import get_contextvars

        assert get_contextvars() == {"request_id": "outer", "job_id": "job_A", "stage": "parse"}
    assert get_contextvars() == {}


class _Response:
    status = "202 ACCEPTED"
    headers = [("Content-Type", "application/json"), ("X-Request-ID", "req-obs-0004")]
    sent = 321


def test_gunicorn_access_lines_are_json_with_the_request_id(capsys, monkeypatch):
    from gunicorn.config import Config

    from webapp.gunicorn_logging import JsonLogger

    monkeypatch.setenv("DOCPIPE_LOG_FORMAT", "json")
    cfg = Config()
    cfg.set("accesslog", "-")
    logger = JsonLogger(cfg)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/jobs",
        "QUERY_STRING": "token=not-logged",
        "RAW_URI": "/api/v1/jobs?token=not-logged",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.0.2.10",
        "HTTP_USER_AGENT": "curl/8",
        "HTTP_AUTHORIZATION": "Bearer dp_secret",
    }
    logger.access(_Response(), None, environ, timedelta(milliseconds=12.5))
    out = capsys.readouterr().out
    (line,) = json_lines(out)
    assert line["event"] == "request" and line["logger"] == "gunicorn.access"
    assert line["request_id"] == "req-obs-0004"
    assert (line["method"], line["path"], line["status"], line["bytes"]) == ("POST", "/api/v1/jobs", 202, 321)
    assert line["duration_ms"] == 12.5 and line["remote_addr"] == "192.0.2.10"
    assert "not-logged" not in out and "dp_secret" not in out
