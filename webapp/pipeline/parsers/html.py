"""HTML and XHTML with lxml: readable content as elements; scripts, styles and page chrome dropped.

Parsers are configured never to touch the network and never to expand entities. XHTML is tried as XML first (so
self-closing tags mean what they say) and falls back to the forgiving HTML parser. A page nested deeper than
libxml2 parses (2,048 levels) is unwrapped below MAX_HTML_DEPTH levels and parsed again, with a warning: its text is
kept, flat (see html_flatten).
"""

from __future__ import annotations

import codecs
import re
from typing import Any

import lxml.html
from lxml import etree

from webapp.pipeline.base import Parser
from webapp.pipeline.document import Detection, Element, ParsedDocument, Source
from webapp.pipeline.parsers.html_flatten import MAX_HTML_DEPTH, flatten_deep_markup
from webapp.pipeline.parsers.html_tables import local_name
from webapp.pipeline.parsers.html_walk import HtmlWalker

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
# WHATWG: these labels mean windows-1252 in practice.
_WINDOWS_1252_LABELS = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii", "ascii", "l1"}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


class HtmlParser(Parser):
    name = "html"
    mime_types = {"text/html": 100, "application/xhtml+xml": 100}

    def parse(self, source: Source, detection: Detection, options: dict[str, Any]) -> ParsedDocument:
        data = source.path.read_bytes()
        document = ParsedDocument()
        root = None
        if detection.mime_type == "application/xhtml+xml":
            root = _parse_xml(data)
        if root is None:
            text = data.decode(html_encoding(data, detection), errors="replace")
            root = parse_html(text, document.warnings)
        if root is None:
            return document
        document.metadata.update(_head_metadata(root))
        body = next((node for node in root.iter() if local_name(node) == "body"), root)
        walker = HtmlWalker(tables=options.get("tables", True))
        walker.walk_block(body)
        document.elements, document.tables = walker.elements, walker.tables
        document.warnings.extend(walker.budget.warnings())
        title = document.metadata.get("title")
        if title and not any(element.type == "heading" and element.level == 1 for element in document.elements):
            # Without an <h1> the page's <title> is the only name the content has.
            document.elements.insert(0, Element("title", title))
        return document


def _parse_xml(data: bytes) -> etree._Element | None:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True, recover=False
    )
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return None


def parse_html(text: str, warnings: list[str]) -> etree._Element | None:
    # Decoded here rather than by libxml2, which knows fewer encoding names than Python. lxml refuses text that
    # still carries an XML encoding declaration, and a BOM would stay in the first paragraph.
    text = _XML_DECLARATION.sub("", text.lstrip("\ufeff"), count=1)
    # huge_tree lifts libxml2's nesting limit from 256 to 2048 levels: past the limit it drops the rest of the
    # page, and broken markup (unclosed <font> or <div>) gets that deep. HTML has no entity declarations.
    root, fatal = _parse_markup(text)
    if fatal and "Excessive depth" in fatal:
        # Deeper than libxml2 goes: the rest of the page would be lost. Unwrap the deepest elements and parse again.
        text, dropped = flatten_deep_markup(text)
        root, fatal = _parse_markup(text)
        warnings.append(
            f"the page nests elements deeper than {MAX_HTML_DEPTH} levels (limit max_html_depth); the text of "
            f"{dropped:,} deeper elements was read without their structure"
        )
    if fatal:
        warnings.append(f"only part of the page could be read: {fatal}")
    return root


def _parse_markup(text: str) -> tuple[etree._Element | None, str | None]:
    """The tree (None for a page of only whitespace or comments) and libxml2's first fatal error, if any."""
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True, huge_tree=True)
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError):
        return None, None
    fatal = [entry.message for entry in parser.error_log if entry.level_name == "FATAL"]
    return root, fatal[0] if fatal else None


def html_encoding(data: bytes, detection: Detection) -> str:
    """BOM, then the page's own <meta charset>, then what detection found, then UTF-8."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    match = _META_CHARSET.search(data[:4096])
    if match:
        label = match.group(1).decode("ascii").lower()
        if label in _WINDOWS_1252_LABELS:
            return "cp1252"
        try:
            name = codecs.lookup(label).name
        except LookupError:
            name = ""
        # WHATWG: a page that could read its own <meta> as ASCII cannot be UTF-16, whatever it declares.
        if name and not name.startswith(("utf-16", "utf-32")):
            return name
    return detection.encoding or "utf-8"


def _head_metadata(root: etree._Element) -> dict[str, str]:
    metadata: dict[str, str] = {}
    for node in root.iter():
        name = local_name(node)
        if name == "body":
            break
        if name == "title" and "title" not in metadata:
            title = " ".join("".join(node.itertext()).split())
            if title:
                metadata["title"] = title
        elif name == "meta":
            key = (node.get("name") or "").lower()
            content = " ".join((node.get("content") or "").split())
            if key in ("author", "description", "keywords") and content:
                metadata[key] = content
    lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    if lang:
        metadata["lang"] = lang
    return metadata
