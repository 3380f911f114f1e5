"""Every page of the dashboard in Chromium, found by walking the app's URL map: each loads without a console
error or CSP violation, fits a 390 px wide phone screen, and leaves a screenshot (wide and narrow) in
test-artifacts/screenshots/. A new page is covered the day its route is added."""

from __future__ import annotations

import io
import re

from playwright.sync_api import expect

from tests.dashboard.helpers import screenshot, sign_in_browser, watch, wider_than_the_screen
from tests.dashboard.layout_result import report_layout, report_pdf, store_layout
from webapp.extensions import db
from webapp.models import AuditEvent
from webapp.services import jobs, webhooks

WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 390, "height": 844}
PARAMETER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def make_activity(app, work_queue) -> dict[str, str]:
    """Something on every page: a succeeded PDF with element boxes and a table, a failed and a queued job, a
    webhook, audit events. Returns the values for the URL map's parameters."""
    with app.app_context():
        pdf_job = jobs.submit_job(io.BytesIO(report_pdf()), "fleet.pdf", "default", labels={"customer": "acme"}).id
        jobs.submit_job(io.BytesIO(b""), "empty.txt", "default")
        db.session.remove()
    work_queue()
    store_layout(app, pdf_job, report_layout())
    with app.app_context():
        jobs.submit_job(io.BytesIO(b"Waiting in the queue.\n"), "queued.txt", "default")
        app.config["WEBHOOK_ALLOW_PRIVATE"] = True
        endpoint, _ = webhooks.create_endpoint({"url": "http://127.0.0.1:9/hook", "events": ["job.succeeded"]})
        event_id = db.session.execute(db.select(db.func.min(AuditEvent.id))).scalar_one()
        values = {"job_id": pdf_job, "webhook_id": endpoint.id, "event_id": str(event_id)}
        db.session.remove()
    return values | {"ref": "default", "fmt": "text", "page": "1", "n": "0"}


def dashboard_pages(app, values: dict[str, str]) -> list[tuple[str, str]]:
    """(endpoint, path) of every GET route of the dashboard and the sign-in page."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(("dashboard.", "auth.")) or "GET" not in rule.methods:
            continue
        names = PARAMETER.findall(rule.rule)
        missing = [name for name in names if name not in values]
        assert not missing, f"{rule.rule}: give make_activity a value for {missing}"
        found.append((rule.endpoint, PARAMETER.sub(lambda m: values[m.group(1)], rule.rule)))
    return sorted(found, key=lambda item: item[1])


def test_every_dashboard_page_loads_cleanly_on_a_wide_and_a_narrow_screen(live_server, browser, accounts, work_queue):
    """GIVEN an admin (who may open every page) and some activity to show
    WHEN each GET route of the dashboard that answers a full HTML page is opened, wide and then 390 px wide
    THEN each answers 200, the browser reports no console error, page error or CSP violation, and nothing is
    wider than the phone's screen."""
    values = make_activity(live_server.app, work_queue)
    page = browser.new_page(viewport=WIDE)
    problems, _ = watch(page)
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    sign_in_browser(page, live_server.url, accounts, "admin")

    visited, other, too_wide, failures = [], [], [], []
    for endpoint, path in dashboard_pages(live_server.app, values):
        url = live_server.url + path
        probe = page.request.get(url, max_redirects=0)
        html = probe.headers.get("content-type", "").startswith("text/html")
        if not html or "attachment" in probe.headers.get("content-disposition", "") or "/_" in path:
            other.append(path)  # downloads, images, JSON, htmx partials: not pages of their own
            continue
        page.set_viewport_size(WIDE)
        answer = page.goto(url)
        if answer.status != 200:
            failures.append(f"{path}: {answer.status}")
            continue
        expect(page.locator("main h1").first).to_be_visible()
        name = endpoint.removeprefix("dashboard.").replace("_", "-")
        screenshot(page, f"page-{name}")
        page.set_viewport_size(NARROW)
        page.reload()  # as a phone opens it: charts and images sized for the narrow screen from the start
        wide = wider_than_the_screen(page)
        if wide:
            too_wide.append(f"{path}: {wide}")
        screenshot(page, f"page-{name}-narrow")
        visited.append(path)

    assert failures == []
    assert problems == [] and violations == []
    assert too_wide == [], "pages wider than a 390 px screen"
    assert {"/jobs", "/upload", "/overview", "/admin/users", "/settings/api-keys", "/admin/audit"} <= set(visited)
    assert f"/jobs/{values['job_id']}" in visited and f"/jobs/{values['job_id']}/pages/1.png" in other
    assert f"/jobs/{values['job_id']}/tables/0.csv" in other
    assert len(visited) >= 12, visited
    page.close()


def test_keyboard_users_can_skip_to_the_content_and_see_where_they_are(live_server, browser, accounts):
    """The first Tab reaches the skip link, Enter moves focus into the page, and focus is visibly outlined."""
    page = browser.new_page(viewport=WIDE)
    problems, _ = watch(page)
    sign_in_browser(page, live_server.url, accounts, "operator")
    page.goto(f"{live_server.url}/upload")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    assert skip.evaluate("el => getComputedStyle(el).outlineStyle") != "none"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Documents")).to_be_focused()
    assert problems == []
    page.close()
