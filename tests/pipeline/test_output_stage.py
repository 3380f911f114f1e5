"""The output stage on a hand-built document: ids given, element dicts with boxes and table rows, pages, and page
furniture left out of text and Markdown unless the parse stage keeps it."""

from __future__ import annotations

from pathlib import Path

from webapp.pipeline.base import StageContext
from webapp.pipeline.document import Element, Page, ParsedDocument, Source, Table
from webapp.pipeline.stages.enrich import EnrichStage
from webapp.pipeline.stages.output import OutputStage
from webapp.pipeline.stages.parse import ParseStage


def _document() -> ParsedDocument:
    return ParsedDocument(
        elements=[
            Element("page_header", "ACME - confidential", page=1, bbox=(50, 10, 300, 22)),
            Element("title", "Report", page=1, bbox=(50, 40, 200, 60)),
            Element("heading", "Sales", level=1, page=1, bbox=(50, 70, 150, 84)),
            Element("table", "", page=1, table_index=0, bbox=(50, 90, 400, 200)),
            Element("page_footer", "Page 1", page=1, bbox=(280, 820, 320, 830)),
        ],
        tables=[
            Table([["Region", "Sales"], ["North", "12"]], page=1, header_rows=1, bbox=(50, 90, 400, 200)),
            Table([["Only", "in tables"]], page=2, pages=[2, 3]),  # no element points at it
        ],
        pages=[Page(1, 595.0, 842.0), Page(2, 595.0, 842.0, rotation=90, source="ocr")],
    )


def _run(furniture: str = "drop", enrich: bool = True) -> tuple[StageContext, dict]:
    options = {
        "parse": {**ParseStage.defaults(), "furniture": furniture},
        "enrich": EnrichStage.defaults(),
        "output": OutputStage.defaults(),
    }
    ctx = StageContext(source=Source(Path("report.pdf"), "report.pdf", 1), options=options, document=_document())
    if enrich:
        EnrichStage().run(ctx)
    OutputStage().run(ctx)
    return ctx, ctx.output


def test_every_element_gets_an_id_and_a_table_element_its_rows():
    _, output = _run()
    assert [element["id"] for element in output["elements"]] == ["e1", "e2", "e3", "e4", "e5", "e6"]
    table = output["elements"][3]
    assert table["rows"] == [["Region", "Sales"], ["North", "12"]] and table["header_rows"] == 1
    assert table["pages"] == [1] and table["bbox"] == [50, 90, 400, 200]
    assert output["elements"][2]["level"] == 1 and output["elements"][2]["bbox"] == [50, 70, 150, 84]
    # The table no element pointed at got one, at the end, and both tables their element's id.
    assert output["elements"][5]["type"] == "table" and output["elements"][5]["pages"] == [2, 3]
    assert [table["id"] for table in output["tables"]] == ["e4", "e6"]
    assert output["tables"][1]["pages"] == [2, 3] and output["tables"][0]["header_rows"] == 1


def test_pages_are_stored_as_dicts():
    _, output = _run()
    assert output["pages"] == [
        {"number": 1, "width": 595.0, "height": 842.0, "rotation": 0, "source": "text"},
        {"number": 2, "width": 595.0, "height": 842.0, "rotation": 90, "source": "ocr"},
    ]


def test_furniture_stays_out_of_text_and_markdown_by_default():
    ctx, output = _run()
    assert "ACME" not in output["text"] and "Page 1" not in output["text"]
    assert "ACME" not in output["markdown"] and "Page 1" not in output["markdown"]
    assert [e["type"] for e in output["elements"]].count("page_header") == 1  # still an element
    # The text stored is the text enrich scored, with the table no element pointed at added to both.
    assert output["text"] == ctx.plain_text() and "Only\tin tables" in output["text"]
    assert output["markdown"].startswith("# Report\n\n## Sales\n\n| Region | Sales |\n| --- | --- |")


def test_furniture_kept_is_in_text_and_markdown():
    _, output = _run(furniture="keep")
    assert output["text"].startswith("ACME - confidential\n\nReport") and "Page 1" in output["text"]
    assert "ACME - confidential" in output["markdown"]


def test_without_enrich_the_text_is_the_same():
    assert _run(enrich=False)[1]["text"] == _run()[1]["text"]
