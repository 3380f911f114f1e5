"""Headings and the title, decided over the whole document from the blocks' font size and weight.

The body style is the size (and weight) most characters are set in. A short block set clearly larger, or bold
where the body is not, is a heading. Levels come from ranking the heading styles, largest and boldest first; where
headings are numbered ("2.1 Start-up"), the numbering's depth wins, and unnumbered headings of a numbered style
take that style's depth. The title is the largest short block in the top half of page 1, when it is larger than
every heading.
"""

from __future__ import annotations

import re
from collections import Counter

from webapp.pipeline.layout.blocks import font_family
from webapp.pipeline.layout.model import Item

LARGER = 1.12
TITLE_LARGER = 1.3
MAX_HEADING_CHARS = 160
MAX_HEADING_LINES = 3
MAX_WRAPPED_LINES = 6
# This many same-style heading candidates in a row, with no text between, are not headings.
MAX_RUN = 3
_NUMBERED = re.compile(r"^(?:(\d{1,2}(?:\.\d{1,2}){0,5})|([A-Z](?:\.\d{1,2}){1,5}))\.?\s+\S")
_LETTER = re.compile(r"[^\W\d_]")
_MONOSPACE = re.compile(r"(?i)mono|courier|consol|code|typewriter|^(?:[A-Z]{6}\+)?(?:CM|SF)TT|inconsolata")
_CAPTION = re.compile(r"(?i)^(?:figure|fig\.|table|tab\.|chart|exhibit|source|note)\s*[\d:.]")


def mark_headings(items: list[Item], first_page_height: float) -> None:
    """Turn heading-like paragraphs into headings (with levels) and the title; ``items`` in document order."""
    prose = [item for item in items if item.kind in ("paragraph", "list_item")]
    if not prose:
        return
    body_size, body_bold, body_font = _body_style(prose)
    candidates = [item for item in prose if _is_heading(item, body_size, body_bold, body_font)]
    candidates = _without_runs(items, candidates)
    if not candidates:
        return
    title = _title(items, candidates, body_size, first_page_height)
    headings = [item for item in candidates if item is not title]
    if not headings:
        return
    for item in headings:
        item.kind = "heading"
    _levels(headings)


def _body_style(prose: list[Item]) -> tuple[float, bool, str]:
    sizes: Counter[float] = Counter()
    families: Counter[str] = Counter()
    bold_chars = 0
    chars = 0
    for item in prose:
        weight = len(item.text)
        sizes[round(item.size * 2) / 2] += weight
        families[font_family(item.font)] += weight
        chars += weight
        bold_chars += weight if item.bold else 0
    return sizes.most_common(1)[0][0], bold_chars > chars / 2, families.most_common(1)[0][0]


def _is_heading(item: Item, body_size: float, body_bold: bool, body_font: str) -> bool:
    text = item.text.strip()
    if item.kind != "paragraph" or len(text) > MAX_HEADING_CHARS:
        return False
    if len(_LETTER.findall(text)) < 2 or text.endswith((",", ";")):
        return False
    x0, y0, x1, y1 = item.bbox
    if y1 - y0 > 3 * (x1 - x0):
        return False  # set sideways (an arXiv stamp up the margin)
    larger = item.size >= body_size * LARGER and item.size - body_size >= 1.0
    if item.size < body_size * 0.92:
        return False
    words = len(text.split())
    # A large numbered heading in a narrow column wraps after every word or two: more lines, no more words (a
    # sidebar's large words stacked one a line are no heading without their section number).
    wrapped = larger and bool(_NUMBERED.match(text)) and words <= 2 * item.lines <= 2 * MAX_WRAPPED_LINES
    if item.lines > MAX_HEADING_LINES and not wrapped:
        return False
    # A sentence is not a heading, whatever its font, unless it is numbered like a section.
    if text.endswith(".") and words > 8 and not _NUMBERED.match(text):
        return False
    if larger:
        return True
    # Set apart by weight, or by a face of its own (a sans heading over serif text), at body size or above.
    family = font_family(item.font)
    distinct = bool(body_font and family and family != body_font and not item.mono)
    distinct = distinct and not _MONOSPACE.search(item.font)
    # A caption ("Table 2: ...", "Figure 3. ...") is set apart by weight or face as often as a heading is.
    if _CAPTION.match(text):
        return False
    standout = (item.bold and not body_bold) or (distinct and not text.endswith("."))
    return standout and item.lines <= 2 and words <= 20


def _title(items: list[Item], candidates: list[Item], body_size: float, page_height: float) -> Item | None:
    if min(item.page for item in items) != 1:
        return None  # page 1 was not parsed (parse.pages): its title is not ours to guess
    on_first = [item for item in candidates if item.page == 1 and item.bbox[1] < page_height / 2]
    if not on_first:
        return None
    title = max(on_first, key=lambda item: item.size)
    others = [item.size for item in candidates if item is not title]
    if title.size < body_size * TITLE_LARGER or (others and title.size <= max(others)):
        return None
    title.kind = "title"
    title.level = None
    return title


def _without_runs(items: list[Item], candidates: list[Item]) -> list[Item]:
    """Drop runs of ``MAX_RUN`` or more same-style candidates with nothing between them: bold labels of a diagram,
    lines of a code listing or a cover's list of claims, not a heading each."""
    chosen = {id(item) for item in candidates}
    dropped: set[int] = set()
    run: list[Item] = []
    for item in [*items, None]:
        if item is not None and id(item) in chosen and (not run or _style(run[-1]) == _style(item)):
            run.append(item)
            continue
        if len(run) >= MAX_RUN:
            dropped.update(id(member) for member in run)
        run = [item] if item is not None and id(item) in chosen else []
    return [item for item in candidates if id(item) not in dropped]


def _levels(headings: list[Item]) -> None:
    """Numbered headings take their numbering's depth; the others the depth of the numbered style nearest in
    size (one up when clearly larger). Without numbering, the styles ranked largest and boldest first."""
    numbered = [(item, _depth(item.text)) for item in headings if _depth(item.text)]
    if not numbered:
        styles = sorted({_style(item) for item in headings}, key=lambda style: (-style[0], not style[1]))
        rank = {style: index + 1 for index, style in enumerate(styles)}
        for item in headings:
            item.level = min(rank[_style(item)], 6)
        return
    depths: dict[tuple[float, bool], Counter[int]] = {}
    for item, depth in numbered:
        depths.setdefault(_style(item), Counter())[depth] += 1
    style_depth = {style: counter.most_common(1)[0][0] for style, counter in depths.items()}
    for item in headings:
        depth = _depth(item.text) or style_depth.get(_style(item)) or _nearest_depth(item, style_depth)
        item.level = min(max(depth, 1), 6)


def _nearest_depth(item: Item, style_depth: dict[tuple[float, bool], int]) -> int:
    size = _style(item)[0]
    nearest = min(style_depth, key=lambda style: (abs(style[0] - size), style_depth[style]))
    depth = style_depth[nearest]
    return depth - 1 if size >= nearest[0] + 1.0 else depth


def _style(item: Item) -> tuple[float, bool]:
    return round(item.size * 2) / 2, item.bold


def _depth(text: str) -> int:
    match = _NUMBERED.match(text.strip())
    if not match:
        return 0
    number = match.group(1) or match.group(2)
    return number.count(".") + 1
