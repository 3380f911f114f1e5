"""Token counters for chunk sizes: ``words`` (built in) and HuggingFace ``tokenizer.json`` files read from disk.

An operator puts tokenizer files in the folder ``DOCPIPE_TOKENIZERS_DIR`` names; ``hf:NAME`` reads
``<dir>/NAME/tokenizer.json`` or ``<dir>/NAME.json`` (NAME may be ``org/model`` as on the Hub). Nothing is ever
downloaded: the files are loaded with ``Tokenizer.from_file`` only, never ``from_pretrained``. A name whose file is
missing fails the pipeline's validation when it is saved (``check_tokenizer``), not the job.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Any, Protocol

from webapp.pipeline.errors import StageError

TOKENIZERS_ENV = "DOCPIPE_TOKENIZERS_DIR"
HF_PREFIX = "hf:"
# "bert-base-uncased", "BAAI/bge-small-en-v1.5": one optional folder, no "..", nothing absolute.
_HF_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?")
_WORD = re.compile(r"\S+")

Span = tuple[int, int]


class TokenizerUnavailableError(StageError):
    """The pipeline names a tokenizer whose file was removed after the pipeline was saved."""

    type = "tokenizer_unavailable"
    retryable = True  # putting the file back is enough


class Tokenizer(Protocol):
    name: str

    def count(self, text: str) -> int:
        """How many tokens ``text`` is, without special tokens ([CLS], <s> ...)."""

    def spans(self, text: str) -> list[Span]:
        """Each token's (start, end) in ``text``, in characters; tokens of one character may share a span."""


class WordTokenizer:
    """A token is a run of non-space characters: exact, additive and fast, the default."""

    name = "words"

    def count(self, text: str) -> int:
        return len(text.split())

    def spans(self, text: str) -> list[Span]:
        return [match.span() for match in _WORD.finditer(text)]


class HFTokenizer:
    """A HuggingFace ``tokenizers`` model read from a tokenizer.json (BPE, WordPiece, Unigram ...)."""

    def __init__(self, name: str, path: Path) -> None:
        from tokenizers import Tokenizer as RustTokenizer  # imported only when a pipeline asks for one

        self.name = name
        self._tokenizer: Any = RustTokenizer.from_file(str(path))
        # Chunk sizes count content: no truncation, padding or [CLS]/[SEP].
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()

    def count(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def spans(self, text: str) -> list[Span]:
        return [(start, end) for start, end in self._tokenizer.encode(text, add_special_tokens=False).offsets]


def tokenizers_dir() -> Path | None:
    configured = os.environ.get(TOKENIZERS_ENV, "").strip()
    return Path(configured) if configured else None


def hf_file(name: str) -> Path | None:
    """The tokenizer.json for ``hf:NAME``, or None when NAME is malformed or no file exists."""
    folder = tokenizers_dir()
    if folder is None or not _HF_NAME.fullmatch(name) or ".." in name:
        return None
    for candidate in (folder / name / "tokenizer.json", folder / f"{name}.json"):
        if candidate.is_file():
            return candidate
    return None


def available_tokenizers() -> list[str]:
    """Every name ``tokenizer`` accepts here: "words" and one ``hf:NAME`` per file found in the folder."""
    names = ["words"]
    folder = tokenizers_dir()
    if folder is None or not folder.is_dir():
        return names
    found = set()
    for path in folder.rglob("*.json"):
        relative = path.relative_to(folder)
        name = str(relative.parent) if path.name == "tokenizer.json" else str(relative.with_suffix(""))
        if _HF_NAME.fullmatch(name):
            found.add(HF_PREFIX + name)
    return names + sorted(found)


def check_tokenizer(value: Any) -> str | None:
    """Option validator for ``chunk.tokenizer``: "words" or an ``hf:NAME`` whose file is here and loads."""
    if value == "words":
        return None
    if not isinstance(value, str) or not value.startswith(HF_PREFIX):
        return 'must be "words" or "hf:NAME" (a tokenizer.json in the tokenizers folder)'
    name = value.removeprefix(HF_PREFIX)
    if not _HF_NAME.fullmatch(name) or ".." in name:
        return f"{name!r} is not a tokenizer name (letters, digits, . _ - and at most one /)"
    folder = tokenizers_dir()
    if folder is None:
        return f"no tokenizers are installed: set {TOKENIZERS_ENV} to a folder of tokenizer.json files"
    if hf_file(name) is None:
        known = ", ".join(available_tokenizers())
        return f"tokenizer {name!r} is not installed: no {name}/tokenizer.json or {name}.json; installed: {known}"
    try:
        get_tokenizer(value)
    except Exception as exc:  # noqa: BLE001 - tokenizers raises plain Exception; a broken file is a 422, not a crash
        return f"tokenizer {name!r} cannot be read: {exc}"
    return None


_cache: dict[tuple[str, float], Tokenizer] = {}
_cache_lock = threading.Lock()


def get_tokenizer(value: str) -> Tokenizer:
    """The tokenizer a stage option names, loaded once per file version (worker threads share it)."""
    if value == "words":
        return WordTokenizer()
    name = value.removeprefix(HF_PREFIX)
    path = hf_file(name) if value.startswith(HF_PREFIX) else None
    if path is None:
        raise TokenizerUnavailableError(f"tokenizer {value!r} is not installed in {TOKENIZERS_ENV}")
    key = (str(path), path.stat().st_mtime)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = HFTokenizer(value, path)
        return _cache[key]
