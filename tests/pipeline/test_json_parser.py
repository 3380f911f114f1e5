from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.pipeline.helpers import OPTIONS, parse, source
from webapp.pipeline.document import Detection
from webapp.pipeline.errors import CorruptFileError, LimitExceededError
from webapp.pipeline.parsers.jsondoc import MAX_DEPTH, JsonParser
from webapp.pipeline.render import to_markdown, to_text


def _parse_json(path: Path):
    return JsonParser().parse(source(path), Detection("application/json", encoding="utf-8"), dict(OPTIONS))


def test_json_is_reindented_as_one_code_element(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text('{"greeting": "grüß dich", "tags": ["a", "b"], "n": null}', encoding="utf-8")
    detection, document = parse(path)
    assert detection.mime_type == "application/json"
    assert [element.type for element in document.elements] == ["code"]
    assert to_text(document) == json.dumps(
        {"greeting": "grüß dich", "tags": ["a", "b"], "n": None}, indent=2, ensure_ascii=False
    )
    assert to_markdown(document).startswith("```\n{\n")
    assert document.metadata["json_type"] == "object"
    assert document.metadata["keys"] == ["greeting", "tags", "n"]


def test_top_level_array_reports_its_length(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text("[1, 2, 3]", encoding="utf-8")
    _, document = parse(path)
    assert (document.metadata["json_type"], document.metadata["length"]) == ("array", 3)


def test_json_lines_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"event": "start"}\n\n{"event": "stop"}\n', encoding="utf-8")
    document = _parse_json(path)
    assert (document.metadata["json_type"], document.metadata["length"]) == ("lines", 2)
    assert '"event": "stop"' in to_text(document)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000])
def test_deep_nesting_is_refused_with_the_limit_named(tmp_path: Path, depth: int) -> None:
    """GIVEN nesting past our limit, and far past Python's own recursion limit."""
    path = tmp_path / "deep.json"
    path.write_text("[" * depth + "]" * depth, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(LimitExceededError, match=f"deeper than {MAX_DEPTH} levels \\(limit max_json_depth\\)"):
        _parse_json(path)
    assert time.monotonic() - started < 5  # a generous bound


def test_malformed_json_says_where(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"a": 1,\n "b": }', encoding="utf-8")
    with pytest.raises(CorruptFileError, match="line 2, column 7"):
        _parse_json(path)
