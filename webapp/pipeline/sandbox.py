"""Run a pipeline in a child process with memory, CPU and wall-clock limits; report progress to the parent's hooks.

``run_isolated`` has ``runner.run_pipeline``'s contract: the same hooks calls, in the same order, in the calling
process (only the caller touches the database), and the same exceptions (PipelineFailed, StopPipeline). The stages
run in a child that the parent can kill without losing anything of its own:

- RLIMIT_AS (``parse.max_memory_mb``) turns a runaway allocation into MemoryError (reported as limit_exceeded by
  the runner) or, inside a C library, into the child's death by signal: also limit_exceeded, naming the limit.
- RLIMIT_CPU (the time limit plus a grace) ends a child that spins even if the parent is gone.
- The wall clock (``parse.timeout_seconds``) is the parent's: it kills the child's whole process group (OCR
  processes included) and fails the stage that was running with a ``timeout`` error.
- A result larger than ``Limits.max_result_mb`` as JSON (``DOCPIPE_MAX_RESULT_MB``, estimated by
  ``resultsize.json_size``) fails the output stage with limit_exceeded in the child, before it is copied out.

A child runs several documents in turn, never two at once, and is replaced as soon as anything goes wrong: a
failed stage, a crash, a timeout, a limit or a cancellation kills it, and it retires after MAX_JOBS_PER_CHILD
successful documents or once its resident memory grew by MAX_GROWTH_MB over what it had after its first one
(so a library's caches or a leak stay bounded, and the memory goes back to the system). The limits still hold
per document: before each one the child re-bases its CPU limit on the CPU time it has used so far and its
address-space limit on what it has grown since it started. Reusing a child saves the fork and, above all, the
copy-on-write faults every fresh child takes on the warmed heap (measured in bench/report.py, section
"platform overhead"). Children are forked by a multiprocessing *forkserver* that imported and warmed the
pipeline once (``sandbox_warmup``): ~5 ms to a running child, against ~95 ms for a fresh interpreter importing
the parsers; a spare is forked ahead of need whenever none is idle, and a retired child is collected by a later
call rather than waited for.
"""

from __future__ import annotations

import logging
import math
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
from webapp.pipeline.resultsize import json_size
from webapp.pipeline.runner import NoHooks, PipelineFailed, RunHooks, run_pipeline

log = logging.getLogger(__name__)

# Imported once by the forkserver, so children start with them loaded; the warm-up comes last (it freezes the heap).
PRELOAD = ("webapp.pipeline.sandbox", "webapp.pipeline.parsers", "webapp.pipeline.stages")
WARMUP = "webapp.pipeline.sandbox_warmup"
# How often the parent asks the hooks whether the job was cancelled while the child works.
POLL_SECONDS = 0.25
CPU_GRACE_SECONDS = 10
# Idle children kept ready: one per worker thread (the worker runs two).
SPARES = 2
# A child retires after this many successful documents, or once its RSS grew this much since its first one.
MAX_JOBS_PER_CHILD = 200
MAX_GROWTH_MB = 64
# A finished job's child that has not exited after this long is killed.
LINGER_SECONDS = 30
_MIB = 1024 * 1024
DEFAULT_MAX_RESULT_MB = 64


