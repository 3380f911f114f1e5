"""Several machines and per-pipeline limits with real processes: the README's promises, checked from outside."""

from __future__ import annotations

import hashlib
import json
import os
import socket
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import boto3
import pytest

from tests.conftest import corpus_file
from tests.e2e.chaos import OwnRedis
from tests.e2e.service import Service, drop_database, production_env, service_env
from tests.s3server import moto_server
from webapp.services.storage_s3 import make_client

pytestmark = pytest.mark.slow

BUCKET = "docpipe-multihost"
PREFIX = "prod/files"
# What a machine's environment must not bring along: the developer's own AWS setup.
AWS_LEFTOVERS = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_REGION")
DUMMY_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


@pytest.fixture
def s3_endpoint(tmp_path: Path) -> Iterator[str]:
    """moto's S3 server in its own process on 127.0.0.1."""
    with moto_server(tmp_path / "moto.log") as endpoint:
        yield endpoint


@pytest.fixture
def bucket(s3_endpoint: str):
    """The empty bucket, created the way the README asks, and a client of our own to look into it (the dummy
    credentials, nothing from the environment)."""
    session = boto3.session.Session(
        aws_access_key_id=DUMMY_AWS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_AWS["AWS_SECRET_ACCESS_KEY"],
        region_name=DUMMY_AWS["AWS_DEFAULT_REGION"],
    )
    client = make_client(s3_endpoint, "us-east-1", "path", session=session)
    client.create_bucket(Bucket=BUCKET)
    yield client
    client.close()


def bucket_objects(client) -> dict[str, str]:
    """sha256 of each object's content → its key, for every object under the prefix."""
    found = {}
    for item in client.list_objects_v2(Bucket=BUCKET, Prefix=f"{PREFIX}/").get("Contents", []):
        body = client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
        found[hashlib.sha256(body).hexdigest()] = item["Key"]
    return found


