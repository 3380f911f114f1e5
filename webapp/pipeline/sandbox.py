"""Run a pipeline in a child process with memory, CPU and wall-clock limits; report progress to the parent's hooks.

``run_isolated`` has ``runner.run_pipeline``'s contract: the same hooks calls, in the same order, in the calling
process (only the caller touches the database), and the same exceptions (PipelineFailed, StopPipeline). The stages
run in a child that the parent can kill without losing anything of its own:

- RLIMIT_AS (``parse.max_memory_mb``) turns a runaway allocation into MemoryError (reported as limit_exceeded by
  the runner) or, inside a C library, into the child's death by signal: also limit_exceeded, naming the limit.
- RLIMIT_CPU (the time limit plus a grace) ends a child that spins even if the parent is gone.
- The wall clock (``parse.timeout_seconds``) is the parent's: it kills the child's whole process group (OCR
  processes included) and fails the stage that was running with a ``timeout`` error.

Children come from a multiprocessing *forkserver* that imported the pipeline once: a new child costs ~7 ms,
against ~95 ms for re-importing the parsers. A fresh process per document, rather than a pool of reused ones,
keeps every limit per document (RLIMIT_CPU counts a process's whole life) and returns all of a document's
memory to the system when it ends; see bench/ocr_and_limits.py for the measurements.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import signal
import sys
import threading
import time
import traceback
import types
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from webapp.pipeline.config import StageConfig, resolved_options
from webapp.pipeline.document import Source
from webapp.pipeline.errors import InternalError, LimitExceededError, StageError, StageTimeoutError
from webapp.pipeline.runner import NoHooks, PipelineFailed, RunHooks, run_pipeline

log = logging.getLogger(__name__)

# Imported once by the forkserver, so children start with them loaded; the warm-up comes last (it freezes the heap).
PRELOAD = ("webapp.pipeline.sandbox", "webapp.pipeline.parsers", "webapp.pipeline.stages")
WARMUP = "webapp.pipeline.sandbox_warmup"
# How often the parent asks the hooks whether the job was cancelled while the child works.
POLL_SECONDS = 0.25
CPU_GRACE_SECONDS = 10
_MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    timeout_seconds: float = 300
    max_memory_mb: int = 1024

    @property
    def cpu_seconds(self) -> int:
        return int(self.timeout_seconds) + CPU_GRACE_SECONDS

    @classmethod
    def from_stages(cls, stages: list[StageConfig]) -> Limits:
        parse = resolved_options(stages).get("parse", {})
        return cls(
            timeout_seconds=parse.get("timeout_seconds", cls.timeout_seconds),
            max_memory_mb=parse.get("max_memory_mb", cls.max_memory_mb),
        )


class SandboxError(RuntimeError):
    """The child failed outside any stage (a bug, not a document problem); carries the child's traceback."""


def run_isolated(
    source: Source, stages: list[StageConfig], hooks: RunHooks | None = None, limits: Limits | None = None
) -> dict[str, Any]:
    """Run every stage in order in a limited child process and return the result object.

    Raises PipelineFailed when a stage fails or a limit is hit, StopPipeline when the hooks say the job was
    cancelled (the child is killed first).
    """
    hooks = hooks or NoHooks()
    limits = limits or Limits.from_stages(stages)
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child_main, args=(sender, source, stages, limits), name=f"docpipe-{source.filename}"[:60], daemon=True
    )
    child.start()
    sender.close()
    try:
        return _Supervisor(child, receiver, hooks, limits, stages).run()
    finally:
        receiver.close()
        _kill(child)
        child.close()