@dataclass(frozen=True, slots=True)
class Limits:
    timeout_seconds: float = 300
    max_memory_mb: int = 1024
    # None: the time limit plus a grace, a backstop for a child whose parent is gone.
    max_cpu_seconds: int | None = None
    # A larger result (as JSON) fails the output stage in the child, before it is copied out (0: no cap).
    max_result_mb: int = DEFAULT_MAX_RESULT_MB

    @property
    def cpu_seconds(self) -> int:
        if self.max_cpu_seconds is not None:
            return self.max_cpu_seconds
        return int(self.timeout_seconds) + CPU_GRACE_SECONDS

    @classmethod
    def from_stages(cls, stages: list[StageConfig], max_result_mb: int = DEFAULT_MAX_RESULT_MB) -> Limits:
        parse = resolved_options(stages).get("parse", {})
        return cls(
            timeout_seconds=parse.get("timeout_seconds", cls.timeout_seconds),
            max_memory_mb=parse.get("max_memory_mb", cls.max_memory_mb),
            max_result_mb=max_result_mb,
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
    _reap()
    child = _spares.take()
    try:
        child.connection.send((source, stages, limits))
    except OSError:  # the idle child died (killed from outside): use a new one
        child.close()
        child = _Child.start()
        child.connection.send((source, stages, limits))
    try:
        _spares.refill()  # none idle: fork the next job's child while this one works
        result = _Supervisor(child, hooks, limits, stages).run()
    except BaseException:
        child.close()
        raise
    _spares.give_back(child)
    return result


class _Supervisor:
    """The parent's side: relays the child's messages to the hooks, enforces the clock, watches for cancellation."""

    def __init__(self, child: _Child, hooks: RunHooks, limits: Limits, stages: list[StageConfig]) -> None:
        self.child = child
        self.receiver = child.connection
        self.process = child.process
        self.hooks = hooks
        self.limits = limits
        self.deadline = time.monotonic() + limits.timeout_seconds
        self.names = [config.name for config in stages]
        # The stage the child is in, or about to start: a limit hit now is charged to it.
        self.stage = self.names[0] if self.names else None
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
            ready = wait([self.receiver, self.process.sentinel], timeout=min(remaining, POLL_SECONDS))
            if self.receiver in ready or self.receiver.poll():
                try:
                    message = self.receiver.recv()
                except EOFError:
                    self._child_died()
                result = self._handle(message)
                if result is not None:
                    return result
            elif self.process.sentinel in ready:
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
            _, name, duration_ms = message
            self.hooks.stage_finished(name, duration_ms)
            following = self.names.index(name) + 1
            if following < len(self.names):
                self.stage, self.stage_started = self.names[following], time.perf_counter()
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
        self.process.join(5)
        code = self.process.exitcode
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
        self.child.kill()
        duration_ms = int(round((time.perf_counter() - self.stage_started) * 1000))
        error = exc.to_dict(self.stage)
        self.hooks.stage_failed(self.stage or "", duration_ms, error)
        raise PipelineFailed(error) from exc


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


@dataclass(slots=True)
class _Child:
    """A child process and the parent's end of its pipe (documents go down it, progress comes back)."""

    process: multiprocessing.process.BaseProcess
    connection: Connection
    jobs: int = 0
    # Its resident memory after its first document: the base its growth is measured from.
    first_rss: int = 0

    @classmethod
    def start(cls) -> _Child:
        context = _context()
        parent_end, child_end = context.Pipe()
        process = context.Process(target=_child_main, args=(child_end,), name="docpipe-sandbox", daemon=True)
        process.start()
        child_end.close()
        return cls(process, parent_end)

    def worn_out(self) -> bool:
        """Count a successful document; True when the child should retire rather than take another."""
        self.jobs += 1
        rss = _rss_bytes(self.process.pid)
        if self.jobs == 1:
            self.first_rss = rss
        return self.jobs >= MAX_JOBS_PER_CHILD or rss - self.first_rss > MAX_GROWTH_MB * _MIB

    def retire(self) -> None:
        """Let the child exit on its own (it sees the pipe close) and have a later call collect it."""
        self.connection.close()
        with _lock:
            _finished.append((time.monotonic(), self))

    def kill(self) -> None:
        """End the child and everything it started: OCR processes share its process group, and may outlive it."""
        if self.process.pid is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass  # no group (left already, or not yet made)
        if self.process.exitcode is None:
            self.process.kill()
        self.process.join()

    def close(self) -> None:
        if not self.connection.closed:
            self.connection.close()
        self.kill()
        self.process.close()


def _rss_bytes(pid: int | None) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


class _Spares:
    """Idle children waiting for a document: warm ones back from a job, or spares forked ahead of need."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._idle: list[_Child] = []

    def take(self) -> _Child:
        """The most recently used idle child (its pages are the warmest), or a new one when none is alive."""
        while True:
            with _lock:
                child = self._idle.pop() if self._idle else None
            if child is None:
                return _Child.start()
            if child.process.exitcode is None:
                return child
            child.close()  # died while idle (killed from outside)

    def refill(self) -> None:
        with _lock:
            if self._idle:
                return
        spare = _Child.start()
        with _lock:
            # At the cold end: a warm child given back while the spare started is still the one taken next.
            self._idle.insert(0, spare)

    def give_back(self, child: _Child) -> None:
        """After a successful document: keep the child for the next one, unless it is worn out or enough wait."""
        if child.worn_out():
            child.retire()
            return
        with _lock:
            if len(self._idle) < self.size:
                self._idle.append(child)
                return
        child.retire()


def _reap() -> None:
    """Close the children of finished jobs that have exited; kill any that linger."""
    now = time.monotonic()
    with _lock:
        finished = list(_finished)
        _finished.clear()
    for ended, child in finished:
        if child.process.exitcode is not None or now - ended > LINGER_SECONDS:
            child.close()
        else:
            with _lock:
                _finished.append((ended, child))


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


def _child_main(connection: Connection) -> None:
    os.setpgrp()  # so the parent can kill OCR processes with the child
    start_vm = _vm_bytes()
    while True:
        try:
            source, stages, limits = connection.recv()
        except EOFError:
            return  # retired or unused: the parent closed the pipe, or is gone
        _set_limits(limits, _vm_bytes() - start_vm)
        if not _run_one(connection, source, stages, limits.max_result_mb):
            return  # anything but success: the parent replaces this process


def _run_one(connection: Connection, source: Source, stages: list[StageConfig], max_result_mb: int) -> bool:
    try:
        output = run_pipeline(source, stages, _PipeHooks(connection))
    except PipelineFailed:
        return False  # the parent has the failure from stage_failed
    except Exception:  # noqa: BLE001 (reported to the parent, which raises it there)
        connection.send(("crashed", traceback.format_exc()[-4000:]))
        return False
    size = json_size(output) if max_result_mb else 0
    try:
        if size > max_result_mb * _MIB:
            raise LimitExceededError(
                f"the result would be {math.ceil(size / _MIB)} MB; DOCPIPE_MAX_RESULT_MB is {max_result_mb}"
            )
        connection.send(("result", output))
    except LimitExceededError as exc:
        connection.send(("failed", "output", 0, exc.to_dict("output")))
        return False
    except MemoryError:
        error = LimitExceededError("the result is larger than the memory limit allows").to_dict("output")
        connection.send(("failed", "output", 0, error))
        return False
    return True


def _set_limits(limits: Limits, grown_bytes: int) -> None:
    """Limits for the next document alone: the CPU time used so far and the memory earlier documents left
    behind do not count against it (the soft limits move; the hard ones stay where the forkserver had them)."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    _set_soft(resource.RLIMIT_CPU, math.ceil(used.ru_utime + used.ru_stime) + limits.cpu_seconds)
    _set_soft(resource.RLIMIT_AS, limits.max_memory_mb * _MIB + max(0, grown_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _set_soft(which: int, value: int) -> None:
    hard = resource.getrlimit(which)[1]
    resource.setrlimit(which, (value if hard == resource.RLIM_INFINITY else min(value, hard), hard))


def _vm_bytes() -> int:
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


# --- the forkserver ----------------------------------------------------------------------------------------------

_lock = threading.Lock()
_forkserver: multiprocessing.context.ForkServerContext | None = None
# Retired children, with the time they retired: they exit on their own and are closed by a later call.
_finished: list[tuple[float, _Child]] = []
_spares = _Spares(SPARES)


def _context() -> multiprocessing.context.ForkServerContext:
    global _forkserver
    with _lock:
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
