"""Page selections such as ``"1-3,7"`` (``parse.pages`` and ``GET /jobs/{id}/result?pages=``)."""

from __future__ import annotations

import re

_PART = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d*)\s*)?$")
# A selection names at most this many ranges; far more than anyone types, few enough to check quickly.
MAX_PARTS = 200


class PageRangeError(ValueError):
    """The selection is malformed; the message says how."""


class PageRange:
    """A set of 1-based page numbers given as ranges; an open range (``"5-"``) runs to the last page."""

    __slots__ = ("ranges", "text")

    def __init__(self, ranges: list[tuple[int, int | None]], text: str) -> None:
        self.ranges = ranges
        self.text = text

    def __contains__(self, number: object) -> bool:
        if not isinstance(number, int):
            return False
        return any(start <= number and (end is None or number <= end) for start, end in self.ranges)

    def pages(self, count: int) -> list[int]:
        """The selected page numbers that exist in a document of ``count`` pages, ascending."""
        chosen: set[int] = set()
        for start, end in self.ranges:
            chosen.update(range(start, min(count, end if end is not None else count) + 1))
        return sorted(chosen)

    def __repr__(self) -> str:
        return f"PageRange({self.text!r})"


def parse_page_range(text: str) -> PageRange:
    """``"1-3,7,10-"`` -> a PageRange; raises PageRangeError saying what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise PageRangeError('must name pages, e.g. "1-3,7"')
    parts = text.split(",")
    if len(parts) > MAX_PARTS:
        raise PageRangeError(f"at most {MAX_PARTS} ranges")
    ranges: list[tuple[int, int | None]] = []
    for part in parts:
        match = _PART.match(part)
        if not match:
            raise PageRangeError(f'{part.strip()!r} is not a page or a range such as "2-4"')
        start = int(match.group(1))
        end_text = match.group(2)
        end = None if end_text == "" else int(end_text) if end_text is not None else start
        if start < 1:
            raise PageRangeError("pages are numbered from 1")
        if end is not None and end < start:
            raise PageRangeError(f"{part.strip()!r} ends before it starts")
        ranges.append((start, end))
    return PageRange(ranges, ",".join(part.strip() for part in parts))


def page_list(numbers: list[int], limit: int = 10) -> str:
    """Page numbers for a warning: "3, 7, 12", cut after ``limit`` with " ..."."""
    shown = ", ".join(str(number) for number in numbers[:limit])
    return shown + (" ..." if len(numbers) > limit else "")


def check_page_range(value: object) -> str | None:
    """Option validator for ``parse.pages``: "" (every page) or a selection."""
    if value == "":
        return None
    try:
        parse_page_range(value)  # type: ignore[arg-type]
    except PageRangeError as exc:
        return str(exc)
    return None
