"""The dashboard's pipeline editor, without Flask: one field per declared stage option (generated from each stage's
``options``, so a new option needs no template change), the posted form turned into the body that
``pipelines.validate_body`` checks, and its FieldError paths (``stages[2].options.ocr_languages``) mapped back to
the field that holds the value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Job
from webapp.models.job import QUEUED, RUNNING
from webapp.pipeline.base import Option
from webapp.pipeline.config import OPTIONAL_STAGES, REQUIRED_STAGES, FieldError
from webapp.pipeline.registry import stage_class, stage_names

PRIORITIES = tuple(range(10))
_INTEGER = re.compile(r"^[+-]?\d+$")
_LIST_SEPARATORS = re.compile(r"[\s,+]+")
_OPTION_PATH = re.compile(r"^stages\[(\d+)\]\.options\.(.+)$")
_STAGE_PATH = re.compile(r"^stages\[(\d+)\]")
_WORDS = {"ocr": "OCR", "mb": "(MiB)", "seconds": "(seconds)"}
TOP_FIELDS = {"name": "Name", "description": "Description", "default_priority": "Default priority"}


@dataclass(slots=True)
class OptionField:
    """One stage option as a form field. ``value`` is typed when it came from a saved version, and the raw text
    when a posted value could not be read as its type (so the field shows what was typed, beside its error)."""

    stage: str
    key: str
    option: Option
    value: Any
    errors: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.stage}.{self.key}"

    @property
    def id(self) -> str:
        return f"opt-{self.stage}-{self.key}"

    @property
    def label(self) -> str:
        words = [_WORDS.get(word, word) for word in self.key.split("_")]
        return " ".join(words)[:1].upper() + " ".join(words)[1:]

    @property
    def widget(self) -> str:
        kind = self.option.kind
        if kind is bool:
            return "checkbox"
        if kind is list:
            return "checkboxes" if self.option.item_choices else "list"
        if self.option.choices is not None or self.option.suggestions is not None:
            return "select"
        if kind in (int, float):
            return "number"
        return "text" if kind is str else "json"

    @property
    def choices(self) -> tuple[Any, ...]:
        """The values offered; for an option with ``suggestions`` (the tokenizers installed here), those, and the
        field's value when it is not among them (a saved tokenizer since removed: saving names what is wrong)."""
        if self.option.suggestions is not None:
            offered = list(self.option.suggestions())
            if isinstance(self.value, str) and self.value not in offered:
                offered.append(self.value)
            return tuple(offered)
        return self.option.item_choices or self.option.choices or ()

    @property
    def text(self) -> str:
        """The value as the text of an input (empty for a cleared number: the default applies)."""
        if self.value is _DEFAULT:
            return ""
        if isinstance(self.value, str):
            return self.value
        if self.widget == "list":
            return ", ".join(self.value)
        if self.widget == "json":
            return json.dumps(self.value, ensure_ascii=False)
        return str(self.value)

    @property
    def default_text(self) -> str:
        default = self.option.default
        if isinstance(default, bool):
            return "on" if default else "off"
        if isinstance(default, list):
            return ", ".join(default) or "none"
        return str(default)

    def is_selected(self, choice: Any) -> bool:
        if isinstance(self.value, list):
            return choice in self.value
        return str(choice) == str(self.value)


@dataclass(slots=True)
class StageSection:
    name: str
    description: str
    optional: bool
    enabled: bool
    fields: list[OptionField]
    # Options the edited version names explicitly: kept on save even when equal to the default.
    pinned: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"stage-{self.name}"

    def options(self) -> dict[str, Any]:
        """What is saved: options that differ from their default, or that the edited version pinned."""
        return {
            f.key: f.value
            for f in self.fields
            if f.value is not _DEFAULT and (f.key in self.pinned or f.value != f.option.default)
        }


class _Default:
    """A cleared number field: the option takes its default (and is not saved)."""

    def __repr__(self) -> str:
        return "default"


_DEFAULT: Any = _Default()


