"""A stored result as clients read it: page selections, tables as CSV, legacy results given ids, and the result
viewer's pages with their element boxes. Pure functions over result dicts: no app, no database."""

from __future__ import annotations

import csv
import io

import pytest

from webapp.models import Result
from webapp.pipeline.document import Element, Page, ParsedDocument, Table, assign_ids, element_dict
from webapp.pipeline.pagerange import parse_page_range
from webapp.pipeline.render import to_markdown, to_text
from webapp.services import result_pages, results
from webapp.services.errors import NotFoundError, ValidationFailed


def _report() -> ParsedDocument:
    """Four pages: furniture on each, a title and heading on 1, prose on 2, a table from 3 to 4, prose on 4."""
    document = ParsedDocument(
        elements=[
            Element("page_header", "ACME report", page=1, bbox=(56, 20, 300, 32)),
            Element("title", "Annual Report", page=1, bbox=(56, 60, 400, 90)),
            Element("heading", "Sales", level=1, page=1, bbox=(56, 100, 200, 118)),
            Element("paragraph", "Page one prose.", page=1, bbox=(56, 130, 500, 160)),
            Element("page_header", "ACME report", page=2, bbox=(56, 20, 300, 32)),
            Element("heading", "Outlook", level=1, page=2, bbox=(56, 60, 200, 78)),
            Element("paragraph", "Page two prose.", page=2, bbox=(56, 90, 500, 120)),
            Element("table", "", page=3, table_index=0, bbox=(56, 100, 540, 800)),
            Element("paragraph", "Page four prose.", page=4, bbox=(56, 300, 500, 330)),
            Element("page_footer", "Page 4", page=4, bbox=(280, 810, 320, 822)),
        ],
        tables=[
            Table(
                [["Region", "Sales"], ["North", "12"], ["South", "9"]],
                page=3,
                header_rows=1,
                pages=[3, 4],
                bbox=(56, 100, 540, 800),
            )
        ],
        pages=[Page(number, 595.28, 841.89) for number in range(1, 5)],
        metadata={"page_count": 4},
    )
    assign_ids(document)
    return document


def _result(document: ParsedDocument) -> dict:
    return {
        "text": to_text(document),
        "markdown": to_markdown(document),
        "elements": [element_dict(element, document.tables) for element in document.elements],
        "tables": [table.to_dict() for table in document.tables],
        "pages": [page.to_dict() for page in document.pages],
        "metadata": dict(document.metadata),
    }


def test_a_selection_keeps_its_pages_elements_and_the_tables_touching_them():
    whole = _result(_report())
    second = results.select_pages(whole, parse_page_range("2"))
    assert {element["page"] for element in second["elements"]} == {2}
    assert [page["number"] for page in second["pages"]] == [2]
    assert second["tables"] == []
    assert second["text"] == "Outlook\n\nPage two prose."
    assert second["markdown"] == "## Outlook\n\nPage two prose.\n"  # the level it has in the whole document

    fourth = results.select_pages(whole, parse_page_range("4"))
    assert [table["pages"] for table in fourth["tables"]] == [[3, 4]]
    assert [element["type"] for element in fourth["elements"]] == ["table", "paragraph", "page_footer"]
    assert fourth["text"] == "Region\tSales\nNorth\t12\nSouth\t9\n\nPage four prose."
    assert "| Region | Sales |\n| --- | --- |\n| North | 12 |" in fourth["markdown"]
    assert fourth["elements"][0]["table_index"] == 0  # still the table's place in the whole result


def test_a_selection_leaves_the_whole_result_alone_and_past_the_end_is_empty():
    whole = _result(_report())
    before = repr(whole)
    beyond = results.select_pages(whole, parse_page_range("7-"))
    assert beyond["elements"] == beyond["tables"] == beyond["pages"] == []
    assert beyond["text"] == "" and beyond["markdown"] == ""
    assert repr(whole) == before
    assert results.select_pages(whole, parse_page_range("1-")) == whole | {"text": whole["text"]}


def test_kept_furniture_stays_in_a_selections_text():
    selected = results.select_pages(_result(_report()), parse_page_range("1"), keep_furniture=True)
    assert selected["text"].startswith("ACME report\n\nAnnual Report")


