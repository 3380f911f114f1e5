"""The OpenAPI document: complete, valid, committed, served; its browsable page renders offline under our CSP."""

from __future__ import annotations

import json
import re

import pytest
from openapi_spec_validator import validate

from tests.conftest import ROOT
from tests.dashboard import conftest as dashboard

# The dashboard's fixtures: the app behind a real HTTP server, and Debian's Chromium.
live_server = dashboard.live_server
browser = dashboard.browser
COMMITTED = ROOT / "docs" / "openapi.json"
REGENERATE = "make openapi   (or: .venv/bin/flask --app wsgi openapi --output docs/openapi.json)"


def _operations(document: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, methods in document["paths"].items() for method in methods}


def test_the_committed_copy_matches_the_code(app):
    """GIVEN the document generated from the views WHEN compared with docs/openapi.json THEN they are the same
    text; otherwise the failure says how to regenerate it."""
    from webapp.api.openapi import document, render

    generated = render(document(app))
    committed = COMMITTED.read_text(encoding="utf-8") if COMMITTED.exists() else ""
    assert generated == committed, f"docs/openapi.json is out of date with the code: run\n    {REGENERATE}"


def test_the_document_is_valid_openapi_3_1(anon):
    response = anon.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    validate(document)  # openapi-spec-validator: raises on any error


def test_every_api_route_is_documented(app):
    from webapp.api.openapi import document

    documented = _operations(document(app))
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            routes |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes - documented == set()
    assert documented - routes == set()
    assert len(documented) >= 35


