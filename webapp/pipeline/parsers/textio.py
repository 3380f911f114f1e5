"""Stream a text file's lines in a known encoding, counting the bytes that had to be replaced."""

from __future__ import annotations

import codecs
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

_ERRORS = "docpipe-count-replace"
_local = threading.local()


@dataclass(slots=True)
class Repairs:
    count: int = 0


def _count_and_replace(exc: UnicodeError) -> tuple[str, int]:
    # The handler cannot be handed state, so the repairs object of the current thread's open file is used.
    repairs: Repairs | None = getattr(_local, "repairs", None)
    if repairs is not None:
        repairs.count += 1
    if isinstance(exc, UnicodeDecodeError):
        return "\ufffd", exc.end
    raise exc


codecs.register_error(_ERRORS, _count_and_replace)


@contextmanager
def open_text(path: Path, encoding: str | None, newline: str | None = None) -> Iterator[tuple[TextIO, Repairs]]:
    """The file as a text stream decoded with ``encoding`` (UTF-8 when unknown or not a known codec)."""
    try:
        codec = codecs.lookup(encoding or "utf-8").name
    except LookupError:
        codec = "utf-8"
    repairs = Repairs()
    previous = getattr(_local, "repairs", None)
    _local.repairs = repairs
    try:
        with open(path, encoding=codec, errors=_ERRORS, newline=newline) as stream:
            yield stream, repairs
    finally:
        _local.repairs = previous


@contextmanager
def open_lines(path: Path, encoding: str | None) -> Iterator[tuple[Iterator[str], Repairs]]:
    """Lines without their line ends, decoded with ``encoding`` (UTF-8 when unknown); universal newlines."""
    with open_text(path, encoding) as (stream, repairs):
        yield (line.rstrip("\n") for line in stream), repairs


def read_text(path: Path, encoding: str | None) -> tuple[str, int]:
    """The whole file decoded, and how many undecodable sequences were replaced."""
    with open_lines(path, encoding) as (lines, repairs):
        text = "\n".join(lines)
    return text, repairs.count
