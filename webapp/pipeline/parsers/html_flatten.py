"""Markup nested past what libxml2 will parse, rewritten so that its text survives.

libxml2 stops at 2,048 levels of elements (even with huge_tree) and drops the rest of the page: 200,000 nested
``<div>``s would come out empty. ``flatten_deep_markup`` scans the tags with a regular expression, keeps those down
to MAX_HTML_DEPTH levels and drops those below, keeping the text between them verbatim (a space stands for each
dropped tag so words stay apart). Scripts and styles below the limit are dropped with their content, as the walker
would drop them. Only pages that hit libxml2's limit pay for this pass.
"""

from __future__ import annotations

import re

MAX_HTML_DEPTH = 1000
_VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
}  # fmt: skip
_RAW_TEXT = {"script", "style", "textarea", "title", "xmp", "plaintext"}
_TOKEN = re.compile(r"<!--.*?(?:-->|\Z)|<(/?)([A-Za-z][^\s/>]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*>", re.S)
_END_TAG_SEARCH = 64  # how far up the open elements an end tag is looked for (bounded: no quadratic walk)


class _Flattener:
    def __init__(self, text: str, max_depth: int) -> None:
        self.text = text
        self.max_depth = max_depth
        self.out: list[str] = []
        self.open: list[tuple[str, bool]] = []  # (tag, written)
        self.dropped = 0

    def run(self) -> str:
        text, position = self.text, 0
        while (match := _TOKEN.search(text, position)) is not None:
            self.out.append(text[position : match.start()])
            position = match.end()
            closing, name = match.group(1), (match.group(2) or "").lower()
            if not name:
                self.out.append(match.group())  # a comment: libxml2 removes it
            elif closing:
                self._end(name)
            else:
                position = self._start(name, match, position)
        self.out.append(text[position:])
        return "".join(self.out)

    def _start(self, name: str, match: re.Match[str], position: int) -> int:
        """Keep or drop a start tag; a raw-text element (script, style ...) is taken whole. Where to go on."""
        written = len(self.open) < self.max_depth
        self.out.append(match.group() if written else " ")
        self.dropped += not written
        if name in _RAW_TEXT:
            end = re.compile(rf"</{re.escape(name)}\s*>", re.I).search(self.text, position)
            stop = end.end() if end else len(self.text)
            if written:
                self.out.append(self.text[position:stop])
            return stop
        if name not in _VOID and not match.group().endswith("/>"):
            self.open.append((name, written))
        return position

    def _end(self, name: str) -> None:
        if self.open and self.open[-1][0] == name:  # the common case, first
            self.out.append(f"</{name}>" if self.open.pop()[1] else " ")
            return
        window = self.open[-_END_TAG_SEARCH:]
        for offset in range(len(window) - 1, -1, -1):
            if window[offset][0] == name:
                break
        else:
            return  # a stray end tag: libxml2 ignores it too
        index = len(self.open) - len(window) + offset
        self.out.extend(f"</{tag}>" if written else " " for tag, written in reversed(self.open[index:]))
        del self.open[index:]


def flatten_deep_markup(text: str, max_depth: int = MAX_HTML_DEPTH) -> tuple[str, int]:
    """The markup with elements below ``max_depth`` levels unwrapped, and how many tags were dropped."""
    flattener = _Flattener(text, max_depth)
    return flattener.run(), flattener.dropped
