"""Shared helpers for the engine tests: corpus paths, parsing a file end to end, token F1 against ground truth."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from webapp.pipeline.base import Parser
from webapp.pipeline.detect import detect
from webapp.pipeline.document import Detection, ParsedDocument, Source
from webapp.pipeline.parsers import BUILTIN_PARSERS

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
OPTIONS: dict[str, Any] = {"ocr": "auto", "ocr_languages": ["eng"], "max_pages": 5000, "tables": True}


def corpus(name: str) -> Path:
    path = CORPUS / name
    if not path.exists():
        raise FileNotFoundError(f"corpus file missing: {path} (the shared corpus must sit beside the project)")
    return path


def expected_text(name: str) -> str:
    for suffix in (".expected.md", ".expected.txt"):
        path = CORPUS / (name + suffix)
        if path.exists():
            return path.read_text(encoding="utf-8")
    raise FileNotFoundError(f"no ground truth for {name}")


def source(path: Path) -> Source:
    return Source(path=path, filename=path.name, size_bytes=path.stat().st_size)


def best_parser(mime_type: str) -> Parser:
    """The registry's rule (highest score wins) over the built-ins, without loading the stages."""
    scored = [(cls.mime_types[mime_type], cls) for cls in BUILTIN_PARSERS if mime_type in cls.mime_types]
    return max(scored, key=lambda pair: pair[0])[1]()


def parse(path: Path, **options: Any) -> tuple[Detection, ParsedDocument]:
    """Detect and parse like the detect and parse stages do."""
    detection = detect(source(path))
    document = best_parser(detection.mime_type).parse(source(path), detection, {**OPTIONS, **options})
    return detection, document


def rewrite_member(path: Path, member: str, transform: Callable[[bytes], bytes]) -> None:
    """Rewrite one member of a zip-based document in place (to plant a bomb, a macro type ...)."""
    with zipfile.ZipFile(path) as archive:
        contents = {info.filename: archive.read(info) for info in archive.infolist()}
    contents[member] = transform(contents[member])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
