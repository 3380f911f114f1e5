"""Generic XML: the text content in document order, streamed with lxml's iterparse.

Entities are never expanded (a "billion laughs" file yields its few literal characters), no DTD is loaded and
nothing is fetched. An element holding text of its own (mixed content, or a leaf) becomes one paragraph with all
the text inside it; elements that only contain other elements are containers, whose children's paragraphs follow
one another. Subtrees are freed as soon as they are read, so memory follows the text kept, not the tree.
Elements nested deeper than MAX_XML_DEPTH (libxml2's limit) fail with LimitExceededError as soon as the parser
reaches that depth.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from webapp.pipeline.base import Parser
from webapp.pipeline.document import Detection, Element, ParsedDocument, Source
from webapp.pipeline.errors import CorruptFileError, LimitExceededError

# libxml2's own nesting limit without huge_tree (which stays off: it would also lift the size limits).
MAX_XML_DEPTH = 256
# A piece of an element's content: ("t", own text or a tail), ("f", an inline child's text), ("b", a container's
# paragraphs).
_Piece = tuple[str, Any]


class XmlParser(Parser):
    name = "xml"
    mime_types = {"application/xml": 100}

    def parse(self, source: Source, detection: Detection, options: dict[str, Any]) -> ParsedDocument:  # noqa: ARG002 (the Parser contract)
        document = ParsedDocument()
        try:
            root, blocks = _read(source)
        except etree.XMLSyntaxError as exc:
            if "Excessive depth" in str(exc):
                raise LimitExceededError(
                    f"the XML nests elements deeper than {MAX_XML_DEPTH} levels (limit max_xml_depth)"
                ) from None
            raise CorruptFileError(f"the XML is malformed: {exc}") from None
        document.elements.extend(Element("paragraph", block) for block in blocks)
        if root is not None:
            document.metadata["root_element"] = etree.QName(root).localname
            namespace = etree.QName(root).namespace
            if namespace:
                document.metadata["namespace"] = namespace
        return document


def _read(source: Source) -> tuple[etree._Element | None, list[str]]:
    events = etree.iterparse(
        str(source.path),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    frames: list[list[_Piece]] = []
    root, blocks = None, []
    for event, element in events:
        if event == "start":
            frames.append([])
            continue
        pieces = frames.pop()
        _take_preceding(element, None, pieces)  # tails of the last children
        pieces.insert(0, ("t", element.text or ""))
        result = _result(pieces)
        parent = element.getparent()
        if parent is None:
            root = element
            blocks = [result[1]] if result[0] == "f" else result[1]
            blocks = [block for block in blocks if block]
        else:
            _take_preceding(element, parent, frames[-1])
            frames[-1].append(result)
        element.clear(keep_tail=True)
    return root, blocks


def _take_preceding(element: etree._Element, parent: etree._Element | None, pieces: list[_Piece]) -> None:
    """Collect, in order, the tails of the nodes before ``element`` (or of all children when parent is None).

    Finished siblings are removed once their tails are read, so a long list of records never piles up in memory.
    """
    if parent is None:
        nodes = list(element)
    else:
        nodes = list(element.itersiblings(preceding=True))[::-1]
    for node in nodes:
        pieces.append(("t", node.tail or ""))
        (parent if parent is not None else element).remove(node)


def _result(pieces: list[_Piece]) -> _Piece:
    mixed = any(kind == "t" and text.strip() for kind, text in pieces)
    if mixed:
        # Whitespace in mixed content is the author's: "Hello <b>world</b>!" reads "Hello world!".
        parts = [f" {' '.join(value)} " if kind == "b" else value for kind, value in pieces]
        return "f", " ".join("".join(parts).split())
    blocks: list[str] = []
    for kind, value in pieces:
        if kind == "f" and value:
            blocks.append(value)
        elif kind == "b":
            blocks.extend(value)
    return "b", blocks
