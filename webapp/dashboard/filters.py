"""Jinja filters for the dashboard. Each returns plain text: autoescaping still applies to what they give."""

from __future__ import annotations

import json
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from webapp.dashboard import bp
from webapp.timeutil import parse_rfc3339


@bp.app_template_filter("timestamp")
def timestamp(value: str | None) -> str:
    """``2026-11-29T07:00:00.123Z`` → ``2026-11-29 07:00:00 UTC``; empty for None."""
    if not value:
        return ""
    try:
        return parse_rfc3339(value).strftime("%Y-%m-%d %H:%M:%S UTC")
    except ValueError:
        return str(value)


@bp.app_template_filter("filesize")
def filesize(value: int | None) -> str:
    if value is None:
        return ""
    size = float(value)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{value} bytes"  # pragma: no cover - the loop always returns


@bp.app_template_filter("duration")
def duration(value: float | None) -> str:
    """Milliseconds → ``12 ms`` or ``3.4 s``."""
    if value is None:
        return ""
    return f"{value:.0f} ms" if value < 1000 else f"{value / 1000:.1f} s"


@bp.app_template_filter("plain")
def plain(value: Any) -> str:
    """Any JSON value as text for a table cell: scalars as they are, lists and objects as compact JSON."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@bp.app_template_filter("percent")
def percent(value: float | None) -> str:
    return "" if value is None else f"{float(value) * 100:.0f}%"


# The extracted document is untrusted. html=False escapes every raw HTML tag it contains; markdown-it's link check
# refuses javascript:, vbscript:, file: and data: URLs; images become their alt text (the page loads nothing from
# the document's hosts, and the CSP would refuse them anyway); links open with no referrer and no opener.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)


def _image(renderer, tokens, idx, options, env):  # noqa: ARG001 - markdown-it's render rule signature
    token = tokens[idx]
    alt = "".join(child.content for child in token.children or []) or "image"
    return f'<span class="md-image">[image: {escape(alt)}]</span>'


def _link_open(renderer, tokens, idx, options, env):
    tokens[idx].attrSet("rel", "nofollow noopener noreferrer")
    return renderer.renderToken(tokens, idx, options, env)


_markdown.add_render_rule("image", _image)
_markdown.add_render_rule("link_open", _link_open)


@bp.app_template_filter("markdown")
def markdown(value: str | None) -> Markup:
    """Markdown as HTML that is safe to show: see the parser settings above."""
    return Markup(_markdown.render(value or ""))


# What each quality signal means, for the result viewer; signals not listed here are shown without a note.
SIGNAL_HELP = {
    "pages": "Pages in the document.",
    "empty_pages": "Pages on which no text was found (scans without OCR, blank pages).",
    "empty_page_share": "Share of the pages without text.",
    "chars_per_page": "Characters of text per page on average; very low values suggest a scan.",
    "chars": "Characters of extracted text.",
    "words": "Words of extracted text.",
    "encoding_repairs": "Places where broken character encoding was repaired.",
    "unreadable_share": "Share of characters that are control or replacement characters (garbled text).",
    "mojibake_share": "Share of text that looks like mis-decoded characters (e.g. Ã© for é).",
    "dictionary_share": "Share of words found in the detected language's common vocabulary; low means garbled.",
    "sampled": "The signals were computed on a sample of a long text, not all of it.",
    "ocr_pages": "Pages whose text came from OCR.",
    "ocr_confidence": "Average OCR confidence.",
    "ocr_available": "Whether OCR could run for pages without a text layer.",
    "unreadable_pages": "Pages whose text could not be read.",
    "tables": "Tables found.",
    "paragraphs": "Paragraphs found.",
}


@bp.app_template_filter("signal_help")
def signal_help(name: str) -> str:
    return SIGNAL_HELP.get(name, "")


@bp.app_template_filter("pretty_json")
def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


@bp.app_template_filter("json_summary")
def json_summary(value: Any) -> str:
    """What a collapsed JSON part holds: ``12 items``, ``4 keys``, ``5,120 characters``."""
    if isinstance(value, list):
        return f"{len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, dict):
        return f"{len(value)} key{'s' if len(value) != 1 else ''}"
    if isinstance(value, str):
        return f"{len(value):,} characters"
    return plain(value)
