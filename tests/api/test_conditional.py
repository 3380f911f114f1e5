"""Conditional requests: ETag on jobs, results and pipelines; If-None-Match → 304; If-Match on PUT → 412."""

from __future__ import annotations

import threading

from tests.api.multipart import post_files
from tests.api.test_pipelines import STAGES, create


def new_job(client, text: bytes = b"Conditional requests save bandwidth.") -> dict:
    return post_files(client, [(text, "note.txt")]).get_json()


def test_job_etag_and_if_none_match(client):
    job = new_job(client)
    first = client.get(f"/api/v1/jobs/{job['id']}")
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert client.get(f"/api/v1/jobs/{job['id']}").headers["ETag"] == etag  # stable while nothing changes
    for header in [etag, f'"other", {etag}', "*", f"W/{etag}"]:
        cached = client.get(f"/api/v1/jobs/{job['id']}", headers={"If-None-Match": header})
        assert cached.status_code == 304, header
        assert cached.headers["ETag"] == etag and cached.get_data() == b""
        assert "Content-Type" not in cached.headers
    assert client.get(f"/api/v1/jobs/{job['id']}", headers={"If-None-Match": '"other"'}).status_code == 200


def test_job_etag_changes_as_the_job_runs(client, work_queue):
    job = new_job(client)
    queued_tag = client.get(f"/api/v1/jobs/{job['id']}").headers["ETag"]
    work_queue()
    done = client.get(f"/api/v1/jobs/{job['id']}", headers={"If-None-Match": queued_tag})
    assert done.status_code == 200 and done.get_json()["status"] == "succeeded"
    assert done.headers["ETag"] != queued_tag
    cancelled = new_job(client, b"to be cancelled")
    before = client.get(f"/api/v1/jobs/{cancelled['id']}").headers["ETag"]
    after = client.post(f"/api/v1/jobs/{cancelled['id']}/cancel")
    assert after.headers["ETag"] != before
    assert client.get(f"/api/v1/jobs/{cancelled['id']}", headers={"If-None-Match": before}).status_code == 200


def test_result_etags_per_format_and_304(client, work_queue):
    job = new_job(client, b"Quarterly report. Revenue grew by nine percent.")
    pending = client.get(f"/api/v1/jobs/{job['id']}/result", headers={"If-None-Match": "*"})
    assert pending.status_code == 409  # no result yet: nothing to be unchanged
    work_queue()
    tags = {}
    for fmt in ("json", "text", "markdown"):
        url = f"/api/v1/jobs/{job['id']}/result?format={fmt}"
        full = client.get(url)
        assert full.status_code == 200 and "nine percent" in full.get_data(as_text=True)
        tags[fmt] = full.headers["ETag"]
        cached = client.get(url, headers={"If-None-Match": tags[fmt]})
        assert cached.status_code == 304 and cached.get_data() == b"" and cached.headers["ETag"] == tags[fmt]
    assert len(set(tags.values())) == 3
    assert client.get(f"/api/v1/jobs/{job['id']}/result", headers={"If-None-Match": tags["text"]}).status_code == 200
    assert client.get(f"/api/v1/jobs/{job['id']}/result").headers["ETag"] == tags["json"]


def test_pipeline_etag_follows_its_version(client):
    pipeline = create(client).get_json()
    url = f"/api/v1/pipelines/{pipeline['id']}"
    etag = client.get(url).headers["ETag"]
    assert client.get("/api/v1/pipelines/invoices").headers["ETag"] == etag  # by name, the same resource
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    updated = client.put(url, json={"stages": STAGES})
    assert updated.status_code == 200 and updated.headers["ETag"] != etag
    fresh = client.get(url, headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] == updated.headers["ETag"]


def test_put_with_a_stale_if_match_is_412_and_changes_nothing(client):
    pipeline = create(client).get_json()
    url = f"/api/v1/pipelines/{pipeline['id']}"
    v1 = client.get(url).headers["ETag"]
    v2 = client.put(url, json={"stages": STAGES}, headers={"If-Match": v1})
    assert v2.status_code == 200 and v2.get_json()["version"] == 2
    stale = client.put(url, json={"stages": STAGES, "description": "lost update"}, headers={"If-Match": v1})
    assert stale.status_code == 412
    assert stale.content_type == "application/problem+json"
    assert stale.get_json()["type"] == "/problems/precondition-failed" and stale.get_json()["current_version"] == 2
    assert client.get(url).get_json()["version"] == 2
    other = create(client, name="receipts").get_json()
    foreign = client.get(f"/api/v1/pipelines/{other['id']}").headers["ETag"]
    assert client.put(url, json={"stages": STAGES}, headers={"If-Match": foreign}).status_code == 412
    assert (
        client.put(url, json={"stages": STAGES}, headers={"If-Match": f'"x", {v2.headers["ETag"]}'}).status_code == 200
    )
    assert client.put(url, json={"stages": STAGES}, headers={"If-Match": "*"}).status_code == 200
    assert client.put(url, json={"stages": STAGES}).status_code == 200  # no header: allowed, as before
    assert client.get(url).get_json()["version"] == 5


def test_concurrent_updates_with_one_if_match_let_exactly_one_through(client, accounts):
    """GIVEN two editors who read version 1 WHEN both save at the same instant with If-Match THEN one gets
    version 2 and the other 412, never two versions 2 (or a lost update)."""
    pipeline = create(client).get_json()
    url = f"/api/v1/pipelines/{pipeline['id']}"
    etag = client.get(url).headers["ETag"]
    editors = [accounts.client("operator"), accounts.client("admin")]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def save(editor, description: str) -> None:
        barrier.wait()
        body = {"stages": STAGES, "description": description}
        statuses.append(editor.put(url, json=body, headers={"If-Match": etag}).status_code)

    threads = [threading.Thread(target=save, args=(e, f"edit {i}")) for i, e in enumerate(editors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 412]
    assert [v["version"] for v in client.get(f"{url}/versions").get_json()["items"]] == [2, 1]