def test_parts_left_out_of_the_result_stay_out_of_a_selection():
    whole = _result(_report()) | {"text": "", "markdown": ""}
    selected = results.select_pages(whole, parse_page_range("1"))
    assert selected["text"] == "" and selected["markdown"] == ""


@pytest.mark.parametrize("text", ["", "0", "3-1", "two", "1,,2"])
def test_malformed_selections_are_a_422_naming_pages(text):
    with pytest.raises(ValidationFailed) as caught:
        results.parse_selection(text)
    assert [error.field for error in caught.value.errors] == ["pages"]


def test_no_selection_is_none():
    assert results.parse_selection(None) is None
    assert results.parse_selection(" 2 - 4 ").text == "2 - 4"


def test_tables_as_csv_read_back_exactly():
    """GIVEN cells with commas, quotes, line breaks, formula-like starts and nothing at all
    WHEN the table is written as CSV THEN csv.reader gives back exactly the rows (nothing is prefixed)."""
    rows = [["Item", "Amount"], ["=SUM(A1:A2)", "-1,204"], ['say "hi"', "two\nlines"], ["@user", "+1"], ["", ""]]
    result = Result(tables=[{"rows": rows}])
    text = results.table_csv(result, 0)
    assert text.endswith("\r\n")
    assert list(csv.reader(io.StringIO(text))) == rows
    with pytest.raises(NotFoundError):
        results.table_csv(result, 1)
    with pytest.raises(NotFoundError):
        results.table_csv(result, -1)


def test_attachment_names_are_quoted_and_non_ascii_ones_given_twice():
    assert results.attachment_header("q3-table-0.csv") == 'attachment; filename="q3-table-0.csv"'
    header = results.attachment_header('Ré"sumé.csv')
    assert header == "attachment; filename=\"R__sum_.csv\"; filename*=UTF-8''R%C3%A9%22sum%C3%A9.csv"


def test_results_stored_before_ids_get_them_on_the_way_out():
    elements = [{"type": "paragraph", "text": "a", "page": 1}, {"type": "table", "text": "", "table_index": 0}]
    tables = [{"page": 2, "rows": [["x"]]}]
    given, given_tables = results.with_ids(elements, tables)
    assert [element["id"] for element in given] == ["e1", "e2"]
    assert given_tables == [{"page": 2, "rows": [["x"]], "id": "e2", "header_rows": 0, "pages": [2]}]
    assert "id" not in elements[0] and "id" not in tables[0]  # the stored lists are left as they were
    current = _result(_report())
    assert results.with_ids(current["elements"], current["tables"]) == (current["elements"], current["tables"])


def test_page_views_carry_each_pages_size_boxes_and_text():
    views = result_pages.page_views(_result(_report()))
    assert [view.number for view in views] == [1, 2, 3, 4]
    first = views[0]
    assert (first.width, first.height, first.view_box) == (595.28, 841.89, "0 0 595.28 841.89")
    assert [box.type for box in first.boxes] == ["page_header", "title", "heading", "paragraph"]
    assert first.boxes[2].label == "heading (level 1) · e3" and first.boxes[2].kind == "text"
    assert (first.boxes[1].x, first.boxes[1].y, first.boxes[1].width, first.boxes[1].height) == (56, 60, 344, 30)
    assert first.text == "Annual Report\n\nSales\n\nPage one prose."  # furniture left out, as in the text
    assert [box.kind for box in views[2].boxes] == ["table"]
    assert views[2].text == "Region\tSales\nNorth\t12\nSouth\t9"


def test_page_views_without_layout_have_text_but_no_boxes():
    result = {
        "elements": [
            {"type": "paragraph", "text": "One.", "page": 1},
            {"type": "page_break", "text": "", "page": 2},
            {"type": "table", "text": "", "page": 3, "table_index": 0},
            {"type": "paragraph", "text": "Three.", "page": 3},
        ],
        "tables": [{"page": 3, "rows": [["a", "b"], ["1", "2"]]}],
        "metadata": {"page_count": 3},
    }
    views = result_pages.page_views(result)
    assert [(view.number, view.text) for view in views] == [(1, "One."), (2, ""), (3, "a\tb\n1\t2\n\nThree.")]
    assert all(view.width is None and view.boxes == [] for view in views)
