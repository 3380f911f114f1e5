from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.enum.chart import XL_CHART_TYPE
from pptx.util import Inches

from bench.metrics import token_f1
from tests.pipeline.helpers import OPTIONS, corpus, expected_text, parse, rewrite_member, source
from webapp.pipeline.detect import PPTM, PPTX
from webapp.pipeline.document import Detection
from webapp.pipeline.errors import CorruptFileError, LimitExceededError
from webapp.pipeline.parsers.pptx import PptxParser
from webapp.pipeline.render import to_markdown, to_text


def _parse_pptx(path: Path, **options):
    return PptxParser().parse(source(path), Detection(PPTX), {**OPTIONS, **options})


@pytest.mark.parametrize(
    ("name", "threshold"),
    [
        # docling writes comment authors with initials and times, and names chart kinds ("Bar chart").
        ("pptx_docling_powerpoint_comments.pptx", 0.82),
        ("pptx_docling_powerpoint_with_image.pptx", 0.90),
        ("pptx_docling_pptx_chart.pptx", 0.75),
        ("pptx_science-exploration-1p.pptx", 0.95),
    ],
)
def test_pptx_text_matches_ground_truth(name: str, threshold: float) -> None:
    _, document = parse(corpus(name))
    assert token_f1(to_markdown(document), expected_text(name)) >= threshold


def test_slides_in_order_with_titles_as_headings() -> None:
    _, document = parse(corpus("pptx_tika_testPPT.pptx"))
    assert document.metadata["slide_count"] == 3
    assert document.metadata["title"] == "Attachment Test"
    assert document.metadata["author"] == "Rajiv"
    first = document.elements[0]
    assert (first.type, first.text, first.level, first.page) == ("heading", "Attachment Test", 1, 1)
    pages = [element.page for element in document.elements]
    assert pages == sorted(pages) and set(pages) == {1, 2, 3}
    assert [element.page for element in document.elements if element.type == "page_break"] == [2, 3]


def test_body_placeholder_bullets_unless_bu_none() -> None:
    """GIVEN docling's deck: slide 1 and 2 switch bullets off with <a:buNone/>, slide 3 inherits the bullets."""
    _, document = parse(corpus("pptx_docling_powerpoint_comments.pptx"))
    on_slide = {page: [e.type for e in document.elements if e.page == page and e.type != "footnote"] for page in (2, 3)}
    assert on_slide[2] == ["page_break", "heading", "paragraph"]
    assert on_slide[3] == ["page_break", "heading", "list_item", "list_item", "list_item"]


def test_review_comments_are_footnotes_with_their_author() -> None:
    _, document = parse(corpus("pptx_docling_powerpoint_comments.pptx"))
    footnotes = [(element.page, element.text) for element in document.elements if element.type == "footnote"]
    assert footnotes[0] == (1, "Comment (John Reviewer): This is a sample reviewer comment")
    assert (3, "Comment (Jane Smith): I need to try this out!") in footnotes


def test_chart_data_becomes_a_table() -> None:
    """GIVEN a 3-D bar chart (a plot type python-pptx cannot read): the series cache is read directly."""
    _, document = parse(corpus("pptx_docling_pptx_chart.pptx"))
    assert document.tables[0].rows[:2] == [["", "Freshwater Ducks", "Saltwater Ducks"], ["2019", "120", "80"]]
    assert document.tables[1].rows == [["", "2026"], ["Q1", "10"], ["Q2", "20"], ["Q3", "30"]]
    captions = [element.text for element in document.elements if element.type == "caption"]
    assert captions == ["Wild Duck Observations by Year"]


def test_table_cells() -> None:
    _, document = parse(corpus("pptx_fake-power-point-table.pptx"))
    assert document.tables[0].rows[0] == ["Column 1", "Column 2", "Column 3"]
    assert document.tables[0].rows[-1] == ["Tangerine", "Pink", "Aqua"]
    assert document.tables[0].page == 1


def test_malformed_corpus_deck_is_still_read() -> None:
    """The MANIFEST marks it malformed, but its text is readable: it succeeds."""
    _, document = parse(corpus("bad_pptx_fake-power-point-malformed.pptx"))
    assert "Test Slide" in to_text(document)
    assert any(element.type == "footer" and "Date Placeholder" in element.text for element in document.elements)


def _deck(path: Path) -> Path:
    deck = Presentation()
    cover = deck.slides.add_slide(deck.slide_layouts[0])
    cover.shapes.title.text = "Quarterly report"
    cover.placeholders[1].text = "Finance team"
    bullets = deck.slides.add_slide(deck.slide_layouts[1])
    bullets.shapes.title.text = "Highlights"
    frame = bullets.placeholders[1].text_frame
    frame.text = "Revenue grew"
    nested = frame.add_paragraph()
    nested.text, nested.level = "Mostly in the north", 1
    numbered = bullets.shapes.add_textbox(Inches(1), Inches(5), Inches(4), Inches(1)).text_frame
    numbered.text = "First step"
    numbered.paragraphs[0]._p.get_or_add_pPr().append(
        etree.Element("{http://schemas.openxmlformats.org/drawingml/2006/main}buAutoNum", type="arabicPeriod")
    )
    group = bullets.shapes.add_group_shape()
    group.shapes.add_textbox(Inches(1), Inches(6), Inches(2), Inches(1)).text_frame.text = "Inside a group"
    bullets.notes_slide.notes_text_frame.text = "Remember to smile"
    numbers = deck.slides.add_slide(deck.slide_layouts[5])
    numbers.shapes.title.text = "Numbers"
    table = numbers.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(4), Inches(1)).table
    for row, values in enumerate((("Region", "Sales"), ("North", "12"))):
        for column, value in enumerate(values):
            table.cell(row, column).text = value
    data = CategoryChartData()
    data.categories = ["Q1", "Q2"]
    data.add_series("Sales", (1.5, 2))
    numbers.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(1), Inches(3), Inches(4), Inches(3), data)
    deck.save(str(path))
    return path


