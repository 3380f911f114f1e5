"""The result's document model through the API: element ids, boxes and levels, tables with header rows and
pages, page entries; page selections (?pages=) of JSON, text and Markdown; tables as CSV; the parse options
that steer layout analysis. Results with layout are stored by hand (tests/dashboard/layout_result.py), so these
tests hold whatever the layout engine finds."""

from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import multipart_body
from tests.dashboard.layout_result import ROWS, report_layout, report_pdf, store_layout

MARKDOWN_WITH_TABLE = b"# Fleet\n\n## Depots\n\n| Region | Depots |\n|---|---|\n| North | 12 |\n\nThe end.\n"


def _submit(client, data: bytes, filename: str, **form) -> dict:
    body, content_type = multipart_body({"file": (data, filename), **form})
    response = client.post("/api/v1/jobs", data=body, content_type=content_type)
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture
def laid_out(app, client, work_queue) -> tuple[str, dict]:
    """A succeeded two-page PDF job whose result has the layout of tests/dashboard/layout_result.py."""
    job = _submit(client, report_pdf(), "fleet.pdf")
    work_queue()
    return job["id"], store_layout(app, job["id"], report_layout())


def test_elements_have_ids_and_tables_their_rows_header_rows_and_pages(client, work_queue):
    job = _submit(client, MARKDOWN_WITH_TABLE, "fleet.md")
    work_queue()
    result = client.get(f"/api/v1/jobs/{job['id']}/result").get_json()
    ids = [element["id"] for element in result["elements"]]
    assert ids == [f"e{number}" for number in range(1, len(ids) + 1)]
    assert result["pages"] == []  # not a paginated source
    (table,) = result["tables"]
    (element,) = [element for element in result["elements"] if element["type"] == "table"]
    assert table["id"] == element["id"] and table["pages"] == [] and table["header_rows"] >= 0
    assert element["rows"] == table["rows"] == [["Region", "Depots"], ["North", "12"]]
    assert [(e["type"], e.get("level")) for e in result["elements"][:2]] == [("heading", 1), ("heading", 2)]


def test_a_layout_result_has_pages_boxes_and_levels(client, laid_out):
    job_id, stored = laid_out
    result = client.get(f"/api/v1/jobs/{job_id}/result").get_json()
    assert result["pages"] == stored["pages"] and len(result["pages"]) == 2
    assert result["pages"][0] == {"number": 1, "width": 595.28, "height": 841.89, "rotation": 0, "source": "text"}
    assert [element["bbox"] for element in result["elements"]] == [e["bbox"] for e in stored["elements"]]
    assert result["elements"][1] | {"bbox": None} == {
        "id": "e2", "type": "heading", "text": "1 Depots", "page": 1, "level": 1, "bbox": None,
    }  # fmt: skip
    assert result["tables"][0]["bbox"] == [56.0, 88.0, 300.0, 148.0] and result["tables"][0]["header_rows"] == 1


def test_a_page_selection_has_only_those_pages(client, laid_out):
    """GIVEN a result over two pages, a table on page 2 and a running footer on each
    WHEN pages are selected THEN elements, tables and pages are those of the selection, and text and Markdown
    are rendered again from its elements (the footer left out, as in the whole result)."""
    job_id, _ = laid_out
    url = f"/api/v1/jobs/{job_id}/result"
    first = client.get(f"{url}?pages=1").get_json()
    assert {element["page"] for element in first["elements"]} == {1}
    assert [page["number"] for page in first["pages"]] == [1] and first["tables"] == []
    assert first["text"] == "Fleet Report\n\n1 Depots\n\nEvery region opened a depot this year."
    assert first["markdown"] == "# Fleet Report\n\n## 1 Depots\n\nEvery region opened a depot this year.\n"
    second = client.get(f"{url}?pages=2-").get_json()
    assert [table["rows"] for table in second["tables"]] == [ROWS]
    assert [element["id"] for element in second["elements"]] == ["e5", "e6"]
    text = client.get(f"{url}?pages=2&format=text")
    assert text.mimetype == "text/plain" and text.get_data(as_text=True) == "Region\tDepots\nNorth\t12\n=South\t-9"
    markdown = client.get(f"{url}?pages=2&format=markdown")
    assert markdown.mimetype == "text/markdown"
    assert markdown.get_data(as_text=True).startswith("| Region | Depots |\n| --- | --- |\n| North | 12 |")
    nothing = client.get(f"{url}?pages=9").get_json()
    assert nothing["elements"] == nothing["tables"] == nothing["pages"] == [] and nothing["text"] == ""