def test_what_the_document_promises(app):
    """Spot checks of the contract (../shared/API.md) as the document states it."""
    from webapp.api.openapi import document

    doc = document(app)
    paths, schemas = doc["paths"], doc["components"]["schemas"]
    submit = paths["/api/v1/jobs"]["post"]
    form = schemas[submit["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert form["required"] == ["file"] and form["properties"]["file"]["type"] == "array"
    assert {"pipeline", "priority", "labels"} <= set(form["properties"])
    assert set(submit["responses"]["202"]["headers"]) >= {"Location", "Idempotent-Replayed", "RateLimit-Limit"}
    assert {p["name"] for p in submit["parameters"]} == {"Idempotency-Key"}
    limit = next(p for p in paths["/api/v1/jobs"]["get"]["parameters"] if p["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 500)
    result = paths["/api/v1/jobs/{job_id}/result"]["get"]
    assert set(result["responses"]["200"]["content"]) == {"application/json", "text/plain", "text/markdown"}
    assert {"304", "404", "409"} <= set(result["responses"])
    assert {p["name"] for p in result["parameters"]} >= {"format", "pages"}
    csv_table = paths["/api/v1/jobs/{job_id}/tables/{n}.csv"]["get"]
    assert list(csv_table["responses"]["200"]["content"]) == ["text/csv"]
    assert {"Content-Disposition", "ETag"} <= set(csv_table["responses"]["200"]["headers"])
    assert {"304", "404", "409"} <= set(csv_table["responses"])
    assert {"pages"} <= set(schemas["Result"]["required"]) and schemas["Page"]["required"][0] == "number"
    assert {"id", "type", "text", "page"} == set(schemas["Element"]["required"])
    assert {"bbox", "level", "rows", "header_rows", "pages"} <= set(schemas["Element"]["properties"])
    assert {"id", "pages", "header_rows", "rows"} <= set(schemas["Table"]["required"])
    assert "412" in paths["/api/v1/pipelines/{ref}"]["put"]["responses"]
    assert paths["/api/v1/auth/token"]["post"]["security"] == []
    assert doc["security"] == [{"bearer": []}, {"apiKey": []}]
    assert doc["components"]["securitySchemes"]["apiKey"]["name"] == "X-API-Key"
    for status in ("401", "403", "404", "409", "412", "413", "422", "429"):
        problem = doc["components"]["responses"][f"Problem{status}"]
        assert list(problem["content"]) == ["application/problem+json"]
    assert "Retry-After" in doc["components"]["responses"]["Problem429"]["headers"]
    assert set(schemas["FieldProblem"]["required"]) == {"field", "message"}


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/api/v1/pipelines", {"name": "p", "stages": [{"name": "ingest"}, {"name": "x"}]}, "stages[1].name"),
        ("post", "/api/v1/pipelines", {"name": "p", "stages": [{"name": "ingest", "extra": 1}]}, "stages[0].extra"),
        ("post", "/api/v1/users", {"email": "a@b.c", "password": "long enough", "role": "root"}, "role"),
        ("patch", "/api/v1/users/usr_x", {"password": "short"}, "password"),
        ("post", "/api/v1/api-keys", {"name": "k", "expires_in_days": 0}, "expires_in_days"),
        ("post", "/api/v1/webhooks", [], "body"),
        ("get", "/api/v1/jobs?limit=501", None, "limit"),
        ("get", "/api/v1/audit?format=xml", None, "format"),
    ],
)
def test_request_validation_is_our_422(client, method, path, body, field):
    """GIVEN a request the document's models refuse WHEN it is sent THEN our problem+json 422 names the field."""
    response = client.open(path, method=method.upper(), json=body)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert field in [error["field"] for error in response.get_json()["errors"]]


def test_stage_options_are_still_checked_by_the_service(client):
    body = {"name": "ocr", "stages": [{"name": n} for n in ("ingest", "detect")]}
    body["stages"].append({"name": "parse", "options": {"ocr_language": 42}})
    body["stages"].append({"name": "output"})
    response = client.post("/api/v1/pipelines", json=body)
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["stages[2].options.ocr_language"]


def test_the_document_and_the_page_are_public(anon):
    assert anon.get("/api/v1/openapi.json").status_code == 200
    page = anon.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(url.startswith("/static/") or url.startswith("/api/v1/") for url in assets), assets
    assert "<script>" not in html  # the CSP allows no inline script


def test_the_docs_page_renders_offline(live_server, browser, tmp_path):
    """GIVEN the docs page in Chromium with every request off this server blocked WHEN it loads THEN Swagger UI
    shows our operations, nothing was fetched elsewhere and the CSP was never violated."""
    page = browser.new_page()
    outside, console = [], []
    page.on("console", lambda message: console.append(message.text))

    def only_here(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_here)
    page.goto(f"{live_server.url}/api/docs")
    page.get_by_text("/api/v1/jobs/{job_id}/result", exact=True).wait_for(timeout=20000)
    assert page.locator(".opblock").count() >= 35
    assert "Docpipe API" in page.locator(".info .title").inner_text()
    assert outside == []
    assert [text for text in console if "Content Security Policy" in text] == []
    page.screenshot(path=str(tmp_path / "api-docs.png"), full_page=False)
    page.close()


def test_the_cli_writes_the_document(runner, tmp_path):
    target = tmp_path / "openapi.json"
    result = runner.invoke(args=["openapi", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text())["info"]["title"] == "Docpipe API"
    assert target.read_text() == COMMITTED.read_text()


@pytest.mark.parametrize(
    ("method", "path", "body", "field", "status"),
    [
        ("post", "/api/v1/api-keys", {"name": "k", "user_id": "usr_\x00"}, "user_id", 422),
        ("post", "/api/v1/users", {"email": "a\x00@b.c", "password": "long enough"}, "email", 422),
        ("post", "/api/v1/webhooks", {"url": "http://127.0.0.1/x", "events": ["*"], "description": "\x00"}, None, 422),
        ("get", "/api/v1/audit?actor=%00", None, "actor", 422),
        ("get", "/api/v1/jobs/job_%00", None, None, 404),
    ],
)
def test_nul_characters_are_refused_not_a_database_error(client, method, path, body, field, status):
    """GIVEN text with U+0000, which PostgreSQL cannot store (found by schemathesis: a 500 on PostgreSQL) WHEN it
    is sent THEN a problem+json 422 names the field (404 for an id in the path) on every database."""
    response = client.open(path, method=method.upper(), json=body)
    assert response.status_code == status
    assert response.content_type == "application/problem+json"
    if status == 422:
        assert [e["field"] for e in response.get_json()["errors"]] == [field or "description"]


def test_a_form_part_whose_name_does_not_parse_is_not_a_server_error(client):
    """GIVEN a multipart upload with a part whose name header is broken (werkzeug names it None; found by
    schemathesis in CI) WHEN it is submitted beside a real file THEN the broken part is ignored, never a 500."""
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="\\"\r\n\r\nnull\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="note.txt"\r\n\r\nhello\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    response = client.post("/api/v1/jobs", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["filename"] == "note.txt"
