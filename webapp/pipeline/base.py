"""The stage contract: a stage declares its options and runs on a shared context."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from webapp.pipeline.document import Detection, ParsedDocument, Source


@dataclass(frozen=True, slots=True)
class Option:
    """One stage option: its type, default and bounds. Validation messages are built from these."""

    kind: type
    default: Any
    choices: tuple[Any, ...] | None = None
    minimum: int | None = None
    maximum: int | None = None
    # For list options: the allowed items (None: any string).
    item_choices: tuple[str, ...] | None = None
    help: str = ""
    # A further check once the type and bounds are right (e.g. "is this OCR language installed?"); returns a message.
    validator: Callable[[Any], str | None] | None = None
    # Values installed here that the pipeline editor offers (e.g. the tokenizers found on disk); None: free text.
    suggestions: Callable[[], list[str]] | None = None

    def check(self, value: Any) -> str | None:
        """Return a message saying what is wrong with ``value``, or None when it is acceptable."""
        if self.kind is bool:
            if not isinstance(value, bool):
                return "must be true or false"
        elif self.kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                return "must be an integer"
            if self.minimum is not None and value < self.minimum:
                return f"must be at least {self.minimum}"
            if self.maximum is not None and value > self.maximum:
                return f"must be at most {self.maximum}"
        elif self.kind is str:
            if not isinstance(value, str):
                return "must be a string"
        elif self.kind is list:
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                return "must be a list of strings"
            if self.item_choices is not None:
                bad = [item for item in value if item not in self.item_choices]
                if bad:
                    return f"unknown value {bad[0]!r}; allowed: {', '.join(self.item_choices)}"
        if self.choices is not None and value not in self.choices:
            return "must be one of: " + ", ".join(str(choice) for choice in self.choices)
        return self.validator(value) if self.validator is not None else None


@dataclass(slots=True)
class StageContext:
    """Everything the stages share while one document goes through a pipeline."""

    source: Source
    # Per stage name: the validated options with defaults filled in.
    options: dict[str, dict[str, Any]]
    detection: Detection | None = None
    document: ParsedDocument | None = None
    language: dict[str, Any] = field(default_factory=dict)
    quality: dict[str, Any] = field(default_factory=dict)
    # The serialisable result, filled by the output stage.
    output: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, int] = field(default_factory=dict)
    chunks: list[dict[str, Any]] = field(default_factory=list)  # filled by the optional chunk stage
    # Called between units of work; raises StopPipeline when the job was cancelled.
    check_cancelled: Callable[[], None] = lambda: None

    # The document's plain text, rendered once for enrich and output (parse is the last stage to change it).
    text_cache: str | None = None

    def stage_options(self, name: str) -> dict[str, Any]:
        return self.options.get(name, {})

    def plain_text(self) -> str:
        if self.text_cache is None:
            from webapp.pipeline.render import to_text

            assert self.document is not None, "parse must run first"
            keep = self.stage_options("parse").get("furniture") == "keep"
            self.text_cache = to_text(self.document, keep_furniture=keep)
        return self.text_cache


class Stage(ABC):
    """A step of a pipeline. Stages are stateless: everything per document lives in the context."""

    name: ClassVar[str]
    options: ClassVar[dict[str, Option]] = {}
    description: ClassVar[str] = ""

    @abstractmethod
    def run(self, ctx: StageContext) -> None:
        """Do the stage's work, raising a StageError subclass when the document cannot go on."""

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {key: option.default for key, option in cls.options.items()}

    @classmethod
    def check_options(cls, options: dict[str, Any]) -> list[tuple[str, str]]:  # noqa: ARG003 - a hook
        """Checks across options, given every option resolved (defaults filled in) and each valid alone:
        ``[(option, message), ...]``. None by default."""
        return []


class Parser(ABC):
    """Turns one file of a supported MIME type into a ParsedDocument."""

    name: ClassVar[str]
    # MIME type → score; the registry picks the highest-scoring parser for a type.
    mime_types: ClassVar[dict[str, int]]

    @abstractmethod
    def parse(self, source: Source, detection: Detection, options: dict[str, Any]) -> ParsedDocument:
        """``options`` are the parse stage's validated options (max_pages, tables, ocr ...)."""
