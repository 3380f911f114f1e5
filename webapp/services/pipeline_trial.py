""" "Try it": run an unsaved pipeline on a sample file and return what a job would have produced, without a job
record or a stored file.

It runs in the calling (web) process, through the same sandbox as the workers (``run_isolated``): a fresh
child per document with the parse stage's memory limit and a wall clock capped at ``timeout_seconds``, so a
hostile sample cannot take the web server with it. Keeping it in the request (rather than a queued task) is
what keeps it record-free: a task would need the sample in the shared blob store and somewhere to put the
result. The caps make that affordable: the sample is small (``max_bytes``), the clock short, and at most
``concurrency`` tries run at once in a process, so tries cannot starve the pages around them.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from webapp.extensions import db
from webapp.pipeline.config import StageConfig
from webapp.pipeline.document import Source
from webapp.pipeline.runner import PipelineFailed
from webapp.pipeline.sandbox import Limits, SandboxError, run_isolated
from webapp.services import audit
from webapp.services.errors import BusyError, PayloadTooLargeError

log = logging.getLogger(__name__)

_CHUNK = 1024 * 1024
_slots_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}


@dataclass(slots=True)
class StageRun:
    name: str
    status: str = "running"
    duration_ms: int | None = None


@dataclass(slots=True)
class Trial:
    """The outcome of one try: ``result`` (the result object a job would store) or ``error`` (type, stage,
    message), and each stage that ran with its duration."""

    filename: str
    size_bytes: int
    sha256: str
    duration_ms: int = 0
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    stages: list[StageRun] = field(default_factory=list)
    timeout_seconds: float = 0


class _Recorder:
    """The runner's hooks: remember each stage's outcome for the page."""

    def __init__(self, trial: Trial) -> None:
        self.trial = trial

    def stage_started(self, name: str, index: int, total: int) -> None:  # noqa: ARG002
        self.trial.stages.append(StageRun(name))

    def stage_finished(self, name: str, duration_ms: int) -> None:
        self._last(name, "succeeded", duration_ms)

    def stage_failed(self, name: str, duration_ms: int, error: dict[str, Any]) -> None:  # noqa: ARG002
        self._last(name, "failed", duration_ms)

    def check_cancelled(self) -> None:
        """A try cannot be cancelled: the time limit ends it."""

    def _last(self, name: str, status: str, duration_ms: int) -> None:
        if not self.trial.stages or self.trial.stages[-1].name != name:
            self.trial.stages.append(StageRun(name))
        self.trial.stages[-1].status, self.trial.stages[-1].duration_ms = status, duration_ms


def run_trial(
    stream: IO[bytes],
    filename: str,
    stages: list[StageConfig],
    *,
    work_dir: Path,
    max_bytes: int,
    timeout_seconds: float,
    concurrency: int,
    pipeline: dict[str, Any] | None = None,
) -> Trial:
    """Run ``stages`` on the sample in ``stream``; the sample lives in ``work_dir`` for the length of the run.

    Raises PayloadTooLargeError for a sample over ``max_bytes`` and BusyError when ``concurrency`` tries are
    already running in this process. A stage failure is not an exception: it is the trial's ``error``.
    ``pipeline`` ({"id", "name", "version"} of the edited pipeline, None for a new one) goes to the audit log.
    """
    slots = _semaphore(concurrency)
    if not slots.acquire(blocking=False):
        raise BusyError("other tries are running; try again in a few seconds", retry_after=5)
    try:
        work_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="try-", dir=work_dir) as folder:
            source = _save_sample(stream, filename, Path(folder) / "sample", max_bytes)
            trial = Trial(filename=source.filename, size_bytes=source.size_bytes, sha256=source.sha256 or "")
            _run(trial, source, stages, timeout_seconds)
    finally:
        slots.release()
    _audit(trial, pipeline)
    return trial


def _save_sample(stream: IO[bytes], filename: str, path: Path, max_bytes: int) -> Source:
    digest, size = hashlib.sha256(), 0
    with path.open("wb") as handle:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise PayloadTooLargeError(
                    f"the sample is larger than {max_bytes // _CHUNK} MiB, the limit for tries", field="sample"
                )
            digest.update(chunk)
            handle.write(chunk)
    return Source(path=path, filename=filename or "sample", size_bytes=size, sha256=digest.hexdigest())


def _run(trial: Trial, source: Source, stages: list[StageConfig], timeout_seconds: float) -> None:
    own = Limits.from_stages(stages)
    limits = Limits(timeout_seconds=min(own.timeout_seconds, timeout_seconds), max_memory_mb=own.max_memory_mb)
    trial.timeout_seconds = limits.timeout_seconds
    started = time.perf_counter()
    try:
        trial.result = run_isolated(source, stages, _Recorder(trial), limits)
    except PipelineFailed as exc:
        trial.error = exc.error
    except SandboxError:
        log.exception("a try failed outside its stages")
        running = trial.stages[-1].name if trial.stages else None
        trial.error = {"type": "internal", "message": "the pipeline failed unexpectedly", "stage": running}
    trial.duration_ms = int(round((time.perf_counter() - started) * 1000))


def _audit(trial: Trial, pipeline: dict[str, Any] | None) -> None:
    details: dict[str, Any] = {
        "filename": trial.filename,
        "size_bytes": trial.size_bytes,
        "sha256": trial.sha256,
        "duration_ms": trial.duration_ms,
        "status": "failed" if trial.error else "succeeded",
    }
    if pipeline:
        details.update(name=pipeline["name"], based_on_version=pipeline["version"])
    if trial.error:
        details["error"] = {"type": trial.error.get("type"), "stage": trial.error.get("stage")}
    audit.record("pipeline.tried", "pipeline", pipeline["id"] if pipeline else None, details=details)
    db.session.commit()


def _semaphore(size: int) -> threading.BoundedSemaphore:
    with _slots_lock:
        if size not in _slots:
            _slots[size] = threading.BoundedSemaphore(max(1, size))
        return _slots[size]