@dataclass(slots=True)
class Editor:
    """Everything the editor form shows: values, the stage sections and every error, by field."""

    name: str = ""
    description: str = ""
    default_priority: Any = 5
    stages: list[StageSection] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    form_errors: list[str] = field(default_factory=list)
    # Whether the pipelines service has judged this body (a freshly opened form has not been).
    checked: bool = False

    # --- building ----------------------------------------------------------------------------------------

    @classmethod
    def from_saved(cls, name: str, description: str, default_priority: int, stages: list[dict[str, Any]]) -> Editor:
        """The editor filled with a saved version: stages it lists are enabled, its options explicit."""
        saved = {item["name"]: dict(item.get("options") or {}) for item in stages}
        sections = []
        for stage in stage_names():
            explicit = saved.get(stage, {})
            values = {**stage_class(stage).defaults(), **explicit}
            sections.append(_section(stage, stage in saved, lambda key, v=values: v[key], set(explicit)))
        return cls(name=name, description=description, default_priority=default_priority, stages=sections)

    @classmethod
    def blank(cls) -> Editor:
        """A new pipeline: every stage but the optional ones a pipeline has only when asked (chunk)."""
        stages = [{"name": stage, "options": {}} for stage in stage_names() if stage not in OPTIONAL_STAGES]
        return cls.from_saved("", "", 5, stages)

    @classmethod
    def from_form(cls, form: Mapping[str, Any], base_stages: list[dict[str, Any]] | None = None) -> Editor:
        """Read the posted editor. ``form`` is a werkzeug MultiDict (``getlist`` is used for checkbox groups);
        ``base_stages`` is the edited version's stage list, whose explicit options stay explicit."""
        pinned = {item["name"]: set(item.get("options") or {}) for item in base_stages or []}
        sections = []
        for stage in stage_names():
            optional = stage not in REQUIRED_STAGES
            enabled = not optional or bool(form.get(f"{stage}.enabled"))

            def read(key: str, stage: str = stage) -> Any:
                return _read(form, f"{stage}.{key}", stage_class(stage).options[key])

            sections.append(_section(stage, enabled, read, pinned.get(stage, set())))
        return cls(
            name=(form.get("name") or "").strip(),
            description=(form.get("description") or "").strip(),
            default_priority=_number(form.get("default_priority"), int, 5),
            stages=sections,
        )

    # --- what is saved -----------------------------------------------------------------------------------

    def body(self, *, with_name: bool = True) -> dict[str, Any]:
        """The create/update body of the API, for ``pipelines.validate_body``."""
        body: dict[str, Any] = {"name": self.name} if with_name else {}
        body.update(
            description=self.description,
            default_priority=self.default_priority,
            stages=[{"name": s.name, "options": s.options()} for s in self.stages if s.enabled],
        )
        return body

    def preview(self) -> str:
        return json.dumps(self.body(), indent=2, ensure_ascii=False)

    # --- errors ------------------------------------------------------------------------------------------

    def add_errors(self, errors: list[FieldError]) -> None:
        """Put each service error next to its field; one for a field the form lacks goes above the form."""
        body_stages = self.body()["stages"]
        for error in errors:
            target = self._target(error.field, body_stages)
            if target is None:
                self.form_errors.append(f"{error.field}: {error.message}")
            elif isinstance(target, OptionField | StageSection):
                target.errors.append(error.message)
            else:
                self.errors.setdefault(target, []).append(error.message)

    def _target(self, path: str, body_stages: list[dict[str, Any]]) -> OptionField | StageSection | str | None:
        if path in TOP_FIELDS or path in ("stages", "sample"):
            return path
        match = _OPTION_PATH.match(path) or _STAGE_PATH.match(path)
        if match is None or int(match.group(1)) >= len(body_stages):
            return None
        section = self.section(body_stages[int(match.group(1))]["name"])
        if section is None:
            return None
        if match.re is _OPTION_PATH:
            return next((f for f in section.fields if f.key == match.group(2)), None)
        return section

    def section(self, name: str) -> StageSection | None:
        return next((s for s in self.stages if s.name == name), None)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.form_errors or self.summary())

    def summary(self) -> list[tuple[str, str, str]]:
        """(anchor, label, message) for every error, in the order of the form, for the summary at its top."""
        items = [(anchor, label, message) for anchor, label, message in self._top_errors()]
        for section in self.stages:
            items += [(section.id, f"Stage {section.name}", message) for message in section.errors]
            for option in section.fields:
                label = f"{section.name.capitalize()} › {option.label}"
                items += [(option.id, label, message) for message in option.errors]
        return items

    def _top_errors(self) -> list[tuple[str, str, str]]:
        labels = {**TOP_FIELDS, "stages": "Stages", "sample": "Sample file"}
        anchors = {"stages": "stages", "sample": "sample"}
        return [
            (anchors.get(key, key), labels[key], message)
            for key in ("name", "description", "default_priority", "stages", "sample")
            for message in self.errors.get(key, [])
        ]


def _section(stage: str, enabled: bool, value_of, pinned: set[str]) -> StageSection:
    cls = stage_class(stage)
    return StageSection(
        name=stage,
        description=cls.description,
        optional=stage not in REQUIRED_STAGES,
        enabled=enabled,
        fields=[OptionField(stage, key, option, value_of(key)) for key, option in cls.options.items()],
        pinned=pinned,
    )


def _read(form: Mapping[str, Any], name: str, option: Option) -> Any:
    """A posted value as its option's type when it reads as one; otherwise the raw text, which the service
    then refuses with its own message (so the dashboard and the API word an error the same way)."""
    kind = option.kind
    if kind is bool:
        return bool(form.get(name))
    if kind is list:
        if option.item_choices:
            chosen = set(form.getlist(name))  # type: ignore[attr-defined]
            return [choice for choice in option.item_choices if choice in chosen] + sorted(
                chosen - set(option.item_choices)
            )
        return [item for item in _LIST_SEPARATORS.split(form.get(name) or "") if item]
    raw = form.get(name)
    if kind in (int, float) and option.choices is None:
        return _number(raw, kind, _DEFAULT)
    if kind is str:
        return raw if raw is not None else option.default
    try:
        return json.loads(raw) if raw else option.default
    except ValueError:
        return raw


def _number(raw: str | None, kind: type, empty: Any) -> Any:
    text = (raw or "").strip()
    if not text:
        return empty
    if kind is int:
        return int(text) if _INTEGER.match(text) else text
    try:
        return float(text)
    except ValueError:
        return text


def same_config(body: dict[str, Any], name: str, description: str, default_priority: int, stages: list) -> bool:
    """Whether saving ``body`` would only repeat the current version."""
    return (body.get("name") or name) == name and (
        body["description"],
        body["default_priority"],
        body["stages"],
    ) == (description, default_priority, stages)


def active_job_counts() -> dict[str, int]:
    """Queued or running jobs per pipeline id. Bounded by the queue (the status index finds them), unlike a
    count of every job ever run, which the list page would pay for on each view."""
    rows = db.session.execute(
        select(Job.pipeline_id, func.count()).where(Job.status.in_((QUEUED, RUNNING))).group_by(Job.pipeline_id)
    )
    return {pipeline_id: count for pipeline_id, count in rows}
