"""Schemathesis against the live API: every operation of /api/v1/openapi.json, about 100 generated requests each
(valid and invalid data), sent over HTTP to the app served by a real werkzeug server with an admin API key.

Checks on every answer: no 5xx, the status code is documented, the content type is documented, the body and
the headers match the documented schemas, invalid data is refused with a 4xx, and every error is problem+json
(a 422 with ``errors[{field, message}]``).

Path parameters are generated, and about half of them are swapped for ids that exist (succeeded jobs, one of a
pipeline with the chunk stage, a queued one, pipelines, a second user and their key, a webhook and its delivery),
so the operations run on real data too. Never swapped in: the admin's own user and key, which the run needs to the
end (revoking or demoting them would turn every later request into a 401/403). Webhook URLs are swapped for a
loopback address: no name lookups.
"""

from __future__ import annotations

import json
import threading
import zlib
from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.serving import make_server

from tests.conftest import ROOT, corpus_file

EXAMPLES = 100
REAL_IDS: dict[str, list[str]] = {}
SENT: Counter[str] = Counter()
ANSWERED: Counter[tuple[str, int]] = Counter()
# The committed document: tests/api/test_openapi.py keeps it equal to what the code generates.
DOCUMENT = ROOT / "docs" / "openapi.json"
schema = schemathesis.openapi.from_path(DOCUMENT)


@schemathesis.hook
def map_path_parameters(ctx, path_parameters):
    """Half of the generated ids (decided by the value itself, so Hypothesis stays deterministic) become real."""
    for name, value in list((path_parameters or {}).items()):
        pool = REAL_IDS.get(name)
        digest = zlib.crc32(str(value).encode())
        if pool and digest % 2 == 0:
            path_parameters[name] = pool[(digest // 2) % len(pool)]
    return path_parameters


@schemathesis.hook
def map_body(ctx, body):
    if isinstance(body, dict) and isinstance(body.get("url"), str) and "/webhooks" in ctx.operation.path:
        body["url"] = f"http://127.0.0.1:9/hook-{len(body['url'])}"
    return body


def problem_json(ctx, response, case) -> bool | None:
    """Every 4xx is RFC 9457 problem+json with our fields; a 422 lists each invalid field."""
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith("application/problem+json"), f"{response.status_code} as {content_type}"
    body = response.json()
    assert body["status"] == response.status_code and body["title"] and body["type"], body
    if response.status_code == 422:
        assert body["errors"] and all(e["field"] and e["message"] for e in body["errors"]), body
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    problem_json,
]
# Not negative_data_rejection: multipart fields are lenient on purpose (an empty `priority` part means "the
# pipeline's default", as browsers and `curl -F priority=` send it), and it counts Authorization values that the
# Bearer scheme accepts as invalid: it failed CI at random on both, while every check above must hold.


def _seed(app, accounts, work_queue) -> str:
    """Real resources for the path parameters; returns the admin's API key."""
    from webapp.extensions import db
    from webapp.services import api_keys, jobs, pipelines, users, webhooks

    admin_key = accounts.ensure("admin")
    with app.app_context():
        spare = users.create_user("spare@example.com", "correct horse battery", "operator")
        spare_key, _ = api_keys.create_key(spare, "spare key")
        custom = pipelines.create_pipeline(
            {"name": "custom", "stages": [{"name": n} for n in ("ingest", "detect", "parse", "output")]}
        )
        chunked = pipelines.create_pipeline(
            {"name": "chunked", "stages": [{"name": n} for n in ("ingest", "detect", "parse", "chunk", "output")]}
        )
        with corpus_file("csv_stanley-cups.csv").open("rb") as handle:
            done = jobs.submit_job(handle, "cups.csv", "default")
        with corpus_file("md_docling_wiki.md").open("rb") as handle:
            chunked_job = jobs.submit_job(handle, "wiki.md", chunked.name)  # its chunks answer 200
        endpoint, _ = webhooks.create_endpoint({"url": "http://127.0.0.1:9/hook", "events": ["*"]})
        delivery = webhooks.send_test(endpoint)
        REAL_IDS.clear()
        REAL_IDS.update(
            job_id=[done.id, chunked_job.id],
            ref=["default", custom.id, custom.name],
            user_id=[spare.id],
            key_id=[spare_key.id],
            webhook_id=[endpoint.id],
            delivery_id=[delivery.id],
            n=["0"],  # the CSV's one table
        )
        db.session.remove()
    work_queue()
    with app.app_context():
        with corpus_file("csv_stanley-cups.csv").open("rb") as handle:
            REAL_IDS["job_id"].append(jobs.submit_job(handle, "queued.csv", "custom").id)
        db.session.remove()
    return admin_key


@pytest.fixture
def live_api(app, make_app, accounts, work_queue) -> Iterator[tuple[str, str]]:
    """The app on a free loopback port, rate limits raised for the run; yields (base URL, admin key)."""
    served = make_app(API_RATE_LIMIT="1000000/minute", WEBHOOK_ALLOW_PRIVATE=True)
    admin_key = _seed(served, accounts, work_queue)
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="schemathesis-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", admin_key
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="module", autouse=True)
def report_counts(request):
    """Prints how many requests each operation got, once the module's tests are done."""
    yield
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or not SENT:
        return
    documented = {operation: count for operation, count in SENT.items() if operation in _documented()}
    with capture.global_and_fixture_disabled():
        reporter.write_line(
            f"\nschemathesis: {sum(SENT.values())} requests, {sum(documented.values())} of them to "
            f"{len(documented)} documented operations (the rest: undocumented methods, expecting 405)"
        )
        for operation, count in sorted(documented.items()):
            reporter.write_line(f"  {count:4d}  {operation}")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_document(case, live_api):
    base_url, admin_key = live_api
    operation = f"{case.method} {case.path}"
    SENT[operation] += 1
    response = case.call_and_validate(
        base_url=base_url, headers={"Authorization": f"Bearer {admin_key}"}, checks=CHECKS
    )
    ANSWERED[operation, response.status_code] += 1


def test_the_run_reached_real_resources():
    """GIVEN the run above WHEN its answers are counted THEN every operation on an id also answered something
    other than 404: the swapped-in ids reached real jobs, pipelines, users, keys, webhooks and deliveries."""
    if not SENT:
        pytest.skip("run with the schemathesis test above")
    on_ids = {operation for operation in SENT if "{" in operation and operation in _documented()}
    only_404 = sorted(o for o in on_ids if all(status == 404 for (op, status) in ANSWERED if op == o))
    assert only_404 == []


def _documented() -> set[str]:
    paths = json.loads(DOCUMENT.read_text())["paths"]
    return {f"{method.upper()} {path}" for path, methods in paths.items() for method in methods}
