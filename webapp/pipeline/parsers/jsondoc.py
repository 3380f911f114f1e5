"""JSON: the document re-indented as one ``code`` element; its shape (type, top-level keys or length) as metadata.

JSON Lines (one value per line) is accepted too. Nesting deeper than MAX_DEPTH is refused with LimitExceededError:
re-indenting it would mostly produce indentation, and Python's parser itself gives up near 1,000 levels.
"""

from __future__ import annotations

import json
from typing import Any

from webapp.pipeline.base import Parser
from webapp.pipeline.document import Detection, Element, ParsedDocument, Source
from webapp.pipeline.errors import CorruptFileError, LimitExceededError
from webapp.pipeline.parsers.text import add_encoding_facts
from webapp.pipeline.parsers.textio import read_text

MAX_DEPTH = 100
_MAX_KEYS = 100
_TYPES = {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean"}


class JsonParser(Parser):
    name = "json"
    mime_types = {"application/json": 100}

    def parse(self, source: Source, detection: Detection, options: dict[str, Any]) -> ParsedDocument:  # noqa: ARG002 (the Parser contract)
        text, repairs = read_text(source.path, detection.encoding)
        text = text.lstrip("\ufeff")
        values, lines = _load(text)
        for value in values:
            _check_depth(value)
        document = ParsedDocument()
        pretty = "\n".join(json.dumps(value, indent=2, ensure_ascii=False) for value in values)
        if pretty.strip():
            document.elements.append(Element("code", pretty))
        document.metadata.update(_shape(values[0]) if not lines else {"json_type": "lines", "length": len(values)})
        add_encoding_facts(document, detection.encoding, repairs)
        return document


def _load(text: str) -> tuple[list[Any], bool]:
    """The parsed values, and whether the text was JSON Lines."""
    try:
        return [json.loads(text)], False
    except RecursionError:
        raise LimitExceededError(f"the JSON nests deeper than {MAX_DEPTH} levels (limit max_json_depth)") from None
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise CorruptFileError(
                f"the JSON is malformed at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None
    values = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            values.append(json.loads(line))
        except RecursionError:
            raise LimitExceededError(f"the JSON nests deeper than {MAX_DEPTH} levels (limit max_json_depth)") from None
        except json.JSONDecodeError as exc:
            raise CorruptFileError(f"the JSON is malformed at line {number}: {exc.msg}") from None
    return values, True


def _check_depth(value: Any) -> None:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise LimitExceededError(f"the JSON nests deeper than {MAX_DEPTH} levels (limit max_json_depth)")
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values() if isinstance(child, dict | list))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item if isinstance(child, dict | list))


def _shape(value: Any) -> dict[str, Any]:
    shape: dict[str, Any] = {"json_type": _TYPES.get(type(value), "null")}
    if isinstance(value, dict):
        shape["keys"] = list(value)[:_MAX_KEYS]
    elif isinstance(value, list):
        shape["length"] = len(value)
    return shape