def machine_env(env: dict[str, str], shared: dict[str, str]) -> dict[str, str]:
    """One machine's environment: its own DOCPIPE_DATA_DIR plus the deploy's one env file (``shared``)."""
    return {key: value for key, value in env.items() if key not in AWS_LEFTOVERS} | shared


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis server of our own: another run of the e2e tests on this machine (on the shared test Redis)
    neither flushes our doorbells nor has its consumers take them."""
    server = OwnRedis()
    server.start()
    try:
        yield server.url
    finally:
        server.kill()


@pytest.fixture
def machines(tmp_path: Path, s3_endpoint: str, bucket, redis_url: str) -> Iterator[tuple[Service, Service]]:
    """Two "machines": nothing shared on disk, one PostgreSQL database, one Redis, one bucket, one env file."""
    shared = DUMMY_AWS | {
        "DOCPIPE_ENV": "production",
        "DOCPIPE_SECRET_KEY": "e2e-multihost-" + hashlib.sha256(b"multihost secret").hexdigest(),
        "DOCPIPE_STORAGE_URL": f"s3://{BUCKET}/{PREFIX}",
        "DOCPIPE_S3_ENDPOINT_URL": s3_endpoint,
        "DOCPIPE_WORKER_HEARTBEAT_SECONDS": "1",
    }
    dir_a, dir_b = tmp_path / "machine-a", tmp_path / "machine-b"
    dir_a.mkdir()
    dir_b.mkdir()
    database = f"docpipe_multihost_{os.getpid()}"
    env_a = machine_env(production_env(dir_a, database=database, redis_url=redis_url), shared)
    same_services = {name: env_a[name] for name in ("DOCPIPE_DATABASE_URL", "DOCPIPE_REDIS_URL")}
    env_b = machine_env(service_env(dir_b, **same_services), shared)
    machine_a, machine_b = Service(dir_a, env_a), Service(dir_b, env_b)
    try:
        yield machine_a, machine_b
    finally:
        machine_a.stop()
        machine_b.stop()
        drop_database(database)


def test_the_readme_multi_host_setup_works_as_written(machines, bucket):
    """GIVEN machine A (web only, where `flask setup` ran once) and machine B (a consumer and its own web server),
    with separate data dirs but the same database, Redis, bucket and settings
    WHEN documents are submitted to A THEN B's consumer processes them from the bucket, B's web server serves the
    results, both report the worker alive and S3 storage, and deleting a job through A removes its object."""
    machine_a, machine_b = machines
    machine_a.setup()  # migrations once per deploy, from one machine; and an operator's API key
    machine_b.api_key = machine_a.api_key  # a key lives in the shared database: it works on every machine
    machine_a.start_web()
    consumer_b = machine_b.start_consumer(workers=2)
    machine_b.start_web()

    names = ["pdf_arxiv_2201.00029.pdf", "docx_docling_word_sample.docx"]
    jobs = {name: machine_a.submit(corpus_file(name)) for name in names}
    assert set(bucket_objects(bucket)) == {job["sha256"] for job in jobs.values()}, "uploads go to the shared bucket"

    for name, job in jobs.items():
        done = machine_b.wait_finished(job["id"], timeout=45)
        assert done["status"] == "succeeded", (name, done["error"])
        status, result = machine_b.get(f"/api/v1/jobs/{job['id']}/result")
        assert status == 200 and len(result["text"].split()) >= 50, name
    assert "Swimming in the lake" in machine_b.get(f"/api/v1/jobs/{jobs[names[1]]['id']}/result")[1]["text"]

    status, started = machine_b.get("/api/v1/audit?action=job.started")
    assert status == 200
    assert {event["details"]["worker"].rsplit(":", 1)[-1] for event in started["items"]} == {str(consumer_b.pid)}
    assert not (machine_a.data_dir / "files").exists() and not (machine_b.data_dir / "files").exists()
    assert list((machine_b.data_dir / "tmp").iterdir()) == [], "the worker's downloads are removed after the job"

    for machine in machines:
        health = machine.wait_for(
            lambda m=machine: (h := m.get("/healthz")[1])["components"]["workers"]["alive"] and h,
            10,
            f"{machine.base} to see B's worker",
        )
        components = health["components"]
        assert components["workers"]["alive"] == 1, machine.base
        assert (components["storage"]["status"], components["storage"]["backend"]) == ("ok", "s3"), machine.base
        assert not {"bucket", "prefix", "endpoint"} & set(components["storage"]), "public: no locations shown"
        assert (components["database"]["backend"], components["queue"]["backend"]) == ("postgresql", "redis")

    deleted, kept = jobs[names[0]], jobs[names[1]]
    assert machine_a.request("DELETE", f"/api/v1/jobs/{deleted['id']}")[0] == 204
    assert set(bucket_objects(bucket)) == {kept["sha256"]}
    assert machine_b.get(f"/api/v1/jobs/{deleted['id']}")[0] == 404


def session_processes(session_id: int, name: str) -> list[int]:
    """Live processes called ``name`` in one session. The consumer leads a session of its own; every process it
    starts stays in it (the sandbox's setpgrp changes the group, not the session), even one orphaned by a kill,
    while other tests' and users' processes on this machine are in other sessions."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # it ended while we looked
        comm = text[text.index("(") + 1 : text.rindex(")")]
        state, _ppid, _pgrp, session = text[text.rindex(")") + 2 :].split()[:4]
        if comm == name and int(session) == session_id and state != "Z":
            found.append(int(stat.parent.name))
    return found


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_a_pipeline_deadline_ends_an_overrunning_job_and_stops_its_work(service):
    """GIVEN a pipeline whose parse stage has OCR on every page and timeout_seconds 2
    WHEN a 117-page PDF (a minute or more of OCR) is submitted THEN the job fails as a parse timeout about 2 s
    after it started, no Tesseract process of the consumer's is left, and the same worker's next job succeeds."""
    service.start_web()
    consumer = service.start_consumer(workers=1)
    stages = [
        {"name": "ingest"},
        {"name": "detect"},
        {"name": "parse", "options": {"ocr": "always", "timeout_seconds": 2}},
        {"name": "enrich"},
        {"name": "output"},
    ]
    body = json.dumps({"name": "deadline", "stages": stages}).encode()
    status, raw, _ = service.request("POST", "/api/v1/pipelines", body, {"Content-Type": "application/json"})
    assert status == 201, raw

    job_id = service.submit(corpus_file("pdf_large_GeoTopo_117p.pdf"), pipeline="deadline")["id"]
    # OCR really ran in the consumer's session, so finding none afterwards means it was stopped.
    service.wait_for(lambda: session_processes(consumer.pid, "tesseract"), 20, "Tesseract to run for the job")
    job = service.wait_finished(job_id, timeout=20)

    assert job["status"] == "failed"
    assert job["attempts"] == 1
    assert job["error"] == {
        "type": "timeout",
        "message": "stage 'parse' did not finish within the time limit of 2 s (parse.timeout_seconds)",
        "stage": "parse",
        "retryable": False,
    }
    assert {stage["name"]: stage["status"] for stage in job["stages"]} == {
        "ingest": "succeeded",
        "detect": "succeeded",
        "parse": "failed",
        "enrich": "skipped",
        "output": "skipped",
    }
    ran = (parse_time(job["finished_at"]) - parse_time(job["started_at"])).total_seconds()
    assert 2 <= ran < 5, ran
    # The sandbox kills the child's process group before it reports the failure: nothing may be left by now
    # (a Tesseract process that was merely orphaned would still be reading its page for up to a second).
    assert session_processes(consumer.pid, "tesseract") == []

    following = service.submit(corpus_file("img_tika_testOCR.png"))["id"]
    done = service.wait_finished(following, timeout=30)
    assert done["status"] == "succeeded", done["error"]
    assert service.get(f"/api/v1/jobs/{following}/result")[1]["text"] == "This file contains some words."
    assert consumer.poll() is None
    started = service.get("/api/v1/audit?action=job.started")[1]["items"]
    assert {event["details"]["worker"] for event in started} == {f"{socket.gethostname()}:{consumer.pid}"}
