"""The blob store's contract, checked on the local backend here and on S3 in test_storage_s3.py."""

from __future__ import annotations

import hashlib
import io
import os
import re
from pathlib import Path

import pytest

from tests.conftest import Accounts, multipart_body
from webapp.services.storage import FileTooLargeError, LocalStorage, get_storage, storage_from_config

MiB = 1024 * 1024


class BrokenStream(io.RawIOBase):
    """A client that hangs up after sending ``size`` bytes."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.left <= 0:
            raise OSError("connection reset by peer")
        n = min(len(buffer), self.left)
        buffer[:n] = b"x" * n
        self.left -= n
        return n


class StorageContract:
    """What every backend promises. A subclass provides the fixtures ``storage`` (an empty store) and
    ``leftovers`` (a function listing whatever the store holds, partial writes included), and ``backend``."""

    backend: str

    def test_save_read_back_and_delete(self, storage, leftovers):
        data = b"Hello Docpipe. " * 1000
        blob = storage.save(io.BytesIO(data), max_bytes=len(data))
        assert blob.sha256 == hashlib.sha256(data).hexdigest()
        assert blob.size_bytes == len(data)
        assert re.fullmatch(r"([0-9a-f]{2})/([0-9a-f]{2})/\1\2[0-9a-f]{28}", blob.relpath)
        assert storage.exists(blob.relpath)
        with storage.local_copy(blob.relpath) as path:
            assert path.read_bytes() == data
        storage.delete(blob.relpath)
        assert not storage.exists(blob.relpath)
        assert leftovers() == []

    def test_an_empty_file_is_stored(self, storage):
        blob = storage.save(io.BytesIO(b""), max_bytes=10)
        assert (blob.size_bytes, blob.sha256) == (0, hashlib.sha256(b"").hexdigest())
        with storage.local_copy(blob.relpath) as path:
            assert path.exists() and path.read_bytes() == b""

    def test_a_big_file_streams_through_in_pieces(self, storage):
        data = os.urandom(11 * MiB + 123)
        blob = storage.save(io.BytesIO(data), max_bytes=len(data))
        assert (blob.size_bytes, blob.sha256) == (len(data), hashlib.sha256(data).hexdigest())
        with storage.local_copy(blob.relpath) as path:
            assert hashlib.sha256(path.read_bytes()).hexdigest() == blob.sha256

    def test_a_file_of_exactly_the_limit_is_accepted(self, storage):
        assert storage.save(io.BytesIO(b"x" * 100), max_bytes=100).size_bytes == 100

    @pytest.mark.parametrize("size", [101, 11 * MiB], ids=["small", "several-parts"])
    def test_over_the_limit_raises_and_leaves_nothing(self, storage, leftovers, size):
        limit = 100 if size == 101 else 7 * MiB
        with pytest.raises(FileTooLargeError) as raised:
            storage.save(io.BytesIO(b"x" * size), max_bytes=limit)
        assert raised.value.limit_bytes == limit
        assert leftovers() == []

    def test_a_broken_upload_leaves_nothing(self, storage, leftovers):
        """GIVEN a client that disconnects after 6 MiB (a part already sent) WHEN saved THEN nothing remains."""
        with pytest.raises(OSError, match="connection reset"):
            storage.save(io.BufferedReader(BrokenStream(6 * MiB)), max_bytes=100 * MiB)
        assert leftovers() == []

    @pytest.mark.parametrize("relpath", [None, "ab/cd/abcd0000000000000000000000000000"])
    def test_a_missing_file_is_a_path_that_does_not_exist(self, storage, relpath):
        with storage.local_copy(relpath) as path:
            assert not path.exists()
        assert not storage.exists("ab/cd/abcd0000000000000000000000000000")

    def test_deleting_a_missing_file_is_not_an_error(self, storage):
        storage.delete("ab/cd/abcd0000000000000000000000000000")

    def test_put_stores_at_the_given_path_and_replaces(self, storage, leftovers):
        """Derived files (page thumbnails) live at paths their owner chooses, e.g. thumbnails/<job>/240/1.png."""
        path = "thumbnails/job_1/240/1.png"
        storage.put(path, b"first")
        storage.put(path, b"second")
        assert storage.exists(path)
        with storage.local_copy(path) as local:
            assert local.read_bytes() == b"second"
        storage.delete(path)
        assert leftovers() == []
        with pytest.raises(ValueError, match="escapes"):
            storage.put("../outside.png", b"x")

    def test_delete_tree_removes_a_folder_and_nothing_beside_it(self, storage, leftovers):
        """GIVEN page images of two jobs WHEN one job's folder is removed THEN the other job's images remain."""
        for page in range(1, 4):
            storage.put(f"thumbnails/job_1/240/{page}.png", b"png")
        storage.put("thumbnails/job_1/960/1.png", b"png")
        storage.put("thumbnails/job_10/240/1.png", b"keep")
        storage.delete_tree("thumbnails/job_1")
        assert not any(storage.exists(f"thumbnails/job_1/240/{page}.png") for page in range(1, 4))
        assert not storage.exists("thumbnails/job_1/960/1.png")
        assert storage.exists("thumbnails/job_10/240/1.png"), "a folder whose name starts the same is kept"
        storage.delete_tree("thumbnails/job_1")  # already gone: not an error
        storage.delete_tree("thumbnails/job_10/")
        assert leftovers() == []
        with pytest.raises(ValueError, match="escapes"):
            storage.delete_tree("../outside")

    @pytest.mark.parametrize("relpath", ["../outside", "ab/../../outside", "/etc/passwd"])
    def test_a_path_cannot_escape_the_store(self, storage, relpath):
        with pytest.raises(ValueError, match="escapes"):
            storage.delete(relpath)

    def test_check_reports_ok_and_the_backend(self, storage, leftovers):
        details = storage.check()
        assert details["status"] == "ok"
        assert details["backend"] == self.backend
        assert leftovers() == []


class TestLocalStorage(StorageContract):
    backend = "local"

    @pytest.fixture
    def storage(self, tmp_path: Path) -> LocalStorage:
        return LocalStorage(tmp_path / "files")

    @pytest.fixture
    def leftovers(self, storage: LocalStorage):
        return lambda: sorted(str(p.relative_to(storage.root)) for p in storage.root.rglob("*") if p.is_file())

    def test_local_copy_is_the_stored_file_itself(self, storage):
        blob = storage.save(io.BytesIO(b"kept"), max_bytes=10)
        with storage.local_copy(blob.relpath) as path:
            assert path == (storage.root / blob.relpath).resolve()
        assert path.exists()

    def test_check_reports_free_space(self, storage):
        assert storage.check()["free_bytes"] > 0


def test_default_storage_is_the_data_dirs_files_folder(make_app):
    app = make_app()
    storage = get_storage(app)
    assert isinstance(storage, LocalStorage)
    assert storage.root == Path(app.config["DATA_DIR"]) / "files"
    assert get_storage(app) is storage


def test_storage_dir_setting_still_works(make_app, tmp_path):
    assert get_storage(make_app(STORAGE_DIR=str(tmp_path / "elsewhere"))).root == tmp_path / "elsewhere"


def test_a_file_url_names_the_folder(app, make_app, tmp_path):
    """GIVEN DOCPIPE_STORAGE_URL=file:///… WHEN a document is submitted THEN it is stored in that folder."""
    folder = tmp_path / "shared files"
    file_app = make_app(STORAGE_URL=folder.as_uri())
    body, content_type = multipart_body({"file": (b"stored elsewhere", "note.txt")})
    response = Accounts(file_app).client("operator").post("/api/v1/jobs", data=body, content_type=content_type)
    assert response.status_code == 202
    assert [p.read_bytes() for p in folder.rglob("*") if p.is_file()] == [b"stored elsewhere"]


@pytest.mark.parametrize(
    "url", ["file://server/share", "file:relative/path", "ftp://host/files", "/plain/path", "s3:///no-bucket"]
)
def test_a_bad_storage_url_is_refused(url, tmp_path):
    with pytest.raises(ValueError, match="DOCPIPE_STORAGE_URL"):
        storage_from_config({"STORAGE_URL": url, "STORAGE_DIR": str(tmp_path), "DATA_DIR": str(tmp_path)})
