"""Table rows from placed bands: which bands make one row (wrapped cells), spanning headings, spans per cell.

A band (one baseline) is a row unless it continues the row above. Between two rules, a stretch holding at most
one complete band (text in most columns) is one row whose cells run over several lines; otherwise a band continues
the row above only when it looks like wrapped text: no figures, only under cells the row already has, the row's
first cell empty or the text starting in lower case, and (when the table's rows are set apart by extra space) no
wider gap than the lines inside a row. Header lines close together are one header row; a heading centred over
several cells of the header line below spans them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from webapp.pipeline.layout.model import Word
from webapp.pipeline.layout.tables_common import Span, has_dot_leader, is_numeric
from webapp.pipeline.layout.tables_text import Piece, Row

# Rows set apart by extra space: the wider pitches must be this much (em) wider than the narrowest.
LOOSE_EM = 0.25
# A table from alignment has text in at least this share of its cells (a chart's tick labels fill few).
MIN_FILL = 0.4
# A cell of this many words is a paragraph; many of them make running text, not a table.
PROSE_WORDS = 30
_ENUMERATOR = re.compile(r"^\(\d{1,2}[a-z]?\)$")


def widen_headings(rows: list[Row]) -> None:
    """A heading centred over more cells of the header lines below it than it overlaps spans them all ("Three
    Months Ended" over "June 25, 2022", "June 26, 2021" and "Change"), unless it is centred on the cells right
    under it."""
    for index, upper in enumerate(rows[:-1]):
        below: dict[int, tuple[float, float]] = {}
        for row in rows[index + 1 :]:
            for p in row.pieces:
                if p.right - p.left == 1:
                    x0, x1 = below.get(p.left, (p.words[0].x0, p.words[-1].x1))
                    below[p.left] = (min(x0, p.words[0].x0), max(x1, p.words[-1].x1))
        for piece in upper.pieces:
            taken = {c for p in upper.pieces if p is not piece for c in range(p.left, p.right)}
            middle = (piece.words[0].x0 + piece.words[-1].x1) / 2
            best = _best_window(below, (piece.left, piece.right), taken, middle)
            if best is not None:
                piece.left, piece.right = best


def _best_window(
    below: dict[int, tuple[float, float]], cells: tuple[int, int], taken: set[int], middle: float
) -> tuple[int, int] | None:
    """The run of cells below, holding ``cells`` and free above, whose middle is nearest ``middle`` (and nearer
    than the middle of ``cells`` themselves)."""
    columns = sorted(c for c in below if c not in taken)
    if cells[0] in below and cells[1] - 1 in below:
        own = (below[cells[0]][0] + below[cells[1] - 1][1]) / 2
        best, best_offset = None, abs(own - middle)
    else:
        best, best_offset = None, float("inf")
    for i, left in enumerate(columns):
        for right in columns[i + 1 :]:
            if left > cells[0] or right < cells[1] - 1 or (left, right + 1) == cells:
                continue
            if any(c in taken for c in range(left, right + 1)):
                break
            x0, x1 = below[left][0], below[right][1]
            offset = abs((x0 + x1) / 2 - middle)
            if offset < 0.15 * (x1 - x0) and offset < best_offset:
                best, best_offset = (left, right + 1), offset
    return best


def _compatible(record: list[Row], row: Row) -> bool:
    """``row`` may join ``record``: each of its pieces covers exactly a cell the record has, or free columns."""
    cells = {(piece.left, piece.right) for r in record for piece in r.pieces}
    taken = {c for r in record for c in r.occupied()}
    for piece in row.pieces:
        if (piece.left, piece.right) in cells:
            continue
        if any(c in taken for c in range(piece.left, piece.right)):
            return False
    return True


def _complete(row: Row, ncols: int) -> bool:
    return len(row.occupied()) >= max(2, 0.6 * ncols)


@dataclass(slots=True)
class _Spacing:
    size: float
    # The usual pitch from one band to the next.
    usual: float
    # The pitch of lines inside a row when rows are set apart by extra space (padding), else None.
    narrow: float | None


def group_records(
    rows: list[Row], breaks: list[float], ncols: int, size: float, header: bool = False
) -> list[list[Row]]:
    """Rows into table rows (records); a record never crosses a rule in ``breaks`` (y positions). In a header
    (``header``) closely set lines under the same cells are one row, whatever their text."""
    stretches: list[list[Row]] = []
    for row in rows:
        crossed = stretches and any(stretches[-1][-1].y1 <= y <= row.y0 + 0.5 for y in breaks)
        if not stretches or crossed:
            stretches.append([row])
        else:
            stretches[-1].append(row)
    spacing = _spacing(rows, size)
    records: list[list[Row]] = []
    for stretch in stretches:
        # Rules between the rows and at most one complete line between two of them: one row of wrapped cells.
        merge_all = len(stretches) > 1 and sum(1 for row in stretch if _complete(row, ncols)) <= 1
        records.append([stretch[0]])
        for row in stretch[1:]:
            record = records[-1]
            if header:
                joins = row.y0 - record[-1].y1 <= 0.8 * size
            else:
                joins = merge_all or _continues(record, row, spacing)
            if joins and _compatible(record, row):
                record.append(row)
            else:
                records.append([row])
    return records


def _spacing(rows: list[Row], size: float) -> _Spacing:
    pitches = sorted(b.y0 - a.y0 for a, b in zip(rows, rows[1:], strict=False))
    if not pitches:
        return _Spacing(size, 1.2 * size, None)
    usual = pitches[len(pitches) // 2]
    narrow = pitches[0]
    wide = sum(1 for p in pitches if p > narrow + LOOSE_EM * size)
    # Two groups of pitches, the wide one common: rows padded apart, lines inside a row closer.
    padded = len(pitches) >= 3 and 0.25 * len(pitches) <= wide < len(pitches)
    return _Spacing(size, usual, narrow if padded else None)


def _bold(pieces: list[Piece]) -> bool:
    return all(word.bold for piece in pieces for word in piece.words)


def _continues(record: list[Row], row: Row, spacing: _Spacing) -> bool:
    """``row`` is wrapped text of the cells of ``record``, or ``record`` is a label wrapped onto ``row``."""
    previous = record[-1]
    if _label_lead_in(record, row, spacing.size):
        return True
    if any(is_numeric(piece.words) for piece in row.pieces):
        return False
    head_cells = {c for r in record for c in r.occupied()}
    if not row.occupied() <= head_cells:
        return False
    lefts = {piece.left for piece in row.pieces}
    above = [p for p in previous.pieces if p.left in lefts]
    if any(p.words[-1].text.endswith(":") for p in above) or (above and _bold(above) != _bold(row.pieces)):
        return False
    pitch = row.y0 - previous.y0
    if spacing.narrow is not None:
        return pitch <= spacing.narrow + LOOSE_EM * spacing.size / 2
    if pitch > spacing.usual + 0.15 * spacing.size or row.y0 - previous.y1 > 0.8 * spacing.size:
        return False
    first_empty = 0 not in row.occupied() and 0 in head_cells
    lower = all(piece.words[0].text[:1].islower() for piece in row.pieces)
    return first_empty or lower


def _label_lead_in(record: list[Row], row: Row, size: float) -> bool:
    """A first-column label too long for its cell starts a line above its figures: "Total change in unrealized
    gains/losses on marketable debt" over "securities  (3,055)  163"."""
    if len(record) != 1 or record[0].occupied() != {0} or row.y0 - record[0].y1 > 0.8 * size:
        return False
    first = next((piece for piece in row.pieces if piece.left == 0 and piece.right == 1), None)
    label = record[0].pieces[-1].words[-1].text
    return first is not None and first.words[0].text[:1].islower() and not label.endswith((":", "."))


def spans_of(records: list[list[Row]], offset: int = 0) -> list[Span]:
    """One span per cell of each record; pieces overlapping in columns join one span."""
    spans: list[Span] = []
    for index, record in enumerate(records):
        pieces = sorted((p for row in record for p in row.pieces), key=lambda p: (p.left, -p.right))
        current: Span | None = None
        for piece in pieces:
            if current is not None and piece.left < current.right:
                current.right = max(current.right, piece.right)
                current.words.extend(piece.words)
                continue
            current = Span(offset + index, offset + index + 1, piece.left, piece.right, list(piece.words))
            spans.append(current)
    return spans


def mostly_spread(records: list[list[Row]]) -> bool:
    """A third of the rows are one piece of text across several columns: paragraphs, not table rows."""
    spread = 0
    for record in records:
        pieces = [piece for row in record for piece in row.pieces]
        if len(pieces) >= 1 and all(piece.right - piece.left > 1 for piece in pieces):
            spread += 1
    return spread >= max(2, len(records) / 3)


def implausible(spans: list[Span], nrows: int, ncols: int) -> str:
    """Why a candidate from word alignment is no table after all ("" when it is one): a chart's scattered tick
    labels (sparse cells), paragraphs, a table of contents, a numbered listing (pseudo-code)."""
    by_column: dict[int, list[list[Word]]] = {}
    filled = 0
    for span in spans:
        if span.words:
            by_column.setdefault(span.left, []).append(span.words)
            filled += (span.bottom - span.top) * (span.right - span.left)
    if filled < MIN_FILL * nrows * ncols:
        return "sparse"
    if nrows >= 3 and sum(1 for cells in by_column.values() if len(cells) >= 2) < 0.75 * ncols:
        return "sparse columns"
    wordy = sum(1 for span in spans if len(span.words) >= PROSE_WORDS)
    if wordy >= max(2, 0.4 * nrows):
        return "prose"
    if sum(1 for span in spans if has_dot_leader(span.words)) >= 2:
        return "contents"
    last = [cell for cell in by_column.get(ncols - 1, []) if cell]
    if ncols <= 3 and _page_numbers([words[-1].text for words in last]):
        return "contents"
    first = by_column.get(0, [])
    if len(first) >= 3 and _line_numbers([" ".join(w.text for w in words) for words in first]):
        return "listing"
    return ""


def _page_numbers(texts: list[str]) -> bool:
    """Four or more whole numbers rising unevenly (page numbers, unlike a rank 1, 2, 3) down most of a column
    (a "Page" heading may top it)."""
    numbers = [int(text) for text in texts if text.isdigit()]
    if len(numbers) < 4 or len(numbers) < 0.8 * len(texts):
        return False
    steps = [b - a for a, b in zip(numbers, numbers[1:], strict=False)]
    return all(step >= 0 for step in steps) and any(step != 1 for step in steps)


def _line_numbers(texts: list[str]) -> bool:
    """1:, 2:, 3: ... down most of the first column (a caption may sit on top): a numbered listing."""
    numbers = [int(text[:-1]) for text in texts if text.endswith(":") and text[:-1].isdigit()]
    consecutive = numbers == list(range(numbers[0], numbers[0] + len(numbers))) if numbers else False
    return len(numbers) >= 3 and len(numbers) >= 0.7 * len(texts) and consecutive


def figure_columns(spans: list[Span], ncols: int) -> list[int]:
    """Columns whose cells are mostly figures (three at least)."""
    cells: dict[int, list[list[Word]]] = {}
    for span in spans:
        if span.words and span.right - span.left == 1:
            cells.setdefault(span.left, []).append(span.words)
    result = []
    for column in range(ncols):
        figures = [words for words in cells.get(column, []) if is_numeric(words)]
        # "(1)", "(2)", ... numbering paragraphs or equations are no figures.
        numbering = all(len(words) == 1 and _ENUMERATOR.match(words[0].text) for words in figures)
        if len(figures) >= 3 and len(figures) >= 0.6 * len(cells[column]) and not numbering:
            result.append(column)
    return result
