"""The six built-in stages, in the only order a pipeline may list them."""

from collections.abc import Callable

from webapp.pipeline.stages.chunk import ChunkStage
from webapp.pipeline.stages.detect import DetectStage
from webapp.pipeline.stages.enrich import EnrichStage
from webapp.pipeline.stages.ingest import IngestStage
from webapp.pipeline.stages.output import OutputStage
from webapp.pipeline.stages.parse import ParseStage

BUILTIN_STAGES = (IngestStage, DetectStage, ParseStage, EnrichStage, ChunkStage, OutputStage)


def register_builtins(register: Callable) -> None:
    for stage in BUILTIN_STAGES:
        register(stage)
