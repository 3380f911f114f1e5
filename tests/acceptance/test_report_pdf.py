"""A generated business report through the job API, as a user sends it: the whole document model checked.

GIVEN a four-page PDF with running header and footer, a title, headings on three levels, a two-column page, a ruled
table, a booktabs table and a financial table continued on the next page (tests/acceptance/report_pdf.py)
WHEN it is submitted to POST /api/v1/jobs and the worker runs it
THEN the result has every element with an id and a box, headings with levels, the columns in order, no furniture in
the text, every table row exact, the continued table as one table over two pages, CSV exports and page selections.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.acceptance.report_pdf import HEIGHT, PAGES, WIDTH, build_report
from tests.conftest import multipart_body


def _submit(client, data: bytes, filename: str) -> dict:
    body, content_type = multipart_body({"file": (data, filename)})
    response = client.post("/api/v1/jobs", data=body, content_type=content_type)
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture
def report(client, work_queue):
    data, truth = build_report()
    job = _submit(client, data, "northwind-report.pdf")
    work_queue()
    done = client.get(f"/api/v1/jobs/{job['id']}").get_json()
    assert done["status"] == "succeeded", done.get("error")
    result = client.get(f"/api/v1/jobs/{job['id']}/result").get_json()
    return job["id"], result, truth


def _cells(rows: list[list[str]]) -> list[list[str]]:
    # "$ 412,530" and "$412,530" are the same cell; whitespace inside a cell is not the point here.
    return [[re.sub(r"\$\s*", "$", " ".join(cell.split())) for cell in row] for row in rows]


def _iou(a: list[float], b: tuple[float, float, float, float]) -> float:
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def test_every_element_has_an_id_a_page_and_a_box_inside_it(report):
    _, result, _ = report
    elements = result["elements"]
    ids = [element["id"] for element in elements]
    assert len(ids) == len(set(ids)) and all(ids)
    assert [page["number"] for page in result["pages"]] == list(range(1, PAGES + 1))
    for page in result["pages"]:
        assert page["width"] == pytest.approx(WIDTH, abs=0.1) and page["height"] == pytest.approx(HEIGHT, abs=0.1)
        assert page["rotation"] == 0 and page["source"] == "text"
    for element in elements:
        if element["type"] == "page_break":
            continue
        x0, y0, x1, y1 = element["bbox"]
        assert 0 <= x0 < x1 <= WIDTH and 0 <= y0 < y1 <= HEIGHT, element
        assert 1 <= element["page"] <= PAGES


def test_title_and_headings_come_with_levels_in_order(report):
    _, result, truth = report
    elements = result["elements"]
    assert [e["text"] for e in elements if e["type"] == "title"] == [truth.title]
    found = [(e["level"], e["text"]) for e in elements if e["type"] == "heading"]
    assert [text for _, text in found] == [text for _, text in truth.headings]
    # The levels may be numbered from 1 or below the title, but one truth level is one of ours, in the same rank.
    mapping: dict[int, set[int]] = {}
    for (ours, _), (theirs, _) in zip(found, truth.headings, strict=True):
        mapping.setdefault(theirs, set()).add(ours)
    assert all(len(levels) == 1 for levels in mapping.values()), found
    ranked = [min(mapping[level]) for level in sorted(mapping)]
    assert ranked == sorted(ranked) and len(set(ranked)) == len(ranked), found
    assert "# Annual Report 2025" in result["markdown"].splitlines()
    assert any(re.fullmatch(r"#{2,4} 1\.2\.1 Punctuality", line) for line in result["markdown"].splitlines())


def test_page_furniture_is_kept_as_elements_but_left_out_of_text_and_markdown(report):
    _, result, truth = report
    furniture = [e for e in result["elements"] if e["type"] in ("page_header", "page_footer")]
    furniture_text = " ".join(e["text"] for e in furniture)
    for line in set(truth.furniture):
        assert line in furniture_text
        assert line not in result["text"] and line not in result["markdown"]


def test_two_columns_read_column_by_column(report):
    _, result, truth = report
    text = " ".join(result["text"].split())
    positions = [text.find(fragment) for fragment in truth.order]
    assert all(position >= 0 for position in positions), positions
    assert positions == sorted(positions)


def test_every_table_row_is_exact_and_the_continued_table_is_one(report):
    _, result, truth = report
    tables = result["tables"]
    assert [_cells(table["rows"]) for table in tables] == [_cells(rows) for rows in truth.tables]
    assert [table["pages"] for table in tables] == [[1], [1], [3, 4]]
    assert all(table["header_rows"] >= 1 for table in tables)
    table_elements = [e for e in result["elements"] if e["type"] == "table"]
    assert [e["rows"] for e in table_elements] == [table["rows"] for table in tables]
    assert "| Region | Depots | Vehicles | Staff |" in result["markdown"]


def test_prose_boxes_match_where_it_was_drawn(report):
    _, result, truth = report
    checked = 0
    for element in result["elements"]:
        if element["text"] in truth.boxes:
            page, box = truth.boxes[element["text"]]
            assert element["page"] == page
            assert _iou(element["bbox"], box) >= 0.5, (element, box)
            checked += 1
    assert checked >= 8  # the title, every heading and the one-line paragraphs


def test_tables_download_as_csv(client, report):
    job_id, result, _ = report
    for index, table in enumerate(result["tables"]):
        response = client.get(f"/api/v1/jobs/{job_id}/tables/{index}.csv")
        assert response.status_code == 200
        assert response.content_type.startswith("text/csv")
        assert list(csv.reader(io.StringIO(response.get_data(as_text=True)))) == table["rows"]
    assert client.get(f"/api/v1/jobs/{job_id}/tables/{len(result['tables'])}.csv").status_code == 404


def test_a_page_selection_returns_only_those_pages(client, report):
    job_id, _, _ = report
    response = client.get(f"/api/v1/jobs/{job_id}/result?pages=2")
    assert response.status_code == 200
    selected = response.get_json()
    assert {e["page"] for e in selected["elements"]} == {2}
    assert [page["number"] for page in selected["pages"]] == [2]
    assert "The second column turns to the outlook" in " ".join(selected["text"].split())
    assert "Region" not in selected["text"] and selected["tables"] == []
    spanning = client.get(f"/api/v1/jobs/{job_id}/result?pages=4").get_json()
    assert [table["pages"] for table in spanning["tables"]] == [[3, 4]]
    bad = client.get(f"/api/v1/jobs/{job_id}/result?pages=3-1")
    assert bad.status_code == 422 and "pages" in bad.get_data(as_text=True)


def test_parse_pages_option_parses_only_the_chosen_pages(client, work_queue):
    pipeline = {
        "name": "first-page",
        "stages": [{"name": "ingest"}, {"name": "detect"}, {"name": "parse", "options": {"pages": "1"}},
                   {"name": "enrich"}, {"name": "output"}],
    }  # fmt: skip
    created = client.post("/api/v1/pipelines", json=pipeline)
    assert created.status_code == 201, created.get_data(as_text=True)
    data, _ = build_report()
    body, content_type = multipart_body({"file": (data, "report.pdf"), "pipeline": "first-page"})
    job = client.post("/api/v1/jobs", data=body, content_type=content_type).get_json()
    work_queue()
    result = client.get(f"/api/v1/jobs/{job['id']}/result").get_json()
    assert [page["number"] for page in result["pages"]] == [1]
    assert {e["page"] for e in result["elements"]} == {1}
    assert result["metadata"]["page_count"] == PAGES
    refused = client.post(
        "/api/v1/pipelines", json={**pipeline, "name": "bad-pages", "stages": [{"name": "ingest"}, {"name": "detect"},
                                   {"name": "parse", "options": {"pages": "two"}}, {"name": "enrich"},
                                   {"name": "output"}]},
    )  # fmt: skip
    assert refused.status_code == 422 and "stages[2].options.pages" in refused.get_data(as_text=True)
