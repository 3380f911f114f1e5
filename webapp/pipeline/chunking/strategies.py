"""From a document to groups of blocks, one strategy each: what a chunk may never cross.

- by_title: a section per heading; a chunk never crosses a heading of the same or a higher level. With
  ``merge_small`` a section smaller than ``min_tokens`` takes in the sections after it that lie under its own heading
  (its subsections) while the whole stays within ``max_tokens``. A heading with nothing under it before its first
  subsection is that subsection's path, not a chunk.
- by_page: a run of elements on one page (one sheet for spreadsheets).
- by_element: each element alone (split when too long).
- by_tokens: the whole document, in windows of ``max_tokens``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from webapp.pipeline.chunking.model import Block, ChunkSettings, Group, Heading
from webapp.pipeline.chunking.tokenizers import Tokenizer
from webapp.pipeline.document import FURNITURE_TYPES, ParsedDocument
from webapp.pipeline.render import table_text

# A level below every heading's: what comes before the first heading sits under it.
_PREAMBLE = -1


def document_blocks(document: ParsedDocument, tokenizer: Tokenizer) -> list[Block]:
    """Every element that carries text, in reading order, with the heading path it sits under.

    Page furniture, page breaks and empty elements are left out; ``assign_ids`` must have run.
    """
    blocks: list[Block] = []
    stack: list[tuple[int, Heading]] = []
    for element in document.elements:
        if element.type in FURNITURE_TYPES or element.type == "page_break":
            continue
        index = element.table_index if element.type == "table" else None
        table = document.tables[index] if index is not None and 0 <= index < len(document.tables) else None
        text = table_text(table) if table is not None else element.text.strip()
        if not text.strip():
            continue
        if element.type in ("title", "heading"):
            level = 0 if element.type == "title" else max(element.level or 1, 1)
            while stack and stack[-1][0] >= level:
                stack.pop()
            text = " ".join(text.split())
            path = tuple(heading for _, heading in stack)
            blocks.append(Block(text, tokenizer.count(text), element.id, element.page, element.bbox, "heading", path))
            blocks[-1].level = level
            stack.append((level, (element.id, text)))
            continue
        kind = "table" if table is not None else "text"
        path = tuple(heading for _, heading in stack)
        page = table.page if table is not None else element.page
        blocks.append(Block(text, tokenizer.count(text), element.id, page, element.bbox, kind, path, table))
    return blocks


def build_groups(blocks: list[Block], settings: ChunkSettings) -> list[Group]:
    if not blocks:
        return []
    if settings.strategy == "by_element":
        return [Group([block]) for block in blocks]
    if settings.strategy == "by_page":
        return _by_page(blocks)
    if settings.strategy == "by_title":
        return _by_title(blocks, settings)
    return [Group(list(blocks))]


def _by_page(blocks: list[Block]) -> list[Group]:
    groups: list[Group] = []
    page: int | None = None
    for block in blocks:
        if not groups or (block.page is not None and page is not None and block.page != page):
            groups.append(Group())
        groups[-1].blocks.append(block)
        page = block.page if block.page is not None else page
    return groups


@dataclass(slots=True)
class _Section:
    level: int
    path: tuple[Heading, ...]
    heading: Block | None = None
    body: list[Block] = field(default_factory=list)

    def tokens(self) -> int:
        own = self.heading.tokens if self.heading is not None else 0
        return own + sum(block.tokens for block in self.body)

    def blocks(self) -> list[Block]:
        return ([self.heading] if self.heading is not None else []) + self.body


def _sections(blocks: list[Block]) -> list[_Section]:
    sections = [_Section(_PREAMBLE, ())]
    for block in blocks:
        if block.kind == "heading":
            sections.append(_Section(block.level, (*block.path, (block.element_id, block.text)), block))
        else:
            sections[-1].body.append(block)
    return [section for section in sections if section.heading is not None or section.body]


def _by_title(blocks: list[Block], settings: ChunkSettings) -> list[Group]:
    sections = _sections(blocks)
    groups: list[Group] = []
    carried: list[Block] = []  # headings of empty sections, passed on to the subsection that follows them
    index = 0
    while index < len(sections):
        members = _merge(sections, index, settings)
        index += len(members)
        group_blocks = carried + [block for section in members for block in section.blocks()]
        carried = []
        empty = not any(section.body for section in members)
        if empty and index < len(sections) and sections[index].level > members[0].level:
            carried = group_blocks
            continue
        groups.append(Group(group_blocks, _common_path(members)))
    return groups


def _merge(sections: list[_Section], start: int, settings: ChunkSettings) -> list[_Section]:
    """The section at ``start`` and, when it is small, the subsections after it that fit with it."""
    members = [sections[start]]
    # The title's text (or what precedes the first heading) stays apart: it introduces the whole document, and an
    # e-mail's body stays apart from its attachments.
    if not settings.merge_small or members[0].level < 1:
        return members
    size = members[0].tokens()
    budget = settings.max_tokens - sum(len(text.split()) for _, text in members[0].path)
    following = start + 1
    while size < settings.min_tokens and following < len(sections):
        candidate = sections[following]
        if candidate.level <= members[0].level or size + candidate.tokens() > budget:
            break
        members.append(candidate)
        size += candidate.tokens()
        following += 1
    return members


def _common_path(members: list[_Section]) -> tuple[Heading, ...]:
    """The heading path of a group's chunks: the first section with a body's, cut to what later sections share."""
    first = next((index for index, section in enumerate(members) if section.body), 0)
    path = members[first].path
    for section in members[first + 1 :]:
        shared = 0
        while shared < min(len(path), len(section.path)) and path[shared] == section.path[shared]:
            shared += 1
        path = path[:shared]
    return path
