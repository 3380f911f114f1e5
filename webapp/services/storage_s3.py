"""Stored files in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, ...).

Credentials come from boto3's standard chain: ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` (and
``AWS_SESSION_TOKEN``), ``AWS_PROFILE`` and the shared config files, or an instance / container role.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from webapp.services.storage import LimitedReader, StoredBlob, check_relpath, new_relpath

log = logging.getLogger(__name__)

MiB = 1024 * 1024
# Each upload in flight holds one part in memory. S3 wants parts of 5 MiB or more (but the last), 10,000 at most.
DEFAULT_PART_SIZE = 8 * MiB
_MIN_PART_SIZE = 5 * MiB
_MAX_PARTS = 10_000
_DOWNLOAD = TransferConfig(max_concurrency=4)
_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
ADDRESSING_STYLES = ("auto", "path", "virtual")


class S3Storage:
    """Objects live in ``bucket`` under ``prefix`` at the same random relpaths LocalStorage uses."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        prefix: str = "",
        *,
        temp_dir: str | Path | None = None,
        part_size: int = DEFAULT_PART_SIZE,
        probe_client: Any | None = None,
    ) -> None:
        if part_size < _MIN_PART_SIZE:
            raise ValueError("S3 multipart parts must be at least 5 MiB")
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.temp_dir = Path(temp_dir) if temp_dir else None
        self.part_size = part_size
        # The health check fails fast (one attempt, short timeouts) instead of waiting out the retries.
        self.probe_client = probe_client or client

    def key(self, relpath: str) -> str:
        check_relpath(relpath)
        return f"{self.prefix}/{relpath}" if self.prefix else relpath

    def save(self, stream: BinaryIO, max_bytes: int) -> StoredBlob:
        """One PUT for a file smaller than a part, else a multipart upload of one part at a time. Nothing is
        left behind on failure: a too-large or broken upload is aborted."""
        relpath = new_relpath()
        key = self.key(relpath)
        reader = LimitedReader(stream, max_bytes)
        part_size = max(self.part_size, -(-(max_bytes + 1) // _MAX_PARTS))
        first = reader.read_full(part_size)
        if len(first) < part_size:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=first)
        else:
            self._multipart(key, first, reader, part_size)
        return StoredBlob(relpath=relpath, sha256=reader.hexdigest(), size_bytes=reader.size)

    def _multipart(self, key: str, first: bytes, reader: LimitedReader, part_size: int) -> None:
        upload_id = self.client.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]
        try:
            parts = []
            chunk = first
            while chunk:
                number = len(parts) + 1
                response = self.client.upload_part(
                    Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=chunk
                )
                parts.append({"PartNumber": number, "ETag": response["ETag"]})
                chunk = reader.read_full(part_size)
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except BaseException:
            try:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            except (BotoCoreError, ClientError):
                # The bucket's lifecycle rule for incomplete uploads is the backstop (see README).
                log.warning("could not abort multipart upload %s of %s", upload_id, key, exc_info=True)
            raise

    @contextmanager
    def local_copy(self, relpath: str | None) -> Iterator[Path]:
        """Downloads the object to a temporary file, removed after the block. A missing object yields a path
        that does not exist."""
        if self.temp_dir:
            self.temp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="s3-", suffix=".download", dir=self.temp_dir)
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                found = bool(relpath) and self._download(self.key(relpath), out)
            if not found:
                path.unlink()
            yield path
        finally:
            path.unlink(missing_ok=True)

    def _download(self, key: str, out: BinaryIO) -> bool:
        try:
            self.client.download_fileobj(self.bucket, key, out, Config=_DOWNLOAD)
        except ClientError as exc:
            if _error_code(exc) in _NOT_FOUND:
                return False
            raise
        return True

    def exists(self, relpath: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(relpath))
        except ClientError as exc:
            if _error_code(exc) in _NOT_FOUND:
                return False
            raise
        return True

    def put(self, relpath: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.key(relpath), Body=data)

    def delete(self, relpath: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(relpath))

    def delete_tree(self, prefix: str) -> None:
        folder = self.key(check_relpath(prefix.rstrip("/"))) + "/"
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=folder):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:  # at most 1,000 per page, which is also delete_objects' limit
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})

    def check(self) -> dict[str, Any]:
        """A HEAD on the bucket: the endpoint answers, the credentials work and the bucket exists."""
        details: dict[str, Any] = {
            "backend": "s3",
            "bucket": self.bucket,
            "prefix": self.prefix,
            "endpoint": self.client.meta.endpoint_url,
        }
        try:
            self.probe_client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            return {"status": "error", **details, "error": f"{type(exc).__name__}: {exc}"[:300]}
        return {"status": "ok", **details}


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/optional/prefix`` → (bucket, prefix)."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"DOCPIPE_STORAGE_URL {url!r}: expected s3://bucket or s3://bucket/prefix")
    return parts.netloc, parts.path.strip("/")


def make_client(
    endpoint_url: str | None, region: str | None, addressing_style: str, *, session: Any = None, probe=False
):
    """An S3 client; endpoint None means AWS. Creating it does no network I/O but may read the credential chain."""
    config = BotoConfig(
        region_name=region,
        s3={"addressing_style": addressing_style},
        connect_timeout=2 if probe else 5,
        read_timeout=5 if probe else 60,
        retries={"mode": "standard", "max_attempts": 1 if probe else 3},
    )
    return (session or boto3.session.Session()).client("s3", endpoint_url=endpoint_url, config=config)


def s3_storage_from_config(config: Mapping[str, Any]) -> S3Storage:
    bucket, prefix = parse_s3_url(config["STORAGE_URL"])
    endpoint = config.get("S3_ENDPOINT_URL") or None
    # MinIO and Ceph answer on one host name, not one per bucket: path style unless told otherwise.
    style = config.get("S3_ADDRESSING_STYLE") or ("path" if endpoint else "auto")
    if style not in ADDRESSING_STYLES:
        raise ValueError(f"DOCPIPE_S3_ADDRESSING_STYLE must be one of {', '.join(ADDRESSING_STYLES)}")
    session = boto3.session.Session()
    region = config.get("S3_REGION") or None
    return S3Storage(
        make_client(endpoint, region, style, session=session),
        bucket,
        prefix,
        temp_dir=Path(config["DATA_DIR"]) / "tmp",
        probe_client=make_client(endpoint, region, style, session=session, probe=True),
    )
