"""Tell the text formats apart from decoded content: HTML, XML, JSON, e-mail, CSV/TSV, Markdown, plain text.

Only a prefix is examined. The file name's extension is used solely as a tie-breaker between the text formats
whose content is ambiguous (a two-line CSV, a Markdown file with a single list).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections import Counter

HTML = "text/html"
XHTML = "application/xhtml+xml"
XML = "application/xml"
JSON = "application/json"
EML = "message/rfc822"
CSV = "text/csv"
TSV = "text/tab-separated-values"
MARKDOWN = "text/markdown"
PLAIN = "text/plain"

_HTML_START = re.compile(r"<(!doctype\s+html|html|head|body|meta|title|link|div|p|table|h[1-6]|span|a|ul|style)[\s>/]")
_XML_TAG = re.compile(r"<[A-Za-z_][\w.:-]*[\s>/]")
_JSON_START = re.compile(r'(\{\s*("|\})|\[\s*([\[{"\d\-\]]|true|false|null))')
_HEADER_LINE = re.compile(r"([A-Za-z0-9][A-Za-z0-9-]*):[ \t]?")
_MAIL_HEADERS = {
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "received",
    "return-path",
    "message-id",
    "mime-version",
    "content-type",
    "reply-to",
    "delivered-to",
    "x-mailer",
    "sender",
}

_MD_STRONG = (
    re.compile(r"^#{1,6}[ \t]+\S", re.M),  # ATX heading
    re.compile(r"^(```|~~~)", re.M),  # fenced code
    re.compile(r"\[[^\]\n]+\]\([^)\s]+[^)]*\)"),  # inline link
    re.compile(r"^\|?[ \t]*:?-{3,}:?[ \t]*\|", re.M),  # table separator row
)
_MD_WEAK = (
    re.compile(r"^[ \t]*([-*+]|\d{1,3}[.)])[ \t]+\S", re.M),  # list item
    re.compile(r"^>[ \t]?\S", re.M),  # block quote
    re.compile(r"(\*\*|__)[^*_\n]+\1"),  # strong emphasis
    re.compile(r"`[^`\n]+`"),  # inline code
    re.compile(r"^\S.*\n(=+|-+)[ \t]*$", re.M),  # setext heading
)
_DELIMITED_SAMPLE = 32768
_TEXT_EXTENSIONS = {
    ".csv": CSV,
    ".tsv": TSV,
    ".tab": TSV,
    ".md": MARKDOWN,
    ".markdown": MARKDOWN,
    ".txt": PLAIN,
    ".text": PLAIN,
}


def classify_text(text: str, extension: str, complete: bool) -> tuple[str, str]:
    """MIME type and the reason, for ``text`` (a decoded prefix; ``complete`` when it is the whole file)."""
    body = text.lstrip("\ufeff \t\r\n")
    head = body[:2048].lower()
    markup = _markup(head, body)
    if markup:
        return markup
    if _is_json(body, complete):
        return JSON, "content parses as JSON"
    if _is_email(body):
        return EML, "starts with RFC 822 mail headers"
    return _plain_family(body, extension.lower(), complete)


def _markup(head: str, body: str) -> tuple[str, str] | None:
    if head.startswith("<?xml"):
        if "<!doctype html" in head or re.search(r"<html[\s>]", head):
            if "http://www.w3.org/1999/xhtml" in head:
                return XHTML, "XML declaration with an XHTML root"
            return HTML, "XML declaration with an <html> root"
        if "<svg" in head:
            return "image/svg+xml", "XML declaration with an <svg> root"
        return XML, "starts with an XML declaration"
    stripped = _skip_comments(head)
    if _HTML_START.match(stripped) or stripped.startswith("<!doctype html"):
        return HTML, "starts with HTML markup"
    if stripped.startswith("<") and _XML_TAG.match(stripped) and "</" in body[:65536]:
        return XML, "starts with an XML element"
    return None


def _skip_comments(head: str) -> str:
    while head.startswith("<!--"):
        end = head.find("-->")
        if end < 0:
            return head
        head = head[end + 3 :].lstrip()
    return head


def _is_json(body: str, complete: bool) -> bool:
    if body[:1] not in ("{", "["):
        return False
    if complete:
        try:
            json.loads(body)
        except ValueError:
            return False
        return True
    return bool(_JSON_START.match(body))


def _is_email(body: str) -> bool:
    lines = body.splitlines()[:40]
    if lines and lines[0].startswith("From "):  # mbox separator line
        lines = lines[1:]
    names = set()
    for line in lines:
        if not line.strip():
            break
        if line[:1] in (" ", "\t"):  # folded continuation of the previous header
            continue
        match = _HEADER_LINE.match(line)
        if not match:
            return False
        names.add(match.group(1).lower())
    known = names & _MAIL_HEADERS
    return len(known) >= 2 and bool(known & {"from", "subject", "received", "mime-version", "message-id", "to"})


def _plain_family(body: str, extension: str, complete: bool) -> tuple[str, str]:
    hinted = _TEXT_EXTENSIONS.get(extension)
    delimited = sniff_delimiter(body, complete)
    if delimited and (delimited[1] >= 5 or hinted in (CSV, TSV)):
        mime = TSV if delimited[0] == "\t" else CSV
        return mime, f"{delimited[1]} rows with a consistent {delimited[0]!r} field count"
    strong, weak = _markdown_score(body[:65536])
    if strong >= 2 or (strong and strong + weak >= 3):
        return MARKDOWN, "Markdown structure (headings, links, fences or tables)"
    if hinted == MARKDOWN:
        return MARKDOWN, f"plain text; {extension} extension breaks the tie"
    return PLAIN, "text without recognisable structure"


def sniff_delimiter(body: str, complete: bool) -> tuple[str, int] | None:
    """(delimiter, rows) when the first lines have the same number (≥ 2) of fields for some delimiter."""
    sample = body[:_DELIMITED_SAMPLE]
    if (len(body) > _DELIMITED_SAMPLE or not complete) and "\n" in sample:
        sample = sample[: sample.rfind("\n")]  # the last row may be cut off
    best: tuple[str, int] | None = None
    for delimiter in (",", "\t", ";"):
        if delimiter not in sample[:4096]:
            continue
        try:
            rows = [row for row in itertools.islice(csv.reader(io.StringIO(sample), delimiter=delimiter), 60) if row]
        except csv.Error:
            continue
        if len(rows) < 2:
            continue
        width, hits = Counter(len(row) for row in rows).most_common(1)[0]
        if width >= 2 and hits >= 0.9 * len(rows) and (best is None or hits > best[1]):
            best = (delimiter, hits)
    return best


def _markdown_score(sample: str) -> tuple[int, int]:
    strong = sum(min(len(pattern.findall(sample)), 3) for pattern in _MD_STRONG)
    weak = sum(min(len(pattern.findall(sample)), 3) for pattern in _MD_WEAK)
    return strong, weak
