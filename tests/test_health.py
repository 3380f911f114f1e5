"""Health endpoints check the real database, queue and storage."""

from __future__ import annotations


def test_livez(client):
    assert client.get("/livez").get_json() == {"status": "ok"}


def test_readyz_ok_when_components_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    required = ("database", "queue", "storage")
    assert {name: c["status"] for name, c in response.get_json()["components"].items() if name in required} == {
        "database": "ok",
        "queue": "ok",
        "storage": "ok",
    }


def test_healthz_reports_components_and_no_worker(client):
    body = client.get("/healthz").get_json()
    assert set(body["components"]) == {"database", "queue", "workers", "storage", "disk"}
    assert body["components"]["disk"]["free_bytes"] > 0
    assert all("latency_ms" in component for component in body["components"].values())
    assert body["components"]["queue"]["depth"] == 0
    assert body["components"]["workers"]["alive"] == 0
    assert body["status"] == "warn"


def test_queue_depth_counts_waiting_messages(client):
    import io

    client.post("/api/v1/jobs", data={"file": (io.BytesIO(b"waiting"), "w.txt")}, content_type="multipart/form-data")
    assert client.get("/healthz").get_json()["components"]["queue"]["depth"] == 1


def test_readyz_503_when_the_database_is_unreachable(make_app, tmp_path):
    app = make_app(DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["components"]["database"]["status"] == "error"
    assert response.get_json()["failing"] == ["database"]
