"""Pipelines API: versions are immutable, validation names the field, default always exists."""

from __future__ import annotations

import io

STAGES = [
    {"name": "ingest", "options": {"max_size_mb": 5}},
    {"name": "detect"},
    {"name": "parse", "options": {"max_pages": 10, "tables": False}},
    {"name": "output", "options": {"formats": ["text"]}},
]


def create(client, **overrides):
    body = {"name": "invoices", "description": "Invoices", "default_priority": 7, "stages": STAGES, **overrides}
    return client.post("/api/v1/pipelines", json=body)


def test_default_pipeline_exists_from_the_start(client):
    items = client.get("/api/v1/pipelines").get_json()["items"]
    assert [item["name"] for item in items] == ["default"]
    default = client.get("/api/v1/pipelines/default").get_json()
    assert default["version"] == 1
    assert [stage["name"] for stage in default["stages"]] == ["ingest", "detect", "parse", "enrich", "output"]


def test_create_get_by_id_and_name(client):
    response = create(client)
    assert response.status_code == 201
    created = response.get_json()
    assert response.headers["Location"] == f"/api/v1/pipelines/{created['id']}"
    assert created["version"] == 1 and created["default_priority"] == 7
    assert client.get(f"/api/v1/pipelines/{created['id']}").get_json() == created
    assert client.get("/api/v1/pipelines/invoices").get_json()["id"] == created["id"]
    assert create(client).status_code == 409


def test_update_makes_a_new_version_and_jobs_keep_theirs(client, work_queue):
    pipeline = create(client).get_json()
    job = client.post(
        "/api/v1/jobs",
        data={"file": (io.BytesIO(b"version one text"), "a.txt"), "pipeline": "invoices"},
        content_type="multipart/form-data",
    ).get_json()
    assert job["priority"] == 7
    updated = client.put(f"/api/v1/pipelines/{pipeline['id']}", json={"stages": STAGES[:3] + [{"name": "output"}]})
    assert updated.status_code == 200 and updated.get_json()["version"] == 2
    versions = client.get(f"/api/v1/pipelines/{pipeline['id']}/versions").get_json()["items"]
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[1]["stages"][3]["options"] == {"formats": ["text"]}
    work_queue()
    done = client.get(f"/api/v1/jobs/{job['id']}").get_json()
    assert done["pipeline"]["version"] == 1 and done["status"] == "succeeded"
    result = client.get(f"/api/v1/jobs/{job['id']}/result").get_json()
    # Version 1 asked for text only.
    assert result["text"] and result["markdown"] == ""


def test_validation_names_the_field(client):
    cases = [
        ({"stages": [{"name": "ingest"}, {"name": "ocr"}]}, "stages[1].name"),
        ({"stages": [{"name": "detect"}, {"name": "ingest"}, {"name": "parse"}, {"name": "output"}]}, "stages[1].name"),
        (
            {"stages": [*STAGES[:2], {"name": "parse", "options": {"ocr": "sometimes"}}, STAGES[3]]},
            "stages[2].options.ocr",
        ),
        (
            {"stages": [*STAGES[:2], {"name": "parse", "options": {"ocr_language": "eng"}}, STAGES[3]]},
            "stages[2].options.ocr_language",
        ),
        (
            {"stages": [*STAGES[:2], {"name": "parse", "options": {"max_pages": 0}}, STAGES[3]]},
            "stages[2].options.max_pages",
        ),
        ({"stages": STAGES[:3]}, "stages"),
        ({"stages": []}, "stages"),
        ({"default_priority": 10}, "default_priority"),
        ({"name": "Bad Name!"}, "name"),
    ]
    for override, field in cases:
        response = create(client, **override)
        assert response.status_code == 422, (override, response.get_json())
        assert response.content_type == "application/problem+json"
        assert field in [error["field"] for error in response.get_json()["errors"]], (override, response.get_json())


def test_malformed_json_body_is_422(client):
    response = client.post("/api/v1/pipelines", data="{not json", content_type="application/json")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "body"


def test_delete_conflicts_while_jobs_are_active(client, work_queue):
    pipeline = create(client).get_json()
    client.post(
        "/api/v1/jobs",
        data={"file": (io.BytesIO(b"text"), "a.txt"), "pipeline": pipeline["id"]},
        content_type="multipart/form-data",
    )
    blocked = client.delete(f"/api/v1/pipelines/{pipeline['id']}")
    assert blocked.status_code == 409
    work_queue()
    assert client.delete(f"/api/v1/pipelines/{pipeline['id']}").status_code == 204
    assert client.get(f"/api/v1/pipelines/{pipeline['id']}").status_code == 404
    # The name is free again, and old jobs still show their pipeline.
    assert create(client).status_code == 201
    assert client.get("/api/v1/jobs").get_json()["items"][0]["pipeline"]["name"] == "invoices"
    assert client.delete("/api/v1/pipelines/default").status_code == 409
