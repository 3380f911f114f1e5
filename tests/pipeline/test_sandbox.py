"""run_isolated: run_pipeline's contract, in a child process with memory, CPU and wall-clock limits."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.pipeline.helpers import corpus, source
from tests.pipeline.hostile import pdf_bomb, png_bomb
from webapp.pipeline import sandbox
from webapp.pipeline.config import StageConfig, default_stages, validate_stages
from webapp.pipeline.errors import StopPipeline
from webapp.pipeline.runner import PipelineFailed, run_pipeline
from webapp.pipeline.sandbox import Limits, run_isolated


class RecordingHooks:
    """The caller's side, as the worker's JobHooks would see it: every call, in order."""

    def __init__(self, cancel_after: tuple | None = None) -> None:
        self.calls: list[tuple] = []
        self.cancel_after = cancel_after

    def stage_started(self, name: str, index: int, total: int) -> None:
        self.calls.append(("started", name, index, total))

    def stage_finished(self, name: str, duration_ms: int) -> None:
        assert isinstance(duration_ms, int) and duration_ms >= 0
        self.calls.append(("finished", name))

    def stage_failed(self, name: str, duration_ms: int, error: dict[str, Any]) -> None:
        self.calls.append(("failed", name, error["type"]))

    def check_cancelled(self) -> None:
        if self.cancel_after is not None and self.cancel_after in self.calls:
            raise StopPipeline("cancelled by the test")


def _stages(**parse_options: Any) -> list[StageConfig]:
    stages = default_stages()
    stages[2] = StageConfig("parse", parse_options)
    return stages


def _tesseract_processes() -> list[int]:
    found = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "tesseract":
                found.append(int(comm.parent.name))
        except OSError:
            continue
    return found


def _assert_no_tesseract_left() -> None:
    deadline = time.monotonic() + 3
    while _tesseract_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _tesseract_processes() == []


def _all_succeeded() -> list[tuple]:
    names = [stage.name for stage in default_stages()]
    expected: list[tuple] = []
    for index, name in enumerate(names):
        expected += [("started", name, index, len(names)), ("finished", name)]
    return expected


@pytest.mark.parametrize("name", ["pdf_arxiv_2201.00200.pdf", "html_tika_testHTML.html", "img_tika_testOCR.png"])
def test_same_result_and_hooks_as_in_process(name: str) -> None:
    in_process, isolated = RecordingHooks(), RecordingHooks()
    expected = run_pipeline(source(corpus(name)), default_stages(), in_process)
    result = run_isolated(source(corpus(name)), default_stages(), isolated)
    assert set(result.pop("timings")) == set(expected.pop("timings"))
    assert result == expected
    assert isolated.calls == in_process.calls == _all_succeeded()


def test_typed_failure_is_the_same_as_in_process() -> None:
    path = corpus("bad_pdf_encrypted_userpw_libreoffice.pdf")
    in_process, isolated = RecordingHooks(), RecordingHooks()
    with pytest.raises(PipelineFailed) as expected:
        run_pipeline(source(path), default_stages(), in_process)
    with pytest.raises(PipelineFailed) as failure:
        run_isolated(source(path), default_stages(), isolated)
    assert failure.value.error == expected.value.error
    assert failure.value.error["type"] == "encrypted_file"
    assert isolated.calls == in_process.calls
    assert isolated.calls[-1] == ("failed", "parse", "encrypted_file")


def test_png_bomb_is_limit_exceeded(tmp_path: Path) -> None:
    hooks = RecordingHooks()
    with pytest.raises(PipelineFailed) as failure:
        run_isolated(source(png_bomb(tmp_path / "bomb.png")), default_stages(), hooks)
    assert failure.value.error["type"] == "limit_exceeded"
    assert failure.value.error["stage"] == "parse"
    assert hooks.calls[-1] == ("failed", "parse", "limit_exceeded")


def test_pdf_bomb_hits_the_memory_limit_and_the_parent_goes_on(tmp_path: Path) -> None:
    """GIVEN a 4 MB PDF whose content stream inflates to 4 GiB WHEN parsed with 512 MiB
    THEN PDFium dies on the memory limit in the child, the job fails as limit_exceeded, the next one succeeds."""
    path = pdf_bomb(tmp_path / "bomb.pdf", gibibytes=4)
    started = time.monotonic()
    with pytest.raises(PipelineFailed) as failure:
        run_isolated(source(path), default_stages(), RecordingHooks(), Limits(timeout_seconds=30, max_memory_mb=512))
    assert time.monotonic() - started < 20
    assert failure.value.error["type"] == "limit_exceeded"
    assert failure.value.error["stage"] == "parse"
    assert "memory limit of 512 MiB" in failure.value.error["message"]
    result = run_isolated(source(corpus("pdf_arxiv_2201.00200.pdf")), default_stages())
    assert "helioseismology" in result["text"]


@pytest.fixture(scope="module")
def long_text(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 MB of prose: seconds of CPU and hundreds of MiB for the pipeline."""
    path = tmp_path_factory.mktemp("sandbox") / "long.txt"
    line = b"The quick brown fox jumps over the lazy dog, again and again.\n"
    path.write_bytes(line * (40 * 1024 * 1024 // len(line)))
    return path


def test_python_memory_error_is_limit_exceeded(long_text: Path) -> None:
    """GIVEN a 40 MB text file and 256 MiB THEN Python's MemoryError in the child becomes limit_exceeded."""
    with pytest.raises(PipelineFailed) as failure:
        run_isolated(source(long_text), default_stages(), RecordingHooks(), Limits(max_memory_mb=256))
    assert failure.value.error["type"] == "limit_exceeded"
    assert "memory" in failure.value.error["message"]


def test_cpu_limit_is_limit_exceeded(long_text: Path) -> None:
    """GIVEN a document that needs seconds of CPU WHEN the child may use 1 THEN the kernel stops it (SIGXCPU).

    Memory is no limit here (4 GiB): the 40 MB text also needs hundreds of MiB, and which limit a warm child
    meets first would depend on what it parsed before."""
    limits = Limits(timeout_seconds=60, max_cpu_seconds=1, max_memory_mb=4096)
    with pytest.raises(PipelineFailed) as failure:
        run_isolated(source(long_text), default_stages(), RecordingHooks(), limits)
    assert failure.value.error["type"] == "limit_exceeded"
    assert failure.value.error["message"] == "the document needed more than the CPU time limit of 1 s"


def test_wall_clock_timeout_kills_the_child_and_its_ocr() -> None:
    """GIVEN a 619-page PDF read with OCR on every page WHEN the limit is 1 s
    THEN the parse stage fails as timeout after ~1 s, Tesseract processes are gone, and the next job runs."""
    hooks = RecordingHooks()
    started = time.monotonic()
    with pytest.raises(PipelineFailed) as failure:
        run_isolated(source(corpus("pdf_large_DA-619p.pdf")), _stages(ocr="always", timeout_seconds=1), hooks)
    assert time.monotonic() - started < 4
    assert failure.value.error == {
        "type": "timeout",
        "message": "stage 'parse' did not finish within the time limit of 1 s (parse.timeout_seconds)",
        "stage": "parse",
        "retryable": False,
    }
    assert hooks.calls[-1] == ("failed", "parse", "timeout")
    _assert_no_tesseract_left()
    result = run_isolated(source(corpus("img_tika_testOCR.png")), default_stages())
    assert result["text"] == "This file contains some words."


def test_cancellation_kills_the_child() -> None:
    """GIVEN the job is cancelled while a long parse runs THEN StopPipeline is raised and no stage is failed."""
    hooks = RecordingHooks(cancel_after=("started", "parse", 2, 5))
    started = time.monotonic()
    with pytest.raises(StopPipeline):
        run_isolated(source(corpus("pdf_large_DA-619p.pdf")), _stages(ocr="always"), hooks)
    assert time.monotonic() - started < 5
    assert hooks.calls[-1] == ("started", "parse", 2, 5)
    _assert_no_tesseract_left()


def test_stop_raised_by_a_hook_propagates() -> None:
    class LostLease(RecordingHooks):
        def stage_started(self, name: str, index: int, total: int) -> None:
            super().stage_started(name, index, total)
            if name == "detect":
                raise StopPipeline("the job was taken over")

    hooks = LostLease()
    with pytest.raises(StopPipeline, match="taken over"):
        run_isolated(source(corpus("pdf_arxiv_2201.00200.pdf")), default_stages(), hooks)
    assert hooks.calls == [("started", "ingest", 0, 5), ("finished", "ingest"), ("started", "detect", 1, 5)]


def test_limits_come_from_the_parse_stage() -> None:
    assert Limits.from_stages(default_stages()) == Limits(timeout_seconds=300, max_memory_mb=1024)
    limits = Limits.from_stages(_stages(timeout_seconds=20, max_memory_mb=512))
    assert limits == Limits(timeout_seconds=20, max_memory_mb=512)
    assert limits.cpu_seconds == 30


@pytest.mark.parametrize(
    ("options", "field", "message"),
    [
        ({"timeout_seconds": 0}, "timeout_seconds", "must be at least 1"),
        ({"timeout_seconds": 7200}, "timeout_seconds", "must be at most 3600"),
        ({"max_memory_mb": 64}, "max_memory_mb", "must be at least 256"),
        ({"max_memory_mb": 1.5}, "max_memory_mb", "must be an integer"),
        ({"ocr_max_pages": 0}, "ocr_max_pages", "must be at least 1"),
    ],
)
def test_limit_options_are_validated(options: dict, field: str, message: str) -> None:
    stages = [config.to_dict() for config in _stages(**options)]
    _, errors = validate_stages(stages)
    assert [error.to_dict() for error in errors] == [{"field": f"stages[2].options.{field}", "message": message}]


def test_two_worker_threads_run_jobs_at_once() -> None:
    """A worker runs two jobs at a time from two threads: each gets its own child and its own hooks calls."""
    names = ["pdf_arxiv_2201.00200.pdf", "html_tika_testHTML.html"] * 4
    results: dict[int, tuple[dict, RecordingHooks]] = {}

    def work(index: int) -> None:
        hooks = RecordingHooks()
        results[index] = (run_isolated(source(corpus(names[index])), default_stages(), hooks), hooks)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(len(names))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == list(range(len(names)))
    for index, (result, hooks) in results.items():
        assert result["metadata"]["mime_type"] == ("application/pdf" if index % 2 == 0 else "text/html")
        assert hooks.calls == _all_succeeded()


def _last_used_child() -> int:
    """The pid of the child that ran the latest successful document: it went back to the idle pool last."""
    return sandbox._spares._idle[-1].process.pid


def _start_from_a_fresh_child() -> None:
    """A failure ends the child in use, so earlier tests' children (and how many documents they ran) don't count."""
    with pytest.raises(PipelineFailed):
        run_isolated(source(corpus("bad_pdf_encrypted_userpw_libreoffice.pdf")), default_stages())


def _gone(pid: int) -> bool:
    deadline = time.monotonic() + 5
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not Path(f"/proc/{pid}").exists()


def test_limits_hold_per_document_in_a_reused_child() -> None:
    """GIVEN a CPU limit of 1 s per document WHEN children run documents that need ~0.15 s each
    THEN every one succeeds, and one child ran at least ten of them (over 1 s of CPU in all): the limit counts
    each document's CPU time, not the child's whole life.

    Which idle child takes the next document depends on when spares finish starting, so the test counts the
    documents each child ran instead of following one pid."""
    limits = Limits(timeout_seconds=60, max_cpu_seconds=1)
    path = corpus("txt_war-and-peace-1225p.txt")
    _start_from_a_fresh_child()
    before = {child.process.pid: child.jobs for child in sandbox._spares._idle}
    # Twenty, so that even if a spare takes over once halfway, one child runs ten.
    for _ in range(20):
        assert run_isolated(source(path), default_stages(), limits=limits)["text"]
    ran = [child.jobs - before.get(child.process.pid, 0) for child in sandbox._spares._idle]
    assert max(ran) >= 10


def test_a_worn_out_child_retires(monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN children retire after 2 documents THEN the third runs in another child and the first one exits."""
    monkeypatch.setattr(sandbox, "MAX_JOBS_PER_CHILD", 2)
    path = corpus("html_tika_testHTML.html")
    _start_from_a_fresh_child()
    run_isolated(source(path), default_stages())
    first = _last_used_child()
    run_isolated(source(path), default_stages())
    assert _gone(first)
    run_isolated(source(path), default_stages())
    assert _last_used_child() != first
