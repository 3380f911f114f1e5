"""What a DOCX paragraph is (title, heading level, list item with level and kind) from its style and numbering.

Read straight from the styles and numbering XML once per document: python-docx's style objects warn on lookups by
id and are slower, and inherited properties (basedOn chains) have to be followed by hand anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_NAME = re.compile(r"^heading\s*(\d)$")
_LIST_NAME_LEVEL = re.compile(r"^list(?: bullet| number| continue)? ([2-9])$")
_MAX_INHERITANCE = 10


@dataclass(frozen=True, slots=True)
class Kind:
    type: str  # "title", "heading", "list_item" or "paragraph"
    level: int | None = None
    ordered: bool = False


@dataclass(slots=True)
class _Style:
    name: str
    based_on: str | None
    num_id: str | None
    ilvl: int | None
    outline: int | None


class DocxStyles:
    def __init__(self, styles: etree._Element | None, numbering: etree._Element | None) -> None:
        self._styles: dict[str, _Style] = {}
        if styles is not None:
            for style in styles.iterchildren(f"{W}style"):
                if style.get(f"{W}type") == "paragraph":
                    self._styles[style.get(f"{W}styleId", "")] = _read_style(style)
        self._formats = _numbering_formats(numbering) if numbering is not None else {}

    def kind(self, paragraph: etree._Element) -> Kind:
        ppr = paragraph.find(f"{W}pPr")
        style_id = _val(ppr.find(f"{W}pStyle")) if ppr is not None else None
        chain = self._chain(style_id)
        names = [style.name.lower() for style in chain]
        if names and names[0] == "title":
            return Kind("title")
        heading = self._heading_level(names, ppr, chain)
        if heading is not None:
            return Kind("heading", heading)
        return self._list_kind(names, ppr, chain)

    def _heading_level(self, names: list[str], ppr: etree._Element | None, chain: list[_Style]) -> int | None:
        for name in names:
            match = _HEADING_NAME.match(name)
            if match:
                return min(max(int(match.group(1)), 1), 6)
        outline = _int(_val(ppr.find(f"{W}outlineLvl"))) if ppr is not None else None
        if outline is None:
            outline = next((style.outline for style in chain if style.outline is not None), None)
        # Level 9 means "body text"; 0-8 are heading levels 1-9, and Markdown stops at 6.
        return min(outline + 1, 6) if outline is not None and outline < 9 else None

    def _list_kind(self, names: list[str], ppr: etree._Element | None, chain: list[_Style]) -> Kind:
        num_id, ilvl = _numbering(ppr)
        for style in chain:
            if num_id is None and style.num_id is not None:
                num_id = style.num_id
            if ilvl is None and style.ilvl is not None:
                ilvl = style.ilvl
        level = ilvl if ilvl is not None else _level_from_name(names)
        if num_id is not None and num_id != "0":
            fmt = self._formats.get((num_id, level))
            if fmt == "none":
                return Kind("paragraph")
            ordered = fmt is not None and fmt != "bullet" or fmt is None and _named_ordered(names)
            return Kind("list_item", level, ordered)
        if any(name.startswith(("list bullet", "list number", "list paragraph")) for name in names):
            return Kind("list_item", level, _named_ordered(names))
        return Kind("paragraph")

    def _chain(self, style_id: str | None) -> list[_Style]:
        chain: list[_Style] = []
        while style_id and style_id in self._styles and len(chain) < _MAX_INHERITANCE:
            style = self._styles[style_id]
            chain.append(style)
            style_id = style.based_on
        return chain


def _read_style(style: etree._Element) -> _Style:
    ppr = style.find(f"{W}pPr")
    num_id, ilvl = _numbering(ppr)
    return _Style(
        name=_val(style.find(f"{W}name")) or "",
        based_on=_val(style.find(f"{W}basedOn")),
        num_id=num_id,
        ilvl=ilvl,
        outline=_int(_val(ppr.find(f"{W}outlineLvl"))) if ppr is not None else None,
    )


def _numbering(ppr: etree._Element | None) -> tuple[str | None, int | None]:
    num_pr = ppr.find(f"{W}numPr") if ppr is not None else None
    if num_pr is None:
        return None, None
    return _val(num_pr.find(f"{W}numId")), _int(_val(num_pr.find(f"{W}ilvl")))


def _numbering_formats(numbering: etree._Element) -> dict[tuple[str, int], str]:
    """(numId, level) -> numFmt ("bullet", "decimal", "lowerLetter", "none" ...)."""
    abstract: dict[str, dict[int, str]] = {}
    for definition in numbering.iterchildren(f"{W}abstractNum"):
        levels: dict[int, str] = {}
        for lvl in definition.iterchildren(f"{W}lvl"):
            level = _int(lvl.get(f"{W}ilvl"))
            fmt = _val(lvl.find(f"{W}numFmt"))
            if level is not None and fmt:
                levels[level] = fmt
        abstract[definition.get(f"{W}abstractNumId", "")] = levels
    formats: dict[tuple[str, int], str] = {}
    for num in numbering.iterchildren(f"{W}num"):
        levels = abstract.get(_val(num.find(f"{W}abstractNumId")) or "", {})
        for level, fmt in levels.items():
            formats[(num.get(f"{W}numId", ""), level)] = fmt
    return formats


def _level_from_name(names: list[str]) -> int:
    # "List Bullet 2" carries its depth in the name; its numbering definition starts at level 0.
    for name in names:
        match = _LIST_NAME_LEVEL.match(name)
        if match:
            return min(int(match.group(1)) - 1, 8)
    return 0


def _named_ordered(names: list[str]) -> bool:
    return any("number" in name for name in names)


def _val(element: etree._Element | None) -> str | None:
    return element.get(f"{W}val") if element is not None else None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
