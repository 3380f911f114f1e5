"""What changed between two versions of a pipeline: field by field (readable) and line by line (the canonical
JSON of each version, as the API returns it)."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from webapp.models import PipelineVersion
from webapp.pipeline.registry import STAGE_ORDER, stage_class, stage_names
from webapp.services.errors import NotFoundError

ADDED, REMOVED, CHANGED = "added", "removed", "changed"


@dataclass(frozen=True, slots=True)
class Change:
    """One field that differs. ``before``/``after`` are display text; ``kind`` is added, removed or changed."""

    field: str
    kind: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class DiffLine:
    """A line of the canonical JSON: ``marker`` is "+" (only in the newer), "-" (only in the older) or " "."""

    marker: str
    text: str

    @property
    def kind(self) -> str:
        return {"+": ADDED, "-": REMOVED}.get(self.marker, "same")


def canonical(version: PipelineVersion) -> dict[str, Any]:
    """The versioned part of a pipeline (its name is not versioned), in the order the API shows it."""
    return {
        "description": version.description,
        "default_priority": version.default_priority,
        "stages": version.stages,
    }


def pick(versions: list[PipelineVersion], number: int | None, fallback: int) -> PipelineVersion:
    """The version numbered ``number`` (``fallback`` when None) among ``versions``."""
    wanted = fallback if number is None else number
    for version in versions:
        if version.version == wanted:
            return version
    raise NotFoundError(f"there is no version {wanted}")


def field_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    changes = [
        _change(key, _show(old[key]), _show(new[key]))
        for key in ("description", "default_priority")
        if old[key] != new[key]
    ]
    before = {item["name"]: item.get("options") or {} for item in old["stages"]}
    after = {item["name"]: item.get("options") or {} for item in new["stages"]}
    for stage in sorted(set(before) | set(after), key=_stage_position):
        if stage not in before or stage not in after:
            kind = ADDED if stage in after else REMOVED
            changes.append(Change(f"stage {stage}", kind, _presence(stage in before), _presence(stage in after)))
        defaults = _defaults(stage)
        old_options, new_options = before.get(stage, {}), after.get(stage, {})
        for key in sorted(set(old_options) | set(new_options)):
            if old_options.get(key, _MISSING) == new_options.get(key, _MISSING):
                continue
            shown_before = _option(old_options, key, defaults, stage in before)
            shown_after = _option(new_options, key, defaults, stage in after)
            kind = CHANGED if key in old_options and key in new_options else (ADDED if key in new_options else REMOVED)
            changes.append(Change(f"{stage} › {key}", kind, shown_before, shown_after))
    return changes


def line_diff(old: dict[str, Any], new: dict[str, Any]) -> list[DiffLine]:
    """Every line of the newer version's JSON, with the older one's removed lines in place."""
    lines = difflib.ndiff(_json_lines(old), _json_lines(new))
    return [DiffLine(line[0], line[2:]) for line in lines if not line.startswith("? ")]


def _json_lines(config: dict[str, Any]) -> list[str]:
    return json.dumps(config, indent=2, ensure_ascii=False, sort_keys=False).splitlines()


_MISSING = object()


def _change(name: str, before: str, after: str) -> Change:
    return Change(name.replace("_", " "), CHANGED, before, after)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value or "(empty)"
    return json.dumps(value, ensure_ascii=False)


def _presence(present: bool) -> str:
    return "runs" if present else "not run"


def _option(options: dict[str, Any], key: str, defaults: dict[str, Any], stage_runs: bool) -> str:
    if not stage_runs:
        return "—"
    if key in options:
        return _show(options[key])
    if key in defaults:
        return f"default ({_show(defaults[key])})"
    return "—"


def _defaults(stage: str) -> dict[str, Any]:
    return stage_class(stage).defaults() if stage in stage_names() else {}


def _stage_position(stage: str) -> int:
    return STAGE_ORDER.index(stage) if stage in STAGE_ORDER else len(STAGE_ORDER)
