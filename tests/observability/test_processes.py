"""Real processes: gunicorn (2 workers) and a huey_consumer sharing a PROMETHEUS_MULTIPROC_DIR, the consumer also
serving its own metrics on DOCPIPE_WORKER_METRICS_PORT. Both scrapes pass promtool; the web's adds up what the
consumer counted; every line either process logs is JSON, with the request id or the job id in it."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import corpus_file, multipart_body
from tests.e2e.service import Service, free_port, service_env
from tests.observability.conftest import Scrape

pytestmark = pytest.mark.slow
SECRET_TEXT = "Quarterly-forecast-codeword-ORCHID-5521"


@pytest.fixture
def observed(tmp_path: Path):
    port = free_port()
    env = service_env(
        tmp_path,
        DOCPIPE_WORKER_HEARTBEAT_SECONDS="1",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        DOCPIPE_WORKER_METRICS_PORT=str(port),
        DOCPIPE_WORKER_METRICS_ADDR="127.0.0.1",
    )
    running = Service(tmp_path, env)
    running.worker_metrics = f"http://127.0.0.1:{port}/metrics"
    running.setup()
    yield running
    running.stop()


def submit(service: Service, data: bytes, filename: str, request_id: str) -> str:
    body, content_type = multipart_body({"file": (data, filename)})
    headers = {"Content-Type": content_type, "X-Request-ID": request_id}
    status, raw, response_headers = service.request("POST", "/api/v1/jobs", body, headers)
    assert status == 202, raw
    assert response_headers["X-Request-ID"] == request_id
    return json.loads(raw)["id"]


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode()
    except OSError:
        return None


def log_lines(service: Service, pattern: str) -> list[dict]:
    lines = []
    for path in sorted(service.data_dir.glob(pattern)):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if line.strip():
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    pytest.fail(f"{path.name}:{number} is not JSON: {line[:200]}")
    return lines


def test_metrics_and_logs_of_real_processes(observed: Service, promtool):
    observed.start_web()
    observed.start_consumer(workers=2)
    good = submit(observed, f"Board minutes. {SECRET_TEXT}.".encode(), "minutes.txt", "req-e2e-good")
    bad = submit(observed, corpus_file("bad_pdf_truncated_derived.pdf").read_bytes(), "broken.pdf", "req-e2e-bad")
    assert observed.wait_finished(good)["status"] == "succeeded"
    assert observed.wait_finished(bad)["status"] == "failed"
    refused = observed.request(
        "GET", "/api/v1/jobs", headers={"Authorization": "Bearer dp_wrong", "X-Request-ID": "req-e2e-refused"}
    )
    assert refused[0] == 401

    # The consumer's own port: what this process counted, and its process metrics.
    worker = Scrape(observed.wait_for(lambda: fetch(observed.worker_metrics), 20, "the worker's metrics port"))
    assert worker.value("docpipe_jobs_total", pipeline="default", status="succeeded") == 1
    assert worker.value("docpipe_jobs_total", pipeline="default", status="failed") == 1
    assert worker.value("docpipe_jobs_total", pipeline="default", status="created") == 0
    assert worker.value("docpipe_stage_duration_seconds_count", stage="parse") == 2
    assert worker.series("process_resident_memory_bytes")
    checked = promtool("check", "metrics", stdin=worker.text)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # The web's /metrics: both gunicorn workers and the consumer, added up from the shared folder.
    def web_scrape() -> Scrape | None:
        status, body, _ = observed.request("GET", "/metrics")
        scrape = Scrape(body.decode()) if status == 200 else None
        return scrape if scrape and scrape.value("docpipe_workers_alive") == 1 else None

    web = observed.wait_for(web_scrape, 20, "a scrape with the worker alive")
    assert web.value("docpipe_jobs_total", pipeline="default", status="created") == 2
    assert web.value("docpipe_jobs_total", pipeline="default", status="succeeded") == 1
    assert web.value("docpipe_jobs_total", pipeline="default", status="failed") == 1
    assert web.value("docpipe_job_duration_seconds_count", pipeline="default", status="failed") == 1
    assert web.value("docpipe_http_request_total", method="POST", status="202") == 2
    assert len(web.series("docpipe_worker_last_heartbeat_timestamp_seconds")) == 1
    assert web.value("docpipe_queue_depth", priority=5) == 0
    checked = promtool("check", "metrics", stdin=web.text)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert good not in web.text and good not in worker.text

    # Logs: JSON lines only, joined by request id (web) and job id (consumer); nothing secret, no document text.
    web_lines = log_lines(observed, "web.log")
    consumer_lines = log_lines(observed, "consumer-*.log")
    access = [line for line in web_lines if line.get("logger") == "gunicorn.access"]
    submitted = next(line for line in access if line.get("request_id") == "req-e2e-good")
    assert (submitted["method"], submitted["path"], submitted["status"]) == ("POST", "/api/v1/jobs", 202)
    assert any(line.get("logger") == "gunicorn.error" and "Booting worker" in line["event"] for line in web_lines)
    app_line = next(line for line in web_lines if "refused credentials" in line["event"])
    assert app_line["request_id"] == "req-e2e-refused"
    good_lines = [line for line in consumer_lines if line.get("job_id") == good]
    assert good_lines and all(line["pipeline"] == "default" for line in good_lines if "pipeline" in line)
    assert any(line.get("stage") for line in good_lines)
    assert any(line.get("job_id") == bad and line.get("stage") == "parse" for line in consumer_lines)
    assert any(line.get("logger", "").startswith("huey") for line in consumer_lines)
    everything = "\n".join(
        path.read_text() for path in observed.data_dir.iterdir() if path.suffix == ".log" and path.is_file()
    )
    assert SECRET_TEXT not in everything
    assert observed.api_key not in everything and "dp_wrong" not in everything