def test_each_selection_has_its_own_etag(client, laid_out):
    job_id, _ = laid_out
    url = f"/api/v1/jobs/{job_id}/result"
    tags = {query: client.get(url + query).headers["ETag"] for query in ("", "?pages=1", "?pages=2", "?pages=1-2")}
    assert len(set(tags.values())) == 4
    assert client.get(url + "?pages=1&format=text").headers["ETag"] not in tags.values()
    assert client.get(url + "?pages=1", headers={"If-None-Match": tags["?pages=1"]}).status_code == 304
    assert client.get(url + "?pages=2", headers={"If-None-Match": tags["?pages=1"]}).status_code == 200
    assert client.get(url + "?pages=%201%20", headers={"If-None-Match": tags["?pages=1"]}).status_code == 304


@pytest.mark.parametrize("pages", ["3-1", "", "x", "0", "1,,2"])
def test_a_malformed_selection_is_a_422_naming_pages(client, laid_out, pages):
    job_id, _ = laid_out
    response = client.get(f"/api/v1/jobs/{job_id}/result", query_string={"pages": pages})
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert [error["field"] for error in response.get_json()["errors"]] == ["pages"]


def test_tables_download_as_csv(client, laid_out):
    """Cells that start like a formula (=, -) are written as they are: csv.reader gives back the rows."""
    job_id, stored = laid_out
    response = client.get(f"/api/v1/jobs/{job_id}/tables/0.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="fleet-table-0.csv"'
    assert response.get_data(as_text=True) == "Region,Depots\r\nNorth,12\r\n=South,-9\r\n"
    assert list(csv.reader(io.StringIO(response.get_data(as_text=True)))) == stored["tables"][0]["rows"]
    etag = response.headers["ETag"]
    assert client.get(f"/api/v1/jobs/{job_id}/tables/0.csv", headers={"If-None-Match": etag}).status_code == 304


def test_csv_of_a_missing_table_or_job_is_404_and_of_an_unfinished_job_409(client, laid_out):
    job_id, _ = laid_out
    for path in (f"/api/v1/jobs/{job_id}/tables/1.csv", "/api/v1/jobs/job_nope/tables/0.csv"):
        missing = client.get(path)
        assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    queued = _submit(client, b"Still waiting.", "waiting.txt")
    pending = client.get(f"/api/v1/jobs/{queued['id']}/tables/0.csv")
    assert pending.status_code == 409 and pending.get_json()["job_status"] == "queued"


def test_csv_needs_the_same_role_as_the_result(accounts, laid_out):
    job_id, _ = laid_out
    assert accounts.client("viewer").get(f"/api/v1/jobs/{job_id}/tables/0.csv").status_code == 200
    anonymous = accounts.client(None).get(f"/api/v1/jobs/{job_id}/tables/0.csv")
    assert anonymous.status_code == 401 and anonymous.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"pages": "two"}, "stages[2].options.pages"),
        ({"pages": "3-1"}, "stages[2].options.pages"),
        ({"pages": 3}, "stages[2].options.pages"),
        ({"furniture": "hide"}, "stages[2].options.furniture"),
        ({"layout": "yes"}, "stages[2].options.layout"),
    ],
)
def test_parse_layout_options_are_validated(client, options, field):
    stages = [{"name": "ingest"}, {"name": "detect"}, {"name": "parse", "options": options}, {"name": "output"}]
    response = client.post("/api/v1/pipelines", json={"name": "layout-options", "stages": stages})
    assert response.status_code == 422
    assert [error["field"] for error in response.get_json()["errors"]] == [field]


def test_parse_layout_options_are_accepted(client):
    options = {"pages": "1-3,7", "furniture": "keep", "layout": False, "tables": True}
    stages = [{"name": "ingest"}, {"name": "detect"}, {"name": "parse", "options": options}, {"name": "output"}]
    response = client.post("/api/v1/pipelines", json={"name": "layout-options", "stages": stages})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["stages"][2]["options"] == options
    everything = [{"name": "ingest"}, {"name": "detect"}, {"name": "parse", "options": {"pages": ""}}]
    response = client.post("/api/v1/pipelines", json={"name": "all-pages", "stages": [*everything, {"name": "output"}]})
    assert response.status_code == 201, response.get_data(as_text=True)