def test_generated_deck_structure(tmp_path: Path) -> None:
    _, document = parse(_deck(tmp_path / "deck.pptx"))
    shapes = [(e.type, e.text, e.page, e.level, e.ordered) for e in document.elements if e.type != "page_break"]
    assert shapes == [
        ("heading", "Quarterly report", 1, 1, False),
        ("paragraph", "Finance team", 1, None, False),
        ("heading", "Highlights", 2, 1, False),
        ("list_item", "Revenue grew", 2, 0, False),
        ("list_item", "Mostly in the north", 2, 1, False),
        ("list_item", "First step", 2, 0, True),
        ("paragraph", "Inside a group", 2, None, False),
        ("footnote", "Remember to smile", 2, None, False),
        ("heading", "Numbers", 3, 1, False),
        ("table", "Region\tSales\nNorth\t12", 3, None, False),
        ("table", "\tSales\nQ1\t1.5\nQ2\t2", 3, None, False),
    ]
    assert document.metadata["slide_count"] == 3


def test_tables_option_off_keeps_cell_text(tmp_path: Path) -> None:
    document = _parse_pptx(_deck(tmp_path / "deck.pptx"), tables=False)
    assert document.tables == []
    assert "Region\tSales" in [element.text for element in document.elements]


def test_macro_enabled_deck_is_detected_and_read(tmp_path: Path) -> None:
    path = _deck(tmp_path / "macros.bin")
    rewrite_member(
        path,
        "[Content_Types].xml",
        lambda xml: xml.replace(
            b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
            b"application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml",
        ),
    )
    detection, document = parse(path)
    assert detection.mime_type == PPTM
    assert document.elements[0].text == "Quarterly report"


def test_zip_bomb_is_rejected(tmp_path: Path) -> None:
    path = _deck(tmp_path / "bomb.pptx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ppt/media/padding.bin", bytes(20 * 1024 * 1024))
    with pytest.raises(LimitExceededError, match="archive expands too much"):
        _parse_pptx(path)


def test_entity_bomb_is_rejected(tmp_path: Path) -> None:
    path = _deck(tmp_path / "entities.pptx")
    declaration = b'<!DOCTYPE p:sld [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    rewrite_member(path, "ppt/slides/slide1.xml", lambda xml: xml.replace(b"?>", b"?>" + declaration, 1))
    with pytest.raises(CorruptFileError, match="DOCTYPE or ENTITY"):
        _parse_pptx(path)


def test_package_without_a_presentation_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "fake.pptx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("ppt/readme.txt", "no presentation here")
    with pytest.raises(CorruptFileError, match="cannot be opened"):
        _parse_pptx(path)


def test_broken_slide_xml_is_corrupt(tmp_path: Path) -> None:
    path = _deck(tmp_path / "broken.pptx")
    rewrite_member(path, "ppt/slides/slide2.xml", lambda xml: xml[: len(xml) // 2])
    with pytest.raises(CorruptFileError, match="cannot be"):
        _parse_pptx(path)


SMARTART_FRAME = (
    b'<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="99" name="Diagram 1"/><p:cNvGraphicFramePr/><p:nvPr/>'
    b'</p:nvGraphicFramePr><p:xfrm><a:off x="0" y="0"/><a:ext cx="100" cy="100"/></p:xfrm><a:graphic>'
    b'<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/diagram">'
    b'<dgm:relIds xmlns:dgm="http://schemas.openxmlformats.org/drawingml/2006/diagram" r:dm="rIdDgm" r:lo="" '
    b'r:qs="" r:cs=""/></a:graphicData></a:graphic></p:graphicFrame></p:spTree>'
)
SMARTART_DATA = (
    b'<dgm:dataModel xmlns:dgm="http://schemas.openxmlformats.org/drawingml/2006/diagram" '
    b'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><dgm:ptLst>'
    b'<dgm:pt modelId="1"><dgm:t><a:p><a:r><a:t>Plan</a:t></a:r></a:p></dgm:t></dgm:pt>'
    b'<dgm:pt modelId="2"><dgm:t><a:p><a:r><a:t>Build</a:t></a:r></a:p></dgm:t></dgm:pt>'
    b"</dgm:ptLst></dgm:dataModel>"
)


def test_smartart_text_is_read_from_the_diagram_data(tmp_path: Path) -> None:
    """GIVEN a SmartArt frame (python-pptx cannot write one: the parts are added by hand)."""
    path = _deck(tmp_path / "smartart.pptx")
    rewrite_member(path, "ppt/slides/slide1.xml", lambda xml: xml.replace(b"</p:spTree>", SMARTART_FRAME))
    relation = (
        b'<Relationship Id="rIdDgm" Target="../diagrams/data1.xml" '
        b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/diagramData"/></Relationships>'
    )
    rewrite_member(path, "ppt/slides/_rels/slide1.xml.rels", lambda xml: xml.replace(b"</Relationships>", relation))
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("ppt/diagrams/data1.xml", SMARTART_DATA)
    document = _parse_pptx(path)
    slide_one = [(element.type, element.text) for element in document.elements if element.page == 1]
    assert slide_one[-2:] == [("paragraph", "Plan"), ("paragraph", "Build")]
