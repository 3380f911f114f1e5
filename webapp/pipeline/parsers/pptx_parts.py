"""Parts of a presentation python-pptx does not read (comments, SmartArt) or reads only for some charts (chart data).

All are read straight from the part's XML with the safe parser: chart data from the series caches every chart
type shares, comments from the legacy (``p:cm``) and the modern (``p188:cm``) comment parts, SmartArt text from the
diagram's data model.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from webapp.pipeline.parsers.officemeta import safe_xml_parser
from webapp.pipeline.parsers.xlsx import cell_text

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
DGM = "{http://schemas.openxmlformats.org/drawingml/2006/diagram}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_COMMENT_RELATIONS = ("/comments", "/relationships/comments")
_AUTHOR_RELATIONS = ("/commentAuthors", "/relationships/authors")
# A chart's cache repeats the data sheet; past this many points the table stops (a chart is not a data store).
_MAX_POINTS = 10_000


def chart_table(blob: bytes) -> tuple[str, list[list[str]]]:
    """The chart's title and its data: a header row of series names, then one row per category."""
    root = etree.fromstring(blob, safe_xml_parser())
    title = " ".join("".join(node.text or "" for node in root.iterfind(f"{C}chart/{C}title//{A}t")).split())
    series = list(root.iterfind(f"{C}chart/{C}plotArea//{C}ser"))
    if not series:
        return title, []
    categories: dict[int, str] = {}
    for ser in series:
        categories = _points(ser, (f"{C}cat", f"{C}xVal"))
        if categories:
            break
    columns = [_points(ser, (f"{C}val", f"{C}yVal")) for ser in series]
    indexes = sorted(set(categories).union(*columns))[:_MAX_POINTS]
    header = [""] + [_series_name(ser, number) for number, ser in enumerate(series, start=1)]
    rows = [
        [categories.get(index, str(index + 1))] + [column.get(index, "") for column in columns] for index in indexes
    ]
    return title, [header, *rows] if rows else []


def _points(ser: etree._Element, tags: tuple[str, ...]) -> dict[int, str]:
    for tag in tags:
        node = ser.find(tag)
        if node is None:
            continue
        points: dict[int, str] = {}
        for point in node.iter(f"{C}pt"):
            try:
                index = int(point.get("idx", ""))
            except ValueError:
                continue
            points[index] = _number(point.findtext(f"{C}v", ""))
            if len(points) >= _MAX_POINTS:
                break
        if points:
            return points
    return {}


def _number(value: str) -> str:
    try:
        return cell_text(float(value))
    except ValueError:
        return value.strip()


def _series_name(ser: etree._Element, number: int) -> str:
    # A cached value (c:strRef/c:strCache or c:v) or rich text; never the formula (Sheet1!$B$1) beside the cache.
    texts = [node.text or "" for node in ser.iterfind(f"{C}tx//{C}v")] or [
        node.text or "" for node in ser.iterfind(f"{C}tx//{A}t")
    ]
    return " ".join(" ".join(texts).split()) or f"Series {number}"


def diagram_texts(shape: Any) -> list[str]:
    """The text of each SmartArt node (one a paragraph), in the data model's order; [] for other shapes."""
    relation_ids = next(shape.element.iter(f"{DGM}relIds"), None)
    if relation_ids is None or not relation_ids.get(f"{R}dm"):
        return []
    try:
        blob = shape.part.related_part(relation_ids.get(f"{R}dm")).blob
    except KeyError:
        return []
    root = etree.fromstring(blob, safe_xml_parser())
    texts = []
    for point in root.iter(f"{DGM}pt"):
        text = " ".join("".join(node.text or "" for node in point.iter(f"{A}t")).split())
        if text:
            texts.append(text)
    return texts


def slide_comments(part: Any) -> list[tuple[str, str]]:
    """(author, text) for each comment on the slide, in the order the comment parts hold them."""
    comments: list[tuple[str, str]] = []
    authors: dict[str, str] | None = None
    for relation in part.rels.values():
        if relation.is_external or not relation.reltype.endswith(_COMMENT_RELATIONS):
            continue
        if authors is None:
            authors = _authors(part.package)
        root = etree.fromstring(relation.target_part.blob, safe_xml_parser())
        for comment in root:
            if _local(comment) != "cm":
                continue
            text = " ".join(" ".join(_comment_texts(comment)).split())
            if text:
                comments.append((authors.get(comment.get("authorId", ""), ""), text))
    return comments


def _comment_texts(comment: etree._Element) -> list[str]:
    texts = [node.text or "" for node in comment.iter(f"{A}t")]  # modern comments: a text body
    if not texts:
        texts = [node.text or "" for node in comment if _local(node) == "text"]
    return texts


def _authors(package: Any) -> dict[str, str]:
    authors: dict[str, str] = {}
    presentation = package.presentation_part
    for relation in presentation.rels.values():
        if relation.is_external or not relation.reltype.endswith(_AUTHOR_RELATIONS):
            continue
        root = etree.fromstring(relation.target_part.blob, safe_xml_parser())
        for author in root:
            if _local(author) in ("cmAuthor", "author") and author.get("id") is not None:
                authors[author.get("id")] = author.get("name", "")
    return authors


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""
