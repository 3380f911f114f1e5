"""Tables continued on the next page become one table spanning both pages.

A table that ends a page (nothing after it but the footer) and a table that starts the next page (nothing before
it but the header) are one table when they have as many columns and either the second repeats the first's header
rows (dropped from the joined table) or has no header of its own and its columns stand where the first's stand.
"""

from __future__ import annotations

from webapp.pipeline.document import FURNITURE_TYPES
from webapp.pipeline.layout.model import Item, PageTable

# How far (points) a column's edges may move between pages and still be the same column.
COLUMN_TOLERANCE = 15.0


def join_continued_tables(items: list[Item]) -> list[Item]:
    body = [item for item in items if item.kind not in FURNITURE_TYPES]
    joined: set[int] = set()
    for index, item in enumerate(body[:-1]):
        if id(item) in joined or item.table is None:
            continue
        head = item
        following_index = index + 1
        while following_index < len(body):
            following = body[following_index]
            last_page = (head.pages or [head.page])[-1]
            if not _starts_next_page(body, following_index, last_page) or not _continues(head, following):
                break
            _append(head, following)
            joined.add(id(following))
            following_index += 1
    return [item for item in items if id(item) not in joined]


def _starts_next_page(body: list[Item], index: int, last_page: int) -> bool:
    item = body[index]
    if item.table is None or item.page != last_page + 1:
        return False
    previous = body[index - 1]
    # The head must be the last thing on its page: the item before this one is on the previous page.
    return previous.page == last_page


def _continues(head: Item, following: Item) -> bool:
    first, second = head.table, following.table
    assert first is not None and second is not None
    width = len(first.rows[0]) if first.rows else 0
    if not second.rows or width == 0 or len(second.rows[0]) != width:
        return False
    if first.header_rows and _same_rows(first.rows[: first.header_rows], second.rows[: first.header_rows]):
        return True
    return second.header_rows == 0 and _columns_align(first, second)


def _append(head: Item, following: Item) -> None:
    first, second = head.table, following.table
    assert first is not None and second is not None
    skip = first.header_rows if _same_rows(first.rows[: first.header_rows], second.rows[: first.header_rows]) else 0
    first.rows.extend(second.rows[skip:])
    head.pages = [*(head.pages or [head.page]), following.page]


def _same_rows(a: list[list[str]], b: list[list[str]]) -> bool:
    if len(a) != len(b):
        return False
    return all(
        [" ".join(cell.split()) for cell in x] == [" ".join(cell.split()) for cell in y]
        for x, y in zip(a, b, strict=True)
    )


def _columns_align(first: PageTable, second: PageTable) -> bool:
    if len(first.columns) != len(second.columns) or not first.columns:
        return False
    return all(
        abs(a0 - b0) <= COLUMN_TOLERANCE or abs(a1 - b1) <= COLUMN_TOLERANCE
        for (a0, a1), (b0, b1) in zip(first.columns, second.columns, strict=True)
    )