class _Supervisor:
    """The parent's side: relays the child's messages to the hooks, enforces the clock, watches for cancellation."""

    def __init__(
        self,
        child: multiprocessing.process.BaseProcess,
        receiver: Connection,
        hooks: RunHooks,
        limits: Limits,
        stages: list[StageConfig],
    ) -> None:
        self.child = child
        self.receiver = receiver
        self.hooks = hooks
        self.limits = limits
        self.deadline = time.monotonic() + limits.timeout_seconds
        self.stage = stages[0].name if stages else None
        self.stage_started = time.perf_counter()

    def run(self) -> dict[str, Any]:
        while True:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                self._fail(
                    StageTimeoutError(
                        f"stage {self.stage!r} did not finish within the time limit of "
                        f"{self.limits.timeout_seconds:g} s (parse.timeout_seconds)",
                        retryable=False,
                    )
                )
            ready = wait([self.receiver, self.child.sentinel], timeout=min(remaining, POLL_SECONDS))
            if self.receiver in ready or self.receiver.poll():
                try:
                    message = self.receiver.recv()
                except EOFError:
                    self._child_died()
                result = self._handle(message)
                if result is not None:
                    return result
            elif self.child.sentinel in ready:
                self._child_died()
            else:
                self.hooks.check_cancelled()  # what a stage's ctx.check_cancelled does in-process

    def _handle(self, message: tuple) -> dict[str, Any] | None:
        kind = message[0]
        if kind == "started":
            _, name, index, total = message
            self.hooks.check_cancelled()
            self.stage, self.stage_started = name, time.perf_counter()
            self.hooks.stage_started(name, index, total)
        elif kind == "finished":
            self.hooks.stage_finished(message[1], message[2])
        elif kind == "failed":
            _, name, duration_ms, error = message
            self.hooks.stage_failed(name, duration_ms, error)
            raise PipelineFailed(error)
        elif kind == "result":
            return message[1]
        elif kind == "crashed":
            raise SandboxError(f"the pipeline failed outside its stages:\n{message[1]}")
        return None

    def _child_died(self) -> None:
        self.child.join(5)
        code = self.child.exitcode
        if code is not None and code < 0:
            self._fail(LimitExceededError(self._signal_message(-code)))
        self._fail(InternalError(f"the parsing process ended unexpectedly (exit status {code})"))

    def _signal_message(self, number: int) -> str:
        name = _signal_name(number)
        cpu, memory = self.limits.cpu_seconds, self.limits.max_memory_mb
        if number == signal.SIGXCPU:
            return f"the document needed more than the CPU time limit of {cpu} s"
        if number == signal.SIGKILL:
            return (
                f"the parsing process was killed ({name}): it exceeded the CPU time limit of {cpu} s "
                f"or the machine ran out of memory"
            )
        return (
            f"the parsing process died ({name}) in stage {self.stage!r}, most likely on reaching the memory "
            f"limit of {memory} MiB (parse.max_memory_mb)"
        )

    def _fail(self, exc: StageError) -> None:
        _kill(self.child)
        duration_ms = int(round((time.perf_counter() - self.stage_started) * 1000))
        error = exc.to_dict(self.stage)
        self.hooks.stage_failed(self.stage or "", duration_ms, error)
        raise PipelineFailed(error) from exc


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _kill(child: multiprocessing.process.BaseProcess) -> None:
    """End the child and everything it started: OCR processes share its process group, and may outlive it."""
    if child.pid is None:
        return
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # no group (left already, or not yet made)
    if child.exitcode is None:
        child.kill()
    child.join()


# --- the child ---------------------------------------------------------------------------------------------------


class _PipeHooks:
    """The runner's hooks inside the child: every call becomes a message to the parent."""

    def __init__(self, sender: Connection) -> None:
        self.sender = sender

    def stage_started(self, name: str, index: int, total: int) -> None:
        self.sender.send(("started", name, index, total))

    def stage_finished(self, name: str, duration_ms: int) -> None:
        self.sender.send(("finished", name, duration_ms))

    def stage_failed(self, name: str, duration_ms: int, error: dict[str, Any]) -> None:
        self.sender.send(("failed", name, duration_ms, error))

    def check_cancelled(self) -> None:
        """The parent watches for cancellation and kills this process."""


def _child_main(sender: Connection, source: Source, stages: list[StageConfig], limits: Limits) -> None:
    os.setpgrp()  # so the parent can kill OCR processes with the child
    _set_limits(limits)
    try:
        output = run_pipeline(source, stages, _PipeHooks(sender))
    except PipelineFailed:
        return  # the parent has the failure from stage_failed
    except Exception:  # noqa: BLE001 (reported to the parent, which raises it there)
        sender.send(("crashed", traceback.format_exc()[-4000:]))
        return
    try:
        sender.send(("result", output))
    except MemoryError:
        error = LimitExceededError("the result is larger than the memory limit allows").to_dict("output")
        sender.send(("failed", "output", 0, error))


def _set_limits(limits: Limits) -> None:
    memory = limits.max_memory_mb * _MIB
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


# --- the forkserver ----------------------------------------------------------------------------------------------

_context_lock = threading.Lock()
_forkserver: multiprocessing.context.ForkServerContext | None = None


def _context() -> multiprocessing.context.ForkServerContext:
    global _forkserver
    with _context_lock:
        if _forkserver is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([*PRELOAD, *_main_imports(), WARMUP])
            _forkserver = context
        return _forkserver


def _main_imports() -> list[str]:
    """Modules the main script's globals come from. Each child re-runs the main script (as __mp_main__); with
    these already imported by the forkserver that costs nothing (measured: 95 ms -> 7 ms per child under
    huey_consumer)."""
    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__spec__", None) is not None:
        return []  # run with -m: the child does not re-run it
    names = set()
    for value in vars(main).values():
        name = value.__name__ if isinstance(value, types.ModuleType) else getattr(value, "__module__", None)
        if isinstance(name, str) and name in sys.modules and not name.startswith(("__", "builtins")):
            names.add(name)
    return sorted(names)
