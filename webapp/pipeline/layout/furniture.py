"""Page furniture: running headers and footers, page numbers, found by repetition across pages.

A line in the top or bottom margin zone is furniture when the same text, digits aside ("Page 3 of 52" and "Page 4
of 52" are one text), stands at about the same height on enough pages; a page number ("7", "- 7 -", "Page 7",
"vii", "7 / 52") in a margin zone is furniture on its own.
"""

from __future__ import annotations

import re
from collections import defaultdict

from webapp.pipeline.document import FURNITURE_TYPES
from webapp.pipeline.layout.blocks import join_lines
from webapp.pipeline.layout.model import Item, union

# The margin zones, as a share of the page height from the top and from the bottom.
ZONE_SHARE = 0.15
# How far (points) the same running text may move between pages and still count as the same.
SAME_PLACE = 6.0
_DIGITS = re.compile(r"\d+")
PAGE_NUMBER = re.compile(
    r"^[\W_]*(?:(?:page|p\.|seite|pagina|página|страница)\s*)?(?:\d{1,4}|[ivxlc]{1,7})"
    r"(?:\s*(?:of|/|von|de|sur|из)\s*\d{1,4})?[\W_]*$",
    re.IGNORECASE,
)


def mark_furniture(items: list[Item], page_count: int) -> None:
    """Set ``kind`` to page_header / page_footer on the margin-zone items that are furniture."""
    candidates = [item for item in items if item.zone and item.table is None]
    groups: dict[tuple[str, str], list[Item]] = defaultdict(list)
    for item in candidates:
        groups[(item.zone, _key(item.text))].append(item)
    need = 2 if page_count <= 4 else 3
    for (zone, _), members in groups.items():
        kind = "page_header" if zone == "top" else "page_footer"
        for cluster in _same_place(members):
            if len({item.page for item in cluster}) >= need:
                for item in cluster:
                    item.kind = kind
    for item in candidates:
        if item.kind not in FURNITURE_TYPES and PAGE_NUMBER.match(item.text.strip()):
            item.kind = "page_header" if item.zone == "top" else "page_footer"


def rejoin_zone_items(items: list[Item]) -> list[Item]:
    """A margin-zone line that is not furniture was kept apart only in case it was: join it back to the paragraph
    it starts (top of the page) or ends (bottom), where the style and the spacing say it belongs there."""
    result: list[Item] = []
    for item in items:
        previous = result[-1] if result else None
        if previous is not None and previous.page == item.page and _joins(previous, item):
            previous.text = join_lines([previous.text, item.text], [previous.broken_end])
            previous.broken_end = item.broken_end
            previous.bbox = union(previous.bbox, item.bbox)
            previous.lines += item.lines
            previous.zone = ""
            continue
        result.append(item)
    return result


def _joins(upper: Item, lower: Item) -> bool:
    if not (upper.zone == "top" or lower.zone == "bottom") or upper.kind != "paragraph" or lower.kind != "paragraph":
        return False
    if abs(upper.size - lower.size) > 0.5 or upper.bold != lower.bold:
        return False
    gap = lower.bbox[1] - upper.bbox[3]
    overlap = min(upper.bbox[2], lower.bbox[2]) - max(upper.bbox[0], lower.bbox[0])
    # After a sentence that ends short of the right edge, or before an indented line, a paragraph starts.
    ended = upper.text.endswith((".", "!", "?", ":")) and not upper.full_end
    indented = lower.bbox[0] > upper.bbox[0] + upper.size
    return 0 <= gap <= 0.6 * upper.size and overlap > 0 and not ended and not indented


def _key(text: str) -> str:
    return " ".join(_DIGITS.sub("#", text.lower()).split())


def _same_place(items: list[Item]) -> list[list[Item]]:
    """Items of one text grouped by the height they stand at (a heading repeated at another height is not one)."""
    clusters: list[list[Item]] = []
    for item in sorted(items, key=lambda member: member.bbox[1]):
        if clusters and item.bbox[1] - clusters[-1][-1].bbox[1] <= SAME_PLACE:
            clusters[-1].append(item)
        else:
            clusters.append([item])
    return clusters
