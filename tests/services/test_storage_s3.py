"""S3 storage against a real S3-compatible server: moto's, started once for this module on 127.0.0.1."""

from __future__ import annotations

import hashlib
import io
import os
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Accounts, corpus_file, multipart_body
from tests.s3server import moto_server
from tests.services.test_storage import MiB, StorageContract
from webapp.extensions import db
from webapp.services.storage import get_storage
from webapp.services.storage_s3 import S3Storage, make_client, parse_s3_url, s3_storage_from_config

BUCKET = "docpipe-test"


def free_port() -> int:
    """A port nothing listens on (the OS picks a free one; we close it again)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def aws_env() -> Iterator[None]:
    """Dummy credentials, and nothing from the developer's own AWS setup."""
    with pytest.MonkeyPatch.context() as mp:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_REGION"):
            mp.delenv(name, raising=False)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        mp.setenv("AWS_CONFIG_FILE", os.devnull)
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        yield


@pytest.fixture(scope="module")
def endpoint(aws_env, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's S3 server in its own process, for the whole module."""
    with moto_server(tmp_path_factory.mktemp("moto") / "server.log") as url:
        yield url


@pytest.fixture(scope="module")
def s3(endpoint: str):
    """A plain client to look into the bucket with."""
    client = make_client(endpoint, "us-east-1", "path")
    client.create_bucket(Bucket=BUCKET)
    yield client
    client.close()


@pytest.fixture(scope="module")
def clients(endpoint: str, s3):
    made = make_client(endpoint, None, "path"), make_client(endpoint, None, "path", probe=True)
    yield made
    for client in made:
        client.close()


def bucket_contents(s3, prefix: str) -> list[str]:
    """Objects and unfinished multipart uploads under the prefix."""
    objects = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/").get("Contents", [])
    uploads = s3.list_multipart_uploads(Bucket=BUCKET, Prefix=f"{prefix}/").get("Uploads", [])
    return [o["Key"] for o in objects] + [f"upload:{u['Key']}" for u in uploads]


class TestS3Storage(StorageContract):
    backend = "s3"

    @pytest.fixture
    def storage(self, clients, tmp_path: Path) -> S3Storage:
        client, probe = clients
        return S3Storage(
            client,
            BUCKET,
            f"t-{uuid.uuid4().hex[:12]}",
            temp_dir=tmp_path / "tmp",
            part_size=5 * MiB,
            probe_client=probe,
        )

    @pytest.fixture
    def leftovers(self, storage: S3Storage, s3):
        return lambda: bucket_contents(s3, storage.prefix)

    def test_objects_are_keyed_by_prefix_and_relpath(self, storage, s3):
        blob = storage.save(io.BytesIO(b"keyed"), max_bytes=10)
        assert bucket_contents(s3, storage.prefix) == [f"{storage.prefix}/{blob.relpath}"]
        assert s3.get_object(Bucket=BUCKET, Key=f"{storage.prefix}/{blob.relpath}")["Body"].read() == b"keyed"

    def test_a_file_bigger_than_a_part_goes_up_in_parts(self, storage, s3):
        big = storage.save(io.BytesIO(b"x" * (11 * MiB)), max_bytes=20 * MiB)
        small = storage.save(io.BytesIO(b"x" * (5 * MiB - 1)), max_bytes=20 * MiB)
        # A multipart object's ETag ends in the number of its parts.
        assert s3.head_object(Bucket=BUCKET, Key=storage.key(big.relpath))["ETag"].endswith('-3"')
        assert "-" not in s3.head_object(Bucket=BUCKET, Key=storage.key(small.relpath))["ETag"]

    def test_the_downloaded_copy_is_removed_after_the_block(self, storage, tmp_path):
        blob = storage.save(io.BytesIO(b"temporary"), max_bytes=100)
        with storage.local_copy(blob.relpath) as path:
            assert path.parent == tmp_path / "tmp"
            assert path.read_bytes() == b"temporary"
        assert not path.exists()
        assert list((tmp_path / "tmp").iterdir()) == []

    def test_check_names_the_bucket_and_endpoint(self, storage, endpoint):
        details = storage.check()
        assert details == {
            "status": "ok",
            "backend": "s3",
            "bucket": BUCKET,
            "prefix": storage.prefix,
            "endpoint": endpoint,
        }

    def test_check_is_an_error_when_the_server_does_not_answer(self, aws_env):
        nowhere = f"http://127.0.0.1:{free_port()}"
        storage = S3Storage(
            make_client(nowhere, None, "path"), BUCKET, probe_client=make_client(nowhere, None, "path", probe=True)
        )
        started = time.monotonic()
        details = storage.check()
        assert details["status"] == "error"
        assert details["endpoint"] == nowhere
        assert "Could not connect" in details["error"]
        assert time.monotonic() - started < 5, "the health check must fail fast, without retries"

    def test_check_is_an_error_when_the_bucket_is_missing(self, clients):
        details = S3Storage(clients[0], "no-such-bucket").check()
        assert details["status"] == "error" and "404" in details["error"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("s3://bucket", ("bucket", "")),
        ("s3://bucket/", ("bucket", "")),
        ("s3://bucket/docpipe/files/", ("bucket", "docpipe/files")),
    ],
)
def test_s3_urls_name_a_bucket_and_an_optional_prefix(url, expected):
    assert parse_s3_url(url) == expected


@pytest.mark.parametrize("url", ["s3://", "s3:///prefix", "s3://bucket/prefix?x=1"])
def test_s3_urls_without_a_bucket_are_refused(url):
    with pytest.raises(ValueError, match="expected s3://bucket"):
        parse_s3_url(url)


