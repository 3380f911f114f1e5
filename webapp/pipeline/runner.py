"""Runs a document through a pipeline's stages, timing each and reporting to the caller's hooks."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Protocol

from webapp.pipeline.base import StageContext
from webapp.pipeline.config import StageConfig, resolved_options
from webapp.pipeline.document import Source
from webapp.pipeline.errors import InternalError, LimitExceededError, StageError, StopPipeline
from webapp.pipeline.registry import stage_class

log = logging.getLogger(__name__)


class RunHooks(Protocol):
    """How the runner tells its caller what happens. The worker writes these to the database."""

    def stage_started(self, name: str, index: int, total: int) -> None: ...

    def stage_finished(self, name: str, duration_ms: int) -> None: ...

    def stage_failed(self, name: str, duration_ms: int, error: dict[str, Any]) -> None: ...

    def check_cancelled(self) -> None:
        """Raise StopPipeline when the run should stop."""


class NoHooks:
    def stage_started(self, name: str, index: int, total: int) -> None:
        pass

    def stage_finished(self, name: str, duration_ms: int) -> None:
        pass

    def stage_failed(self, name: str, duration_ms: int, error: dict[str, Any]) -> None:
        pass

    def check_cancelled(self) -> None:
        pass


@dataclass(slots=True)
class PipelineFailed(Exception):
    """A stage failed; ``error`` is the job error object (type, message, stage, retryable)."""

    error: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.error['stage']}: {self.error['type']}: {self.error['message']}"


def run_pipeline(source: Source, stages: list[StageConfig], hooks: RunHooks | None = None) -> dict[str, Any]:
    """Run every stage in order and return the result object (without job-level fields).

    Raises PipelineFailed when a stage fails and StopPipeline when the hooks say the job was cancelled.
    """
    hooks = hooks or NoHooks()
    ctx = StageContext(source=source, options=resolved_options(stages), check_cancelled=hooks.check_cancelled)
    total = len(stages)
    for index, config in enumerate(stages):
        hooks.check_cancelled()
        stage = stage_class(config.name)()
        hooks.stage_started(config.name, index, total)
        started = time.perf_counter()
        try:
            stage.run(ctx)
        except StopPipeline:
            raise
        except StageError as exc:
            _fail(hooks, config.name, started, exc)
        except MemoryError:
            _fail(hooks, config.name, started, LimitExceededError("the document needs more memory than allowed"))
        except Exception as exc:
            log.exception("unexpected error in stage %s", config.name)
            _fail(hooks, config.name, started, InternalError(f"unexpected {type(exc).__name__}: {exc}"))
        duration_ms = _elapsed_ms(started)
        ctx.timings[config.name] = duration_ms
        hooks.stage_finished(config.name, duration_ms)
    result = dict(ctx.output)
    result["timings"] = dict(ctx.timings)
    if ctx.detection is not None:
        result.setdefault("metadata", {}).setdefault("mime_type", ctx.detection.mime_type)
    return result


def _elapsed_ms(started: float) -> int:
    return int(round((time.perf_counter() - started) * 1000))


def _fail(hooks: RunHooks, name: str, started: float, exc: StageError) -> None:
    error = exc.to_dict(name)
    hooks.stage_failed(name, _elapsed_ms(started), error)
    raise PipelineFailed(error) from exc
