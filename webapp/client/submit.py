"""``docpipe submit``: upload files in parallel, optionally wait for them and write their results to a folder."""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .client import FINISHED, DocpipeClient
from .errors import DocpipeError, WaitTimeout

SUFFIXES = {"text": ".txt", "markdown": ".md", "json": ".json", "chunks": ".jsonl"}
FORMATS = tuple(SUFFIXES)
CHUNK_STAGE = "chunk"
EXIT_OK, EXIT_FAILED, EXIT_TIMEOUT = 0, 1, 5


class UsageError(Exception):
    """Bad arguments found after parsing (a missing file, nothing to submit): exit status 2."""


@dataclass
class Item:
    """One input file and what became of it."""

    path: Path
    output: Path | None = None
    job: dict[str, Any] | None = None
    rejected: DocpipeError | None = None  # the server refused the upload itself (e.g. 413 too large)

    @property
    def status(self) -> str:
        return "rejected" if self.rejected else (self.job or {}).get("status", "unknown")

    def record(self, written: Path | None = None) -> dict[str, Any]:
        job = self.job or {}
        error = job.get("error")
        if self.rejected:
            error = {"type": "rejected", "status": self.rejected.status, "message": str(self.rejected)}
        return {
            "job_id": job.get("id"),
            "status": self.status,
            "file": str(self.path),
            "output": str(written) if written else None,
            "error": error,
        }


def fetch_result(client: DocpipeClient, job_id: str, fmt: str) -> str:
    """A job's result as the text of a file in format ``fmt``: text, Markdown, indented JSON, or the chunks as
    JSON lines (``GET /jobs/{id}/chunks?format=jsonl``)."""
    if fmt == "chunks":
        return client.chunks_jsonl(job_id)
    result = client.result(job_id, fmt)
    return result if isinstance(result, str) else json.dumps(result, ensure_ascii=False, indent=2) + "\n"


def check_chunk_stage(client: DocpipeClient, pipeline: str | None) -> None:
    """Before anything is uploaded: chunks need a pipeline with the chunk stage (the default has none)."""
    found = client.get_pipeline(pipeline or "default")
    if not any(stage.get("name") == CHUNK_STAGE for stage in found.get("stages") or []):
        raise UsageError(
            f"--format chunks: pipeline {found.get('name')!r} has no chunk stage; "
            "choose one that has it with --pipeline, or add the stage on the dashboard's Pipelines page"
        )


