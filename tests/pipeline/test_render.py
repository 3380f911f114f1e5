from __future__ import annotations

from markdown_it import MarkdownIt

from webapp.pipeline.document import Element, Page, ParsedDocument, Table, assign_ids, element_dict
from webapp.pipeline.render import document_from_dicts, heading_shift, markdown_table, to_markdown, to_text


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
        tables=[Table([["Region", "Sales"], ["North | East", "12"], ["South"]], header_rows=1)],
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


def _gfm_cells(markdown: str) -> list[list[str]]:
    """The cells of the first table as a GFM renderer reads them (markdown-it, as the dashboard)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    rows: list[list[str]] = []
    for token in tokens:
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and rows:
            rows[-1].append(token.content)
    return rows


def test_table_cells_are_escaped_so_the_table_keeps_its_shape() -> None:
    """GIVEN cells with pipes (one after backslashes), line breaks and spaces around them
    WHEN the table is rendered as GFM and read back by a GFM parser
    THEN every row has its cells: pipes stay text, each cell is one line without outer spaces."""
    table = Table([["Name", "Note"], ["a|b", "  spaced  "], ["back\\|slash", "two\nlines"], ["short"]], header_rows=1)
    rendered = markdown_table(table)
    assert rendered.splitlines()[1] == "| --- | --- |"
    cells = _gfm_cells(rendered)
    assert [len(row) for row in cells] == [2, 2, 2, 2]
    assert cells[1] == ["a|b", "spaced"] and cells[2][1] == "two lines"
    html = MarkdownIt("commonmark").enable("table").render(rendered)
    assert "<td>a|b</td>" in html and "<td>back\\|slash</td>" in html


def test_a_table_without_header_rows_shows_its_first_row_as_the_gfm_header() -> None:
    table = Table([["North", "12"], ["South", "9"]])
    assert markdown_table(table) == "| North | 12 |\n| --- | --- |\n| South | 9 |"


def test_only_the_first_of_several_header_rows_is_the_gfm_header() -> None:
    table = Table([["Region", "2024", "2025"], ["", "EUR", "EUR"], ["North", "1", "2"]], header_rows=2)
    assert markdown_table(table).splitlines() == [
        "| Region | 2024 | 2025 |",
        "| --- | --- | --- |",
        "|  | EUR | EUR |",
        "| North | 1 | 2 |",
    ]


def _with_furniture() -> ParsedDocument:
    return ParsedDocument(
        elements=[
            Element("page_header", "ACME - Annual Report", page=1),
            Element("title", "Annual Report", page=1),
            Element("paragraph", "Body text.", page=1),
            Element("page_footer", "Page 1 of 2", page=1),
            Element("page_header", "ACME - Annual Report", page=2),
            Element("heading", "Outlook", level=1, page=2),
        ]
    )


def test_page_furniture_is_left_out_of_text_and_markdown_unless_kept() -> None:
    document = _with_furniture()
    assert to_text(document) == "Annual Report\n\nBody text.\n\nOutlook"
    assert to_markdown(document) == "# Annual Report\n\nBody text.\n\n## Outlook\n"
    kept = to_text(document, keep_furniture=True)
    assert kept.startswith("ACME - Annual Report\n\nAnnual Report") and "Page 1 of 2" in kept
    assert "Page 1 of 2" in to_markdown(document, keep_furniture=True)


def test_element_dicts_render_as_the_document_did() -> None:
    """GIVEN a document with a title, headings, lists, a table, furniture and a page break
    WHEN its elements are turned into the result's dicts and back
    THEN text and Markdown are the same as from the document itself, with or without furniture."""
    document = _document()
    document.elements[:0] = _with_furniture().elements
    document.pages = [Page(1, 595.0, 842.0), Page(2, 595.0, 842.0)]
    assign_ids(document)
    dicts = [element_dict(element, document.tables) for element in document.elements]
    rebuilt = document_from_dicts(dicts)
    for keep in (False, True):
        assert to_text(rebuilt, keep) == to_text(document, keep)
        assert to_markdown(rebuilt, keep) == to_markdown(document, keep)


def test_element_dicts_stored_before_tables_carried_rows_use_the_tables_list() -> None:
    elements = [{"type": "table", "text": "", "page": 1, "table_index": 0}, {"type": "paragraph", "text": "After."}]
    rebuilt = document_from_dicts(elements, [{"page": 1, "rows": [["a", "b"], ["1", None]]}])
    assert to_text(rebuilt) == "a\tb\n1\t\n\nAfter."
    assert document_from_dicts([{"type": "table", "text": "", "table_index": 5}], []).tables == []


def test_a_part_of_a_document_keeps_the_whole_documents_heading_levels() -> None:
    whole = ParsedDocument(elements=[Element("title", "Report"), Element("heading", "Part", level=1)])
    part = ParsedDocument(elements=whole.elements[1:])
    assert to_markdown(part) == "# Part\n"
    assert to_markdown(part, heading_shift=heading_shift(whole)) == "## Part\n"
