from __future__ import annotations

from webapp.pipeline.document import Element, ParsedDocument, Table
from webapp.pipeline.render import markdown_table, to_markdown, to_text


def _document() -> ParsedDocument:
    return ParsedDocument(
        elements=[
            Element("title", "Annual  report"),
            Element("heading", "Results", level=1),
            Element("paragraph", "Revenue grew by 5% (see *note*) and costs_fell.", page=1),
            Element("page_break", "", page=2),
            Element("list_item", "First", level=0, ordered=True, page=2),
            Element("list_item", "Detail", level=1, page=2),
            Element("list_item", "Second", level=0, ordered=True, page=2),
            Element("table", "ignored: the table itself is rendered", table_index=0, page=2),
            Element("code", "print('```')", page=2),
            Element("quote", "Quoted\nacross lines", page=2),
        ],
        tables=[Table([["Region", "Sales"], ["North | East", "12"], ["South"]])],
    )


def test_text_is_blocks_in_reading_order() -> None:
    assert to_text(_document()) == (
        "Annual  report\n\nResults\n\nRevenue grew by 5% (see *note*) and costs_fell.\n\nFirst\n\nDetail\n\nSecond\n\n"
        "Region\tSales\nNorth | East\t12\nSouth\n\nprint('```')\n\nQuoted\nacross lines"
    )


def test_markdown_structure() -> None:
    assert to_markdown(_document()) == (
        "# Annual report\n\n"
        "## Results\n\n"  # under a title, the document's level-1 headings move down one level
        "Revenue grew by 5% (see *note*) and costs_fell.\n\n"
        "1. First\n"
        "   - Detail\n"  # nested under "1. " at its content column
        "2. Second\n\n"
        "| Region | Sales |\n| --- | --- |\n| North \\| East | 12 |\n| South |  |\n\n"
        "````\nprint('```')\n````\n\n"
        "> Quoted\n> across lines\n"
    )


def test_paragraphs_that_look_like_markdown_blocks_are_escaped() -> None:
    document = ParsedDocument(
        elements=[
            Element("paragraph", "# not a heading"),
            Element("paragraph", "1. not a list\n- nor this\n> nor a quote"),
            Element("paragraph", "Prices: 3 * 4 = 12 # fine mid-line"),
        ]
    )
    assert to_markdown(document) == (
        "\\# not a heading\n\n1\\. not a list\n\\- nor this\n\\> nor a quote\n\nPrices: 3 * 4 = 12 # fine mid-line\n"
    )


def test_headings_keep_their_levels_without_a_title() -> None:
    document = ParsedDocument(elements=[Element("heading", "Top", level=1), Element("heading", "Deep", level=9)])
    assert to_markdown(document) == "# Top\n\n###### Deep\n"


def test_ordered_numbering_restarts_after_other_blocks() -> None:
    document = ParsedDocument(
        elements=[
            Element("list_item", "a", level=0, ordered=True),
            Element("list_item", "b", level=0, ordered=True),
            Element("paragraph", "Between."),
            Element("list_item", "c", level=0, ordered=True),
        ]
    )
    assert to_markdown(document) == "1. a\n2. b\n\nBetween.\n\n1. c\n"


def test_empty_things_render_as_nothing() -> None:
    assert to_markdown(ParsedDocument()) == ""
    assert to_text(ParsedDocument()) == ""
    assert markdown_table(Table([])) == ""
    document = ParsedDocument(elements=[Element("paragraph", "  "), Element("table", "", table_index=3)])
    assert to_markdown(document) == "" and to_text(document) == ""
