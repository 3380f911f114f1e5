"""The overview page and its data: throughput and outcomes over a range, durations per pipeline, queue, workers;
and in a real browser, the charts drawn without a console error or CSP violation."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from tests.conftest import corpus_file, multipart_body
from tests.dashboard.helpers import sign_in_browser
from webapp import ids
from webapp.extensions import db
from webapp.models import Job, Pipeline
from webapp.services import stats, workers
from webapp.timeutil import utcnow

SCREENSHOTS = Path(os.environ.get("DOCPIPE_SCREENSHOTS", "/tmp"))


def submit(client, data: bytes, filename: str = "note.txt", **form) -> str:
    body, content_type = multipart_body({"file": (data, filename), **form})
    response = client.post("/api/v1/jobs", data=body, content_type=content_type)
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()["id"]


def old_job(app, age: timedelta) -> str:
    """A succeeded job created ``age`` ago, with an id of that time (ids are time-ordered)."""
    with app.app_context():
        pipeline = db.session.execute(db.select(Pipeline).filter_by(name="default")).scalar_one()
        created = utcnow() - age
        millis = int(created.timestamp() * 1000)
        job = Job(
            id=f"job_{ids._encode(millis, 10)}{'7' * 16}",
            status="succeeded",
            pipeline_id=pipeline.id,
            pipeline_version_id=pipeline.current().id,
            priority=5,
            labels={},
            filename="old.txt",
            size_bytes=3,
            sha256="0" * 64,
            created_at=created,
            started_at=created + timedelta(seconds=1),
            finished_at=created + timedelta(seconds=41),
            attempts=1,
            max_attempts=3,
            progress=1.0,
        )
        db.session.add(job)
        db.session.commit()
        return job.id


@pytest.fixture
def mixed_jobs(app, client, work_queue):
    """Three succeeded, one failed, one cancelled and one waiting job (priority 7), all created now."""
    for text in (b"First report, all fine.", b"Second report, all fine.", b"Third report, all fine."):
        submit(client, text)
    submit(client, corpus_file("bad_pdf_truncated_derived.pdf").read_bytes(), "broken.pdf")
    work_queue()
    cancelled = submit(client, b"cancel me")
    assert client.post(f"/api/v1/jobs/{cancelled}/cancel").status_code == 200
    submit(client, b"still waiting", priority="7")
    with app.app_context():
        workers.beat("overview-host:1")


def test_data_endpoint_counts_the_jobs_of_the_range(app, client, mixed_jobs):
    data = client.get("/overview/data.json?range=24h").get_json()
    assert data["range"] == "24h" and data["unit"] == "hour" and len(data["buckets"]) == 24
    assert data["totals"] == {"succeeded": 3, "failed": 1, "cancelled": 1, "active": 1, "created": 6}
    assert data["rates"] == {"success": 0.75, "failure": 0.25}
    # Everything was created in the current hour: the last bucket.
    assert {outcome: values[-1] for outcome, values in data["series"].items()} == {
        "succeeded": 3,
        "failed": 1,
        "cancelled": 1,
        "active": 1,
    }
    assert all(sum(values[:-1]) == 0 for values in data["series"].values())
    (durations,) = data["durations"]
    assert durations["pipeline"] == "default" and durations["count"] == 3
    assert 0 <= durations["p50_seconds"] <= durations["p95_seconds"] < 60
    assert data["queue"] == {"depth": 1, "by_priority": {**{str(p): 0 for p in range(10)}, "7": 1}, "running": 0}
    assert data["workers"]["alive"] == 1 and data["workers"]["last_heartbeat"].endswith("Z")


def test_older_jobs_count_in_the_longer_ranges_only(app, client):
    old_job(app, timedelta(days=3))
    old_job(app, timedelta(days=20))
    old_job(app, timedelta(days=40))
    day, week, month = (client.get(f"/overview/data.json?range={key}").get_json() for key in ("24h", "7d", "30d"))
    assert (day["totals"]["created"], week["totals"]["created"], month["totals"]["created"]) == (0, 1, 2)
    assert week["unit"] == "6 hours" and len(week["buckets"]) == 28
    assert month["unit"] == "day" and len(month["buckets"]) == 30
    assert month["durations"] == [{"pipeline": "default", "count": 2, "p50_seconds": 40.0, "p95_seconds": 40.0}]
    assert month["series"]["succeeded"][-21] == 1, "the 20-day-old job sits in its day's bucket"


def test_an_unknown_range_is_refused(client):
    response = client.get("/overview/data.json?range=1y")
    assert response.status_code == 422
    assert response.get_json()["ranges"] == ["24h", "7d", "30d"]
    assert client.get("/overview?range=1y").status_code == 422


def test_page_renders_tiles_tables_and_the_data_island(accounts, mixed_jobs):
    viewer = accounts.client("viewer")
    page = viewer.get("/overview?range=7d")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<a href="/overview?range=7d" aria-current="page">7 days</a>' in html
    assert 'href="/overview" aria-current="page">Overview</a>' in html
    assert re.search(r'id="stat-created">6<', html) and re.search(r'id="stat-queue">1<', html)
    assert "(75%)" in html and "(25%)" in html
    assert 'src="/static/vendor/chart-4.6.1.umd.min.js"' in html and 'src="/static/js/overview.js"' in html
    island = re.search(r'<script type="application/json" id="overview-data">(.*?)</script>', html, re.S)
    assert json.loads(island.group(1))["totals"]["created"] == 6
    # No inline script or style for the CSP to refuse.
    assert not re.search(r"<script(?![^>]*(src=|application/json))", html)
    assert "style=" not in html and "<style" not in html


def test_percentiles_and_buckets():
    assert stats.percentile([4.0], 95) == 4.0
    assert stats.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert stats.percentile(list(map(float, range(1, 101))), 95) == pytest.approx(95.05)
    now = datetime(2026, 11, 29, 7, 42, 10, tzinfo=UTC)
    bounds = stats.bucket_bounds(stats.RANGES["24h"], now)
    assert bounds[-1] == datetime(2026, 11, 29, 8, 0, tzinfo=UTC) and bounds[0] == datetime(2026, 11, 28, 8, tzinfo=UTC)
    days = stats.bucket_bounds(stats.RANGES["30d"], now)
    assert days[-1] == datetime(2026, 11, 30, tzinfo=UTC) and len(days) == 31


def test_charts_render_in_a_browser_without_errors(live_server, browser, accounts, app, mixed_jobs):
    """GIVEN jobs of every outcome WHEN a viewer opens the overview in Chromium THEN three charts are drawn by the
    vendored Chart.js from the data island, with no console error and no CSP violation; the range picker works."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.add_init_script(
        "window.__csp = [];"
        "document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective));"
    )
    sign_in_browser(page, live_server.url, accounts, "viewer")

    page.get_by_role("link", name="Overview").click()
    page.wait_for_url(f"{live_server.url}/overview")
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
    expect(page.locator("html.charts-drawn")).to_have_count(1)
    for chart in ("chart-throughput", "chart-durations", "chart-queue"):
        canvas = page.locator(f"#{chart}")
        expect(canvas).to_be_visible()
        box = canvas.bounding_box()
        assert box["width"] > 200 and box["height"] > 100, (chart, box)
        drawn = page.evaluate(f"Chart.getChart(document.getElementById('{chart}')).data.datasets.length")
        assert drawn >= 1, chart
    throughput = "Chart.getChart(document.getElementById('chart-throughput'))"
    totals = page.evaluate(f"{throughput}.data.datasets.map(d => d.data.at(-1))")
    assert totals == [3, 1, 1, 1]
    expect(page.locator("#stat-created")).to_have_text("6")
    page.screenshot(path=str(SCREENSHOTS / "docpipe-overview.png"), full_page=True)

    page.get_by_role("link", name="30 days").click()
    page.wait_for_url(f"{live_server.url}/overview?range=30d")
    expect(page.locator("html.charts-drawn")).to_have_count(1)
    assert page.evaluate(f"{throughput}.data.labels.length") == 30
    assert page.evaluate("window.__csp || []") == []
    assert problems == []
    page.close()


def test_queue_gauges_ignore_finished_jobs(app, client):
    job = submit(client, b"x", priority="3")
    with app.app_context():
        db.session.execute(update(Job).where(Job.id == job).values(status="succeeded"))
        db.session.commit()
        load = stats.current_load()
    assert sum(load.queued_by_priority.values()) == 0 and load.running == 0