def expand_inputs(names: list[str]) -> list[Path]:
    """Files as given; a folder stands for its files (not sub-folders, not hidden files) in sorted order."""
    paths: list[Path] = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            paths.extend(sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")))
        elif path.is_file():
            paths.append(path)
        else:
            raise UsageError(f"{name}: no such file or folder")
    if not paths:
        raise UsageError("nothing to submit: the folders given hold no files")
    return paths


def output_paths(paths: list[Path], directory: Path, suffix: str) -> list[Path]:
    """``<stem><suffix>`` in ``directory`` for each input; a stem already taken gets ``-2``, ``-3``, ... so
    that two inputs never write to one file (compared case-insensitively, for case-insensitive disks)."""
    taken: set[str] = set()
    outputs = []
    for path in paths:
        stem = path.stem or path.name
        candidate, number = stem, 1
        while candidate.casefold() in taken:
            number += 1
            candidate = f"{stem}-{number}"
        taken.add(candidate.casefold())
        outputs.append(directory / f"{candidate}{suffix}")
    return outputs


class Progress:
    """done/failed/total on stderr: a redrawn bar on a terminal, a plain line per finished job otherwise."""

    def __init__(self, total: int, stream: TextIO, enabled: bool) -> None:
        self.total, self.stream, self.enabled = total, stream, enabled
        self.tty = enabled and stream.isatty()
        self.uploaded = self.done = self.failed = 0
        self._last: tuple[int, str] | None = None

    def uploaded_one(self) -> None:
        self.uploaded += 1
        if self.tty:
            self._draw(self.uploaded, f"uploaded {self.uploaded}/{self.total}")

    def finished_one(self, ok: bool) -> None:
        self.done += ok
        self.failed += not ok
        finished = self.done + self.failed
        text = f"{finished}/{self.total} finished: {self.done} done, {self.failed} failed"
        if self.tty:
            self._draw(finished, text)
        elif self.enabled:
            print(f"docpipe: {text}", file=self.stream, flush=True)

    def clear(self) -> None:
        """Take the bar off the line before something else is printed to the terminal."""
        if self.tty and self._last:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def redraw(self) -> None:
        if self.tty and self._last:
            self._draw(*self._last)

    def close(self) -> None:
        if self.tty and self._last:
            self.stream.write("\n")
            self.stream.flush()
            self._last = None

    def _draw(self, count: int, text: str) -> None:
        width = 30
        filled = width * count // max(1, self.total)
        self.stream.write(f"\r\033[K[{'#' * filled}{'.' * (width - filled)}] {text}")
        self.stream.flush()
        self._last = (count, text)


class SubmitCommand:
    def __init__(self, client: DocpipeClient, args: Any, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> None:
        self.client, self.args, self.out, self.err = client, args, out, err
        self.wait = bool(args.wait or args.output)
        self.items = [Item(path) for path in expand_inputs(args.files)]
        if args.output:
            outputs = output_paths([item.path for item in self.items], Path(args.output), SUFFIXES[args.format])
            for item, output in zip(self.items, outputs, strict=True):
                item.output = output
        self.progress = Progress(len(self.items), err, enabled=self.wait and len(self.items) > 1)

    def run(self) -> int:
        if self.args.output and self.args.format == "chunks":
            check_chunk_stage(self.client, self.args.pipeline)
        if self.args.output:
            Path(self.args.output).mkdir(parents=True, exist_ok=True)
        try:
            self._upload_all()
        except DocpipeError:
            for item in self.items:
                if item.job:  # created before the failure: say so, a retry would submit them again
                    self._report(item)
            raise
        if not self.wait:
            for item in self.items:
                self._report(item)
            return EXIT_FAILED if any(item.rejected for item in self.items) else EXIT_OK
        for item in self.items:
            if item.rejected:
                self._finished(item)
        by_id = {item.job["id"]: item for item in self.items if item.job}
        try:
            self.client.wait(list(by_id), timeout=self.args.timeout, on_update=lambda job: self._update(by_id, job))
        except WaitTimeout as exc:
            self.progress.close()
            for item in by_id.values():
                if item.job["status"] not in FINISHED:
                    item.job = exc.jobs.get(item.job["id"], item.job)
                    self._report(item)
            print(f"docpipe: timed out: {exc}", file=self.err)
            return EXIT_TIMEOUT
        self.progress.close()
        return EXIT_OK if all(item.status == "succeeded" for item in self.items) else EXIT_FAILED

    def _upload_all(self) -> None:
        workers = max(1, min(self.args.concurrency, len(self.items)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="docpipe-upload") as pool:
            futures = [pool.submit(self._upload, item) for item in self.items]
            try:
                for future in as_completed(futures):
                    future.result()
                    self.progress.uploaded_one()
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise

    def _upload(self, item: Item) -> None:
        args = self.args
        try:
            item.job = self.client.submit(item.path, args.pipeline, args.priority, args.labels or None)
        except DocpipeError as exc:
            if exc.status != 413:
                raise
            # Too large for this server: that file fails, the others go on.
            item.rejected = exc

    def _update(self, by_id: dict[str, Item], job: dict[str, Any]) -> None:
        item = by_id[job["id"]]
        item.job = job
        if job["status"] in FINISHED:
            self._finished(item)

    def _finished(self, item: Item) -> None:
        written = None
        if item.status == "succeeded" and item.output is not None:
            written = self._write_result(item)
        self.progress.finished_one(item.status == "succeeded")
        self._report(item, written)

    def _write_result(self, item: Item) -> Path:
        assert item.job is not None and item.output is not None
        text = fetch_result(self.client, item.job["id"], self.args.format)
        item.output.write_text(text, encoding="utf-8", newline="")
        return item.output

    def _report(self, item: Item, written: Path | None = None) -> None:
        """One line on stdout per job; why a job failed goes to stderr."""
        record = item.record(written)
        self.progress.clear()
        if self.args.json:
            print(json.dumps(record, ensure_ascii=False), file=self.out, flush=True)
        else:
            print(f"{record['job_id'] or '-'}\t{record['status']}\t{record['file']}", file=self.out, flush=True)
            if record["error"] and item.status != "succeeded":
                error = record["error"]
                print(f"docpipe: {item.path}: {error.get('type')}: {error.get('message')}", file=self.err)
        self.progress.redraw()
