"""Filling chunks from a group's blocks: greedy up to ``max_tokens``, checked by counting each chunk's final text.

Counts of parts do not always add up to the count of their joined text (a BPE merges across the joint), so every
chunk is counted once more as it is finished and shrunk until it fits: ``token_count <= max_tokens`` always holds.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace

from webapp.pipeline.chunking.model import Block, Chunk, ChunkSettings, Group, Heading
from webapp.pipeline.chunking.split import split_text, tail
from webapp.pipeline.chunking.tokenizers import Tokenizer
from webapp.pipeline.render import table_text

PARAGRAPH = "\n\n"
ROW = "\n"


@dataclass(slots=True)
class _Draft:
    """A chunk being filled: a lead (heading path, a table's header rows) that is not cut, then parts."""

    lead: str
    lead_tokens: int
    headings: list[str]
    joiner: str = PARAGRAPH
    kind: str = "text"
    # Between the lead and the parts: a blank line after headings, a line break after a table's header rows.
    lead_joint: str = PARAGRAPH
    # The heading elements the lead shows, and those of them met in this chunk (their text is the lead's).
    lead_ids: frozenset[str] = frozenset()
    covered: list[Block] = field(default_factory=list)
    overlap: list[Block] = field(default_factory=list)
    body: list[Block] = field(default_factory=list)
    # The parts' tokens added up, kept as parts are added (what the greedy fill compares against the limit).
    parts_tokens: int = 0

    def parts(self) -> list[Block]:
        return self.overlap + self.body

    def text(self) -> str:
        body = self.joiner.join(block.text for block in self.parts())
        if self.lead and body:
            return self.lead + self.lead_joint + body
        return self.lead or body


def _only_headings(draft: _Draft) -> bool:
    return not draft.overlap and all(block.kind == "heading" for block in draft.body)


class Packer:
    def __init__(self, tokenizer: Tokenizer, settings: ChunkSettings) -> None:
        self.tokenizer = tokenizer
        self.settings = settings
        self.max = settings.max_tokens
        self.joint = {PARAGRAPH: tokenizer.count(PARAGRAPH), ROW: tokenizer.count(ROW)}
        self.chunks: list[Chunk] = []
        self._counts: dict[str, int] = {}  # heading paths and header rows recur in chunk after chunk

    def pack(self, group: Group) -> None:
        queue: deque[Block] = deque(group.blocks)
        draft: _Draft | None = None
        previous: list[Block] = []  # the last text chunk's parts, for overlap
        while queue or draft is not None:
            if not queue:
                assert draft is not None
                previous = self._finish(draft, queue)
                draft = None
                continue
            block = queue.popleft()
            if block.kind == "table":
                if draft is not None and not _only_headings(draft):
                    queue.appendleft(block)
                    self._finish(draft, queue)
                    draft = None
                    continue
                # Headings with nothing under them but the table start the table's chunk, not one of their own.
                self._table(block, group.path, draft.covered + draft.body if draft is not None else [])
                draft = None
                previous = []
                continue
            if draft is None:
                draft = self._start(block, group.path, previous)
            if block.kind == "heading" and block.element_id in draft.lead_ids:
                draft.covered.append(block)
                continue
            if not self._add(draft, block, queue):
                queue.appendleft(block)
                previous = self._finish(draft, queue)
                draft = None

    # --- text -------------------------------------------------------------------------------------------

    def _start(self, first: Block, fixed: tuple[Heading, ...] | None, previous: list[Block]) -> _Draft:
        path = fixed if fixed is not None else first.path
        headings = [text for _, text in path]
        if fixed is None and first.kind == "heading":
            headings.append(first.text)
        shown = self._shown_path(path)
        lead = "\n".join(text for _, text in shown)
        draft = _Draft(lead, self._count(lead), headings)
        draft.lead_ids = frozenset(element_id for element_id, _ in shown)
        if previous and self.settings.overlap_tokens:
            draft.overlap = self._overlap(previous)
            draft.parts_tokens = sum(block.tokens for block in draft.overlap)
        return draft

    def _count(self, text: str) -> int:
        if text not in self._counts:
            self._counts[text] = self.tokenizer.count(text) if text else 0
        return self._counts[text]

    def _shown_path(self, path: tuple[Heading, ...]) -> tuple[Heading, ...]:
        """The headings a chunk starts with: the innermost ones that fit in a quarter of the chunk."""
        if not self.settings.include_headings:
            return ()
        shown = path
        while shown and self._count("\n".join(text for _, text in shown)) > self.max // 4:
            shown = shown[1:]
        return shown

    def _add(self, draft: _Draft, block: Block, queue: deque[Block]) -> bool:
        """Put ``block`` in the draft if it fits (an empty draft takes the piece of it that fits)."""
        joint = draft.joiner if draft.parts() else draft.lead_joint
        room = self.max - self._estimate(draft) - (self.joint[joint] if draft.parts() or draft.lead else 0)
        if block.tokens > room and draft.body:
            return False
        if block.tokens > room:
            pieces = self._cut(block, max(room, 1))
            queue.extendleft(reversed(pieces[1:]))
            block = pieces[0]
        draft.body.append(block)
        draft.parts_tokens += block.tokens
        return True

    def _estimate(self, draft: _Draft) -> int:
        count = len(draft.overlap) + len(draft.body)
        joints = self.joint[draft.joiner] * max(count - 1, 0)
        if draft.lead and count:
            joints += self.joint[draft.lead_joint]
        return draft.lead_tokens + draft.parts_tokens + joints

    def _overlap(self, previous: list[Block]) -> list[Block]:
        """The last ``overlap_tokens`` of the previous chunk (whole parts where they fit, else a part's end)."""
        need = self.settings.overlap_tokens
        taken: list[Block] = []
        for block in reversed(previous):
            if need <= 0:
                break
            if block.tokens <= need:
                taken.append(block)
                need -= block.tokens
                continue
            end = tail(block.text, self.tokenizer, need)
            if end:
                taken.append(replace(block, text=end, tokens=self.tokenizer.count(end)))
            break
        return taken[::-1]

    def _cut(self, block: Block, budget: int) -> list[Block]:
        pieces = split_text(block.text, self.tokenizer, budget) or [block.text]
        return [replace(block, text=piece, tokens=self.tokenizer.count(piece)) for piece in pieces]

    def _finish(self, draft: _Draft, queue: deque[Block]) -> list[Block]:
        """Count the draft's text; while it is too long give parts back (or cut its only one); emit it."""
        text = draft.text()
        count = self.tokenizer.count(text)
        while count > self.max:
            if len(draft.body) > 1:
                queue.appendleft(draft.body.pop())
            elif draft.overlap:
                draft.overlap.clear()
            elif draft.body and self.tokenizer.count(draft.body[0].text) > 1:
                self._shrink(draft, count - self.max, queue)
            else:
                draft.lead = ""  # cannot happen with a lead of at most 3/4 of the chunk; never exceed the limit
            text = draft.text()
            count = self.tokenizer.count(text)
        if draft.body or (draft.covered and draft.lead):
            self._emit(draft, text, count)
        return draft.parts()

    def _shrink(self, draft: _Draft, excess: int, queue: deque[Block]) -> None:
        """Cut the draft's only part so that ``excess`` tokens move on to the next chunk."""
        only = draft.body[0]
        size = self.tokenizer.count(only.text)
        pieces = self._cut(only, max(size - excess, 1))
        if len(pieces) == 1:
            pieces = self._cut(only, max(size // 2, 1))
        draft.body[0] = pieces[0]
        queue.extendleft(reversed(pieces[1:]))

    # --- tables -----------------------------------------------------------------------------------------

    def _table(self, block: Block, fixed: tuple[Heading, ...] | None, headings: list[Block]) -> None:
        """A table is a chunk of its own; too long, it is cut between rows with its header rows repeated."""
        assert block.table is not None
        draft = self._start(block, fixed, [])
        draft.kind = "table"
        draft.covered = headings
        unshown = [heading.text for heading in headings if heading.element_id not in draft.lead_ids]
        if unshown:
            draft.lead = "\n".join(filter(None, [draft.lead, *unshown]))
            draft.lead_tokens = self.tokenizer.count(draft.lead)
        whole = replace(block, text=table_text(block.table))
        if self.tokenizer.count(draft.text() + PARAGRAPH + whole.text) <= self.max:
            draft.body.append(whole)
            self._finish(draft, deque())
            return
        rows = [replace(block, text=text, kind="row") for text in table_text(block.table).split("\n")]
        header = self._header_rows(block)
        lead, joint = draft.lead, PARAGRAPH
        header_text = ROW.join(row.text for row in rows[:header])
        if header and self.tokenizer.count(header_text) <= (self.max - draft.lead_tokens) // 2:
            lead, joint = (f"{lead}{PARAGRAPH}{header_text}" if lead else header_text), ROW
            rows = rows[header:]
        for row in rows:
            row.tokens = self.tokenizer.count(row.text)
        self._fill_rows(draft, lead, joint, deque(rows))

    def _header_rows(self, block: Block) -> int:
        assert block.table is not None
        declared = block.table.header_rows
        if not declared and self.settings.first_row_header and len(block.table.rows) > 1:
            return 1
        return declared

    def _fill_rows(self, template: _Draft, lead: str, joint: str, queue: deque[Block]) -> None:
        lead_tokens = self._count(lead)
        while queue:
            draft = _Draft(
                lead, lead_tokens, template.headings, ROW, "table", joint, template.lead_ids, template.covered
            )
            template.covered = []  # the headings' element ids go with the table's first chunk
            while queue:
                row = queue.popleft()
                if not self._add(draft, row, queue):
                    queue.appendleft(row)
                    break
            self._finish(draft, queue)

    # --- output -----------------------------------------------------------------------------------------

    def _emit(self, draft: _Draft, text: str, count: int) -> None:
        ids: list[str] = []
        boxes: list[tuple[int, tuple[float, float, float, float]]] = []
        pages: list[int] = []
        for block in draft.covered + draft.parts():
            if block.element_id and block.element_id not in ids:
                ids.append(block.element_id)
            block_pages = block.table.page_list() if block.table is not None else []
            pages.extend(block_pages or ([block.page] if block.page is not None else []))
            box = block.table.bbox if block.table is not None and block.table.bbox else block.bbox
            if box is not None and block.page is not None and (block.page, box) not in boxes:
                boxes.append((block.page, box))
        chunk = Chunk(len(self.chunks), text, count, draft.headings, ids, boxes, pages, draft.kind)
        self.chunks.append(chunk)
