"""Stages by stable name, parsers by MIME type with a score. Built-ins are registered explicitly."""

from __future__ import annotations

import threading

from webapp.pipeline.base import Parser, Stage
from webapp.pipeline.errors import UnsupportedFormatError

STAGE_ORDER = ("ingest", "detect", "parse", "enrich", "chunk", "output")

_stages: dict[str, type[Stage]] = {}
_parsers: list[Parser] = []


def register_stage(stage: type[Stage]) -> type[Stage]:
    _stages[stage.name] = stage
    return stage


def register_parser(parser: type[Parser]) -> type[Parser]:
    _parsers.append(parser())
    return parser


def stage_class(name: str) -> type[Stage]:
    _load_builtins()
    return _stages[name]


def stage_names() -> tuple[str, ...]:
    _load_builtins()
    return tuple(name for name in STAGE_ORDER if name in _stages)


def parser_for(mime_type: str) -> Parser:
    _load_builtins()
    best: tuple[int, Parser] | None = None
    for parser in _parsers:
        score = parser.mime_types.get(mime_type)
        if score is not None and (best is None or score > best[0]):
            best = (score, parser)
    if best is None:
        raise UnsupportedFormatError(f"no parser for {mime_type}; supported formats: {', '.join(supported_formats())}")
    return best[1]


def supported_formats() -> list[str]:
    _load_builtins()
    return sorted({mime for parser in _parsers for mime in parser.mime_types})


_loaded = False
_load_lock = threading.Lock()


def _load_builtins() -> None:
    # Worker threads reach this at the same moment: the flag is set only once both lists are complete.
    global _loaded
    if _loaded:
        return
    with _load_lock:
        if _loaded:
            return
        from webapp.pipeline import parsers, stages

        stages.register_builtins(register_stage)
        parsers.register_builtins(register_parser)
        _loaded = True
