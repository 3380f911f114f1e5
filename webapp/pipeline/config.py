"""A pipeline's stage list: validation (with field paths clients can act on) and option defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from webapp.pipeline.registry import STAGE_ORDER, stage_class, stage_names

REQUIRED_STAGES = ("ingest", "detect", "parse", "output")
# Stages a pipeline has only when it lists them: the default pipeline and a new one leave them out.
OPTIONAL_STAGES = ("chunk",)


@dataclass(slots=True)
class StageConfig:
    name: str
    options: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "options": dict(self.options)}


@dataclass(slots=True)
class FieldError:
    field: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


def default_stages() -> list[StageConfig]:
    return [StageConfig(name) for name in stage_names() if name not in OPTIONAL_STAGES]


def validate_stages(raw: Any, path: str = "stages") -> tuple[list[StageConfig], list[FieldError]]:
    """Check a client's stage list; return the parsed configs and every problem found."""
    errors: list[FieldError] = []
    if not isinstance(raw, list) or not raw:
        return [], [FieldError(path, "must be a non-empty list of stages")]
    known = stage_names()
    configs: list[StageConfig] = []
    last_position = -1
    for index, item in enumerate(raw):
        where = f"{path}[{index}]"
        if not isinstance(item, dict):
            errors.append(FieldError(where, "must be an object with 'name' and 'options'"))
            continue
        unknown_keys = set(item) - {"name", "options"}
        if unknown_keys:
            errors.append(FieldError(f"{where}.{sorted(unknown_keys)[0]}", "unknown field"))
        name = item.get("name")
        if name not in known:
            errors.append(FieldError(f"{where}.name", f"unknown stage {name!r}; stages: {', '.join(known)}"))
            continue
        position = STAGE_ORDER.index(name)
        if any(config.name == name for config in configs):
            errors.append(FieldError(f"{where}.name", f"stage {name!r} appears more than once"))
            continue
        if position < last_position:
            errors.append(FieldError(f"{where}.name", f"stage {name!r} is out of order; order: {' → '.join(known)}"))
        last_position = max(last_position, position)
        options = item.get("options", {})
        if options is None:
            options = {}
        if not isinstance(options, dict):
            errors.append(FieldError(f"{where}.options", "must be an object"))
            continue
        option_errors = _validate_options(name, options, f"{where}.options")
        errors.extend(option_errors or _check_together(name, options, f"{where}.options"))
        configs.append(StageConfig(name, dict(options)))
    present = {config.name for config in configs}
    for name in REQUIRED_STAGES:
        if name not in present and not any(e.field.endswith(".name") for e in errors):
            errors.append(FieldError(path, f"stage {name!r} is required"))
    return configs, errors


def _validate_options(name: str, options: dict[str, Any], path: str) -> list[FieldError]:
    declared = stage_class(name).options
    errors = []
    for key, value in options.items():
        option = declared.get(key)
        if option is None:
            allowed = ", ".join(declared) or "none"
            errors.append(FieldError(f"{path}.{key}", f"unknown option for stage {name!r}; options: {allowed}"))
            continue
        message = option.check(value)
        if message:
            errors.append(FieldError(f"{path}.{key}", message))
    return errors


def _check_together(name: str, options: dict[str, Any], path: str) -> list[FieldError]:
    """A stage's checks across its options (``Stage.check_options``)."""
    stage = stage_class(name)
    return [FieldError(f"{path}.{key}", message) for key, message in stage.check_options(stage.defaults() | options)]


def resolved_options(stages: list[StageConfig]) -> dict[str, dict[str, Any]]:
    """Each stage's options with its defaults filled in."""
    return {config.name: {**stage_class(config.name).defaults(), **config.options} for config in stages}


def stages_from_json(raw: list[dict[str, Any]]) -> list[StageConfig]:
    """Stored stage lists were validated when saved; read them back without validating again."""
    return [StageConfig(item["name"], dict(item.get("options") or {})) for item in raw]