def test_settings_pick_endpoint_region_and_addressing(aws_env, tmp_path):
    config = {"STORAGE_URL": "s3://bkt/pre", "DATA_DIR": str(tmp_path), "S3_REGION": "eu-central-1"}
    on_aws = s3_storage_from_config(config)
    assert on_aws.client.meta.region_name == "eu-central-1"
    assert on_aws.client.meta.endpoint_url == "https://s3.eu-central-1.amazonaws.com"
    assert on_aws.client.meta.config.s3 == {"addressing_style": "auto"}
    assert on_aws.temp_dir == tmp_path / "tmp"
    minio = s3_storage_from_config({**config, "S3_ENDPOINT_URL": "http://minio:9000"})
    assert minio.client.meta.endpoint_url == "http://minio:9000"
    assert minio.client.meta.config.s3 == {"addressing_style": "path"}
    assert (minio.bucket, minio.prefix) == ("bkt", "pre")
    with pytest.raises(ValueError, match="ADDRESSING_STYLE"):
        s3_storage_from_config({**config, "S3_ADDRESSING_STYLE": "sideways"})
    for storage in (on_aws, minio):
        storage.client.close()
        storage.probe_client.close()


def test_the_client_is_built_on_first_use_and_kept(make_app, aws_env):
    """GIVEN an unreachable endpoint WHEN the app is created THEN nothing connects; the first use builds the
    storage and its client once for the process."""
    app = make_app(STORAGE_URL="s3://bucket/prefix", S3_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}")
    assert "docpipe.storage" not in app.extensions
    with app.app_context():
        storage = get_storage()
        assert get_storage() is storage
    assert app.extensions["docpipe.storage"] is storage
    assert isinstance(storage, S3Storage) and storage.bucket == "bucket"
    storage.client.close()
    storage.probe_client.close()


@pytest.fixture
def s3_app(app, make_app, endpoint, s3):
    """An app storing in the bucket under a fresh prefix (``app`` has emptied and seeded the database)."""
    prefix = f"e2e-{uuid.uuid4().hex[:12]}"
    s3_app = make_app(STORAGE_URL=f"s3://{BUCKET}/{prefix}", S3_ENDPOINT_URL=endpoint)
    yield s3_app
    if storage := s3_app.extensions.get("docpipe.storage"):
        storage.client.close()
        storage.probe_client.close()


def test_a_job_through_the_api_with_s3_storage(s3_app, s3):
    """GIVEN an app on S3 WHEN a DOCX is submitted, processed, fetched and deleted THEN the upload lives in the
    bucket while the job exists, the worker reads it from there, and deleting the job removes it."""
    from webapp.services.processing import process_job

    prefix = get_storage(s3_app).prefix
    data = corpus_file("docx_docling_word_sample.docx").read_bytes()
    accounts = Accounts(s3_app)
    operator = accounts.client("operator")
    body, content_type = multipart_body({"file": (data, "sample.docx")})
    job = operator.post("/api/v1/jobs", data=body, content_type=content_type).get_json()

    [key] = bucket_contents(s3, prefix)
    stored = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert hashlib.sha256(stored).hexdigest() == job["sha256"] == hashlib.sha256(data).hexdigest()
    assert job["size_bytes"] == len(data)

    with s3_app.app_context():
        assert process_job(job["id"], "test-worker") == "succeeded"
        db.session.remove()
    done = operator.get(f"/api/v1/jobs/{job['id']}").get_json()
    assert done["status"] == "succeeded", done["error"]
    assert done["mime_type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert "Swimming in the lake" in operator.get(f"/api/v1/jobs/{job['id']}/result").get_json()["text"]
    assert list((Path(s3_app.config["DATA_DIR"]) / "tmp").iterdir()) == []

    assert accounts.client("admin").delete(f"/api/v1/jobs/{job['id']}").status_code == 204
    assert bucket_contents(s3, prefix) == []

    ready = operator.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["components"]["storage"]["status"] == "ok"
    # /healthz is public: it says the store answers, not where it lives.
    storage = operator.get("/healthz").get_json()["components"]["storage"]
    assert (storage["status"], storage["backend"]) == ("ok", "s3")
    assert not {"bucket", "prefix", "endpoint"} & set(storage)


def test_a_job_whose_object_vanished_fails_at_ingest(s3_app, s3):
    """GIVEN a submitted job WHEN its object is removed from the bucket behind Docpipe's back THEN the worker
    fails the job with the ingest stage's typed error, not an internal one."""
    from webapp.services.processing import process_job

    body, content_type = multipart_body({"file": (b"soon gone", "gone.txt")})
    job = Accounts(s3_app).client("operator").post("/api/v1/jobs", data=body, content_type=content_type).get_json()
    [key] = bucket_contents(s3, get_storage(s3_app).prefix)
    s3.delete_object(Bucket=BUCKET, Key=key)
    with s3_app.app_context():
        assert process_job(job["id"], "test-worker") == "failed"
        db.session.remove()
    error = Accounts(s3_app).client("viewer").get(f"/api/v1/jobs/{job['id']}").get_json()["error"]
    assert (error["type"], error["stage"]) == ("corrupt_file", "ingest")
    assert "missing" in error["message"]


def test_readyz_503_when_the_bucket_is_unreachable(make_app, aws_env):
    app = make_app(STORAGE_URL=f"s3://{BUCKET}", S3_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["components"]["storage"]["status"] == "error"
    health = app.test_client().get("/healthz").get_json()["components"]["storage"]
    assert health["error"] == "EndpointConnectionError" and "127.0.0.1" not in str(health)
    storage = app.extensions["docpipe.storage"]
    storage.client.close()
    storage.probe_client.close()
