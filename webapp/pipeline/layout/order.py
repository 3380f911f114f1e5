"""Reading order: a recursive XY-cut that prefers columns, so a two-column page reads column 1, then column 2.

Plain XY-cut splits a page at every horizontal gap first, and two columns whose paragraph breaks happen to line
up get interleaved. Here the horizontal strips (bands of boxes that overlap vertically) are grouped first: strips
that share an interior vertical gutter belong to one multi-column section, which is then cut into its columns. A
strip that spans the gutter (a full-width title, caption or paragraph) ends the section. A gutter is only taken
when every column it makes is at least ``MIN_COLUMN_SHARE`` of the section's width, so the labels and values of a
form are read row by row, not all labels first.
"""

from __future__ import annotations

Box = tuple[float, float, float, float]
Interval = tuple[float, float]

MIN_COLUMN_SHARE = 0.15


def reading_order(boxes: list[Box], min_gutter: float) -> list[int]:
    """The indexes of ``boxes`` in reading order."""
    if not boxes:
        return []
    cutter = _Cutter(boxes, min_gutter)
    return cutter.cut(list(range(len(boxes))))


class _Cutter:
    def __init__(self, boxes: list[Box], min_gutter: float) -> None:
        self.boxes = boxes
        self.gutter = max(min_gutter, 1.0)
        self.depth = 0

    def cut(self, indexes: list[int]) -> list[int]:
        if len(indexes) <= 1:
            return indexes
        columns = self._columns(indexes)
        if columns:
            return [index for column in columns for index in self.cut(column)]
        strips = self._strips(indexes)
        if len(strips) == 1:
            return sorted(indexes, key=lambda index: (self.boxes[index][0], self.boxes[index][1]))
        groups = self._group(strips, indexes)
        if len(groups) == 1:
            # One section that cannot be cut into columns: read it strip by strip, left to right in each.
            return [index for strip in strips for index in sorted(strip, key=lambda i: self.boxes[i][0])]
        return self._cut_groups(strips, groups)

    def _cut_groups(self, strips: list[list[int]], groups: list[list[int]]) -> list[int]:
        """Each group cut on its own; but a section (not the last) that makes no columns after all, held together
        by a sliver of margin (a centred line over the right column's first lines), reads its first strip alone
        and everything after it is grouped afresh."""
        result: list[int] = []
        start = 0  # the first strip of the group at hand
        for k, group in enumerate(groups):
            first = strips[start]
            if k + 1 < len(groups) and len(group) > len(first) and self._columns(group) is None:
                rest = [index for strip in strips[start + 1 :] for index in strip]
                return result + sorted(first, key=lambda i: self.boxes[i][0]) + self.cut(rest)
            result.extend(self.cut(group))
            count = 0
            while count < len(group):
                count += len(strips[start])
                start += 1
        return result

    def _extent(self, indexes: list[int]) -> Interval:
        return min(self.boxes[i][0] for i in indexes), max(self.boxes[i][2] for i in indexes)

    def _free(self, indexes: list[int], left: float, right: float) -> list[Interval]:
        """Gaps of at least the gutter width between the boxes' x-extents, within [left, right]."""
        spans = sorted((self.boxes[i][0], self.boxes[i][2]) for i in indexes)
        free: list[Interval] = []
        reach = left
        for x0, x1 in spans:
            if x0 - reach >= self.gutter:
                free.append((reach, x0))
            reach = max(reach, x1)
        if right - reach >= self.gutter:
            free.append((reach, right))
        return free

    def _columns(self, indexes: list[int]) -> list[list[int]] | None:
        left, right = self._extent(indexes)
        width = right - left
        gutters = [gap for gap in self._free(indexes, left, right) if gap[0] > left and gap[1] < right]
        if not gutters:
            return None
        edges = [left] + [value for gap in gutters for value in gap] + [right]
        pieces = [(edges[k], edges[k + 1]) for k in range(0, len(edges), 2)]
        if any(x1 - x0 < MIN_COLUMN_SHARE * width for x0, x1 in pieces):
            return None
        columns: list[list[int]] = [[] for _ in pieces]
        for index in indexes:
            centre = (self.boxes[index][0] + self.boxes[index][2]) / 2
            slot = next((k for k, (x0, x1) in enumerate(pieces) if centre <= x1), len(pieces) - 1)
            columns[slot].append(index)
        # A column of one box is no column: a right-aligned date over a left-aligned greeting reads top down.
        if any(len(column) < 2 for column in columns):
            return None
        return columns

    def _strips(self, indexes: list[int]) -> list[list[int]]:
        """Bands of boxes that share at least half the smaller one's height (a tall table takes the lines beside
        it); loose line boxes of one paragraph that merely touch stay apart."""
        ordered = sorted(indexes, key=lambda index: self.boxes[index][1])
        strips: list[list[int]] = []
        top = bottom = 0.0
        for index in ordered:
            _, y0, _, y1 = self.boxes[index]
            overlap = min(bottom, y1) - max(top, y0)
            if strips and overlap > 0 and overlap >= 0.5 * min(y1 - y0, bottom - top):
                strips[-1].append(index)
                bottom = max(bottom, y1)
            else:
                strips.append([index])
                top, bottom = y0, y1
        return strips

    def _group(self, strips: list[list[int]], indexes: list[int]) -> list[list[int]]:
        """Consecutive strips whose free space still shares an interior gutter form one group.

        A strip's free space counts whole, margins included: a line in the left column alone leaves the right
        side free, the next line in the right column alone the left side, and between them stands the gutter,
        even when the two columns' baselines never line up.
        """
        left, right = self._extent(indexes)
        groups: list[list[int]] = []
        shared: list[Interval] = []
        for strip in strips:
            free = self._free(strip, left, right)
            if groups:
                common = _intersect(shared, free, self.gutter)
                if _interior(common, left, right):
                    groups[-1].extend(strip)
                    shared = common
                    continue
                if not _interior(shared, left, right) and not free:
                    groups[-1].extend(strip)  # full-width lines after full-width lines: one group
                    continue
            groups.append(list(strip))
            shared = free
        return groups


def _interior(intervals: list[Interval], left: float, right: float) -> list[Interval]:
    return [gap for gap in intervals if gap[0] > left and gap[1] < right]


def _intersect(first: list[Interval], second: list[Interval], minimum: float) -> list[Interval]:
    result: list[Interval] = []
    for a0, a1 in first:
        for b0, b1 in second:
            lo, hi = max(a0, b0), min(a1, b1)
            if hi - lo >= minimum:
                result.append((lo, hi))
    return result
