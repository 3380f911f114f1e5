"""Page thumbnails of a succeeded PDF job for the result viewer (its text by page: result_pages.py).

Thumbnails are rendered on demand in the sandbox (a hostile PDF costs a child process, never the web process)
and kept in the blob store under ``thumbnails/<job id>/<width>/<page>.png``, so every web process and machine
renders a page once. Pages are rendered in aligned batches: the browser lazy-loads the images next to each
other, and one child process then serves a batch of them.
"""

from __future__ import annotations

import threading
import zlib

from webapp.models import Job
from webapp.pipeline.config import FieldError
from webapp.pipeline.runner import PipelineFailed
from webapp.pipeline.sandbox import Limits, run_isolated
from webapp.pipeline.thumbnails import PageRequest, stages
from webapp.services.errors import ConflictError, NotFoundError, ValidationFailed
from webapp.services.storage import get_storage

PDF = "application/pdf"
# Thumbnail beside the page text (and for screens of twice the pixel density), and the large view it links to.
WIDTHS = (240, 480, 960)
BATCH = 8
LIMITS = Limits(timeout_seconds=30, max_memory_mb=1024)

# Requests for the same batch wait for one rendering instead of each starting their own (per process).
_locks = tuple(threading.Lock() for _ in range(16))


def has_pages(job: Job) -> bool:
    return job.status == "succeeded" and job.mime_type == PDF and job.stored_file is not None


def cache_folder(job_id: str) -> str:
    return f"thumbnails/{job_id}"


def cache_path(job_id: str, width: int, page: int) -> str:
    return f"{cache_folder(job_id)}/{width}/{page}.png"


def forget(job_id: str) -> None:
    """Remove a deleted job's cached page images from the blob store."""
    get_storage().delete_tree(cache_folder(job_id))


def page_image(job: Job, page: int, width: int) -> bytes:
    """The PNG of one page, from the blob store or rendered now (with its batch) and stored."""
    if width not in WIDTHS:
        raise ValidationFailed([FieldError("w", f"must be one of {', '.join(map(str, WIDTHS))}")])
    if not has_pages(job):
        raise ConflictError("page images exist only for succeeded PDF jobs whose file is still stored")
    storage = get_storage()
    path = cache_path(job.id, width, page)
    cached = _read(storage, path)
    if cached is not None:
        return cached
    first = page - (page - 1) % BATCH
    with _lock_for(f"{job.id}/{width}/{first}"):
        cached = _read(storage, path)  # another request of the same batch may have rendered it meanwhile
        if cached is not None:
            return cached
        images = _render(job, tuple(range(first, first + BATCH)), width)
        for number, data in images.items():
            storage.put(cache_path(job.id, width, number), data)
    if page not in images:
        raise NotFoundError(f"the document has no page {page}")
    return images[page]


def _render(job: Job, pages: tuple[int, ...], width: int) -> dict[int, bytes]:
    with get_storage().local_copy(job.stored_file.path) as local:
        if not local.exists():
            raise NotFoundError("the job's stored file is gone")
        request = PageRequest(local, job.filename, job.size_bytes, job.sha256, pages=pages, width=width)
        try:
            output = run_isolated(request, stages(), limits=LIMITS)
        except PipelineFailed as failure:
            raise RenderFailed(failure.error["message"]) from None
    return output["images"]


class RenderFailed(ConflictError):
    """PDFium could not draw the page (or hit a limit): the result's text is still there."""


def _read(storage, path: str) -> bytes | None:
    with storage.local_copy(path) as local:
        return local.read_bytes() if local.exists() else None


def _lock_for(key: str) -> threading.Lock:
    return _locks[zlib.crc32(key.encode()) % len(_locks)]
