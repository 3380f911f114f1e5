"""DocpipeClient against the real app on a real HTTP server (and, where the network matters, a real proxy)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime

import pytest
import requests

from tests.client.conftest import FAST_RETRY
from tests.client.proxy import Rule
from tests.conftest import ROOT, corpus_file
from tests.e2e.service import free_port
from webapp.client import AuthError, ConnectionFailed, DocpipeClient, DocpipeError, RetryPolicy, WaitTimeout

GOOD = ["txt_norwich-city.txt", "html_tika_testHTML.html", "docx_docling_word_sample.docx"]
BAD = "bad_pdf_truncated_derived.pdf"
BUSY = b'{"type": "about:blank", "title": "Service Unavailable", "status": 503}'


def test_submit_wait_and_fetch_results(docpipe, worker):
    """GIVEN three documents and a truncated PDF WHEN submitted and waited for THEN the good ones succeed with
    their text, the PDF fails as corrupt_file, and asking for its result raises the server's 409 problem."""
    jobs = [docpipe.submit(corpus_file(name), priority=7, labels={"batch": "b1"}) for name in [*GOOD, BAD]]
    assert [job["status"] for job in jobs] == ["queued"] * 4
    assert jobs[0]["priority"] == 7 and jobs[0]["labels"] == {"batch": "b1"} and jobs[0]["filename"] == GOOD[0]
    ids = [job["id"] for job in jobs]
    updates: list[dict] = []

    final = docpipe.wait(ids, timeout=120, on_update=updates.append)

    assert list(final) == ids
    assert [final[job_id]["status"] for job_id in ids] == ["succeeded", "succeeded", "succeeded", "failed"]
    assert final[ids[3]]["error"]["type"] == "corrupt_file"
    assert {update["id"] for update in updates} == set(ids)
    assert "Norwich City" in docpipe.result(ids[0], "text")
    assert docpipe.result(ids[2], "markdown").count("#") >= 1
    full = docpipe.result(ids[1])
    assert full["job_id"] == ids[1] and full["metadata"]["mime_type"] == "text/html"
    with pytest.raises(DocpipeError) as no_result:
        docpipe.result(ids[3], "text")
    assert no_result.value.status == 409 and no_result.value.problem["job_status"] == "failed"


def test_errors_carry_the_problem_details(docpipe):
    with pytest.raises(DocpipeError) as invalid:
        docpipe.list_jobs({"status": "bogus"})
    assert invalid.value.status == 422
    assert invalid.value.errors[0]["field"] == "status" and "bogus" in invalid.value.errors[0]["message"]
    assert invalid.value.problem["status"] == 422 and "status: unknown status 'bogus'" in str(invalid.value)

    with pytest.raises(DocpipeError) as unknown:
        docpipe.submit(corpus_file(GOOD[0]), pipeline="no-such-pipeline")
    assert unknown.value.status == 404 and "no pipeline 'no-such-pipeline'" in unknown.value.detail
    assert not isinstance(unknown.value, AuthError)
    with pytest.raises(FileNotFoundError):
        docpipe.submit(ROOT / "no-such-file.pdf")


def test_a_wrong_key_and_a_missing_permission_are_auth_errors(live_server, accounts):
    with DocpipeClient(live_server.url, "dp_not_a_real_key") as stranger, pytest.raises(AuthError) as refused:
        stranger.list_pipelines()
    assert refused.value.status == 401 and refused.value.problem["status"] == 401
    with DocpipeClient(live_server.url, accounts.ensure("viewer")) as viewer:
        assert "default" in [pipeline["name"] for pipeline in viewer.list_pipelines()]
        with pytest.raises(AuthError) as forbidden:
            viewer.submit(corpus_file(GOOD[0]))
    assert forbidden.value.status == 403


def test_pages_and_the_iterator_over_all_of_them(docpipe):
    ids = [docpipe.submit(corpus_file(GOOD[0]))["id"] for _ in range(7)]
    newest_first = ids[::-1]

    page = docpipe.list_jobs(limit=3)
    assert [job["id"] for job in page.items] == newest_first[:3] and page.next_cursor
    second = docpipe.list_jobs(limit=3, cursor=page.next_cursor)
    assert [job["id"] for job in second.items] == newest_first[3:6]

    assert [job["id"] for job in docpipe.iter_jobs(page_size=3)] == newest_first
    assert len(list(docpipe.iter_jobs({"status": "queued", "pipeline": "default"}, page_size=2))) == 7
    assert list(docpipe.iter_jobs({"status": "succeeded"})) == []


def test_waiting_polls_with_etags_and_backs_off(proxy, operator_key, work_queue):
    """GIVEN a job that stays queued for 2.5 s WHEN waited for through a proxy that logs every request THEN the
    client sends If-None-Match, gets 304s, and backs off (0.2, 0.4, 0.8, 1.6 s): four looks while it is queued,
    not the twelve a fixed 0.2 s interval makes, and the finish is seen within the 2 s longest interval."""
    with DocpipeClient(proxy.url, operator_key, retry=FAST_RETRY) as docpipe:
        job_id = docpipe.submit(corpus_file(GOOD[0]))["id"]
        later = threading.Timer(2.5, work_queue)
        started = time.monotonic()
        later.start()
        final = docpipe.wait([job_id], timeout=60)
        seen_at = time.time()
        later.join()
    assert final[job_id]["status"] == "succeeded"
    looks = proxy.exchanges("GET", f"/api/v1/jobs/{job_id}")
    assert "If-None-Match" not in looks[0].headers and all("If-None-Match" in look.headers for look in looks[1:])
    while_queued = [look for look in looks if look.at < started + 2.4]
    # 0, 0.2, 0.6 and 1.4 s; a slow machine may fit fewer, a missing backoff fits twelve.
    assert 3 <= len(while_queued) <= 4, [look.at - started for look in looks]
    assert [look.status for look in while_queued] == [200] + [304] * (len(while_queued) - 1)
    finished = datetime.fromisoformat(final[job_id]["finished_at"].replace("Z", "+00:00")).timestamp()
    assert seen_at - finished < 3


def test_wait_gives_up_after_its_timeout_with_the_last_state_seen(docpipe):
    job_id = docpipe.submit(corpus_file(GOOD[0]))["id"]
    start = time.monotonic()
    with pytest.raises(WaitTimeout) as timed_out:
        docpipe.wait([job_id], timeout=0.6)
    assert 0.6 <= time.monotonic() - start < 2.5
    assert timed_out.value.jobs[job_id]["status"] == "queued"


def test_busy_answers_are_retried_after_their_retry_after(proxy, operator_key):
    """GIVEN a 503 then a 429, each with Retry-After: 1 WHEN listing pipelines THEN the client waits the second each
    asked for and the third try succeeds."""
    proxy.rules.append(Rule("GET", "/api/v1/pipelines", status=503, headers={"Retry-After": "1"}, body=BUSY))
    proxy.rules.append(Rule("GET", "/api/v1/pipelines", status=429, headers={"Retry-After": "1"}))
    start = time.monotonic()
    with DocpipeClient(proxy.url, operator_key, retry=FAST_RETRY) as docpipe:
        pipelines = docpipe.list_pipelines()
    assert time.monotonic() - start >= 2.0
    assert "default" in [pipeline["name"] for pipeline in pipelines]
    assert [e.status for e in proxy.exchanges("GET", "/api/v1/pipelines")] == [503, 429, 200]


def test_retries_end_with_the_last_answer(proxy, operator_key):
    busy = {"Retry-After": "0", "Content-Type": "application/problem+json"}
    proxy.rules.append(Rule("GET", "/api/v1/pipelines", times=10, status=503, headers=busy, body=BUSY))
    with DocpipeClient(proxy.url, operator_key, retry=FAST_RETRY) as docpipe, pytest.raises(DocpipeError) as gave_up:
        docpipe.list_pipelines()
    assert gave_up.value.status == 503 and gave_up.value.title == "Service Unavailable"
    assert len(proxy.exchanges("GET", "/api/v1/pipelines")) == FAST_RETRY.attempts


def test_no_server_is_a_connection_error_after_the_retries():
    start = time.monotonic()
    retry = RetryPolicy(attempts=3, backoff=0.1)
    nobody = DocpipeClient(f"http://127.0.0.1:{free_port()}", "dp_x", retry=retry)
    with nobody, pytest.raises(ConnectionFailed) as unreachable:
        nobody.list_pipelines()
    assert "Connection refused" in str(unreachable.value) and unreachable.value.status is None
    assert 0.3 <= time.monotonic() - start < 5  # paused 0.1 + 0.2 s between the three tries


def _supports_idempotency(url: str, key: str) -> bool:
    """Two identical POSTs with one Idempotency-Key: a server that supports it replays the first answer."""
    idempotency_key = f"probe-{uuid.uuid4().hex}"
    answers = []
    for _ in range(2):
        with corpus_file(GOOD[0]).open("rb") as document:
            answers.append(
                requests.post(
                    f"{url}/api/v1/jobs",
                    files={"file": (GOOD[0], document)},
                    headers={"Authorization": f"Bearer {key}", "Idempotency-Key": idempotency_key},
                    timeout=30,
                )
            )
    assert [answer.status_code for answer in answers] == [202, 202]
    return answers[1].headers.get("Idempotent-Replayed") == "true"


def test_a_lost_answer_is_retried_with_the_same_key_and_makes_one_job(live_server, proxy, operator_key):
    """GIVEN a proxy that forwards the first upload to the server but drops the answer, then a 409 "in flight"
    and a 503 WHEN the client submits THEN it retries with one Idempotency-Key and the same body, gets the
    original job back, and the server holds exactly one job for the file."""
    if not _supports_idempotency(live_server.url, operator_key):
        pytest.skip("the server does not replay Idempotency-Key submissions yet (no Idempotent-Replayed header)")
    in_flight = b'{"type": "/problems/idempotency-key-in-flight", "title": "Request in progress", "status": 409}'
    proxy.rules.append(Rule("POST", "/api/v1/jobs", drop=True))
    proxy.rules.append(Rule("POST", "/api/v1/jobs", status=409, headers={"Retry-After": "1"}, body=in_flight))
    proxy.rules.append(Rule("POST", "/api/v1/jobs", status=503, headers={"Retry-After": "0"}, body=BUSY))
    document = corpus_file(GOOD[1])

    with DocpipeClient(proxy.url, operator_key, retry=FAST_RETRY) as docpipe:
        job = docpipe.submit(document, labels={"try": "lost-answer"})
        mine = [j for j in docpipe.iter_jobs() if j["filename"] == GOOD[1]]

    posts = proxy.exchanges("POST", "/api/v1/jobs")
    assert [(post.status, post.forwarded) for post in posts] == [(None, True), (409, False), (503, False), (202, True)]
    assert len({post.headers["Idempotency-Key"] for post in posts}) == 1
    assert [j["id"] for j in mine] == [job["id"]] and job["labels"] == {"try": "lost-answer"}


def test_the_client_package_needs_neither_flask_nor_the_engine(tmp_path):
    """The client is its own package: with flask, sqlalchemy, werkzeug and the rest of webapp refused at import,
    it still imports and runs its command."""
    code = """
import importlib.abc, sys
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("flask", "sqlalchemy", "werkzeug", "webapp"):
            raise ImportError("refused: " + name)
sys.meta_path.insert(0, Refuse())
sys.path.insert(0, sys.argv[1])
import client, client.cli
assert client.DocpipeClient and client.cli.main(["--help"]) == 0
print(sorted(name for name in sys.modules if name.split(".")[0] in ("flask", "sqlalchemy", "webapp")))
"""
    # The package alone on the path as a top-level one (webapp/ itself would shadow the stdlib's queue).
    (tmp_path / "client").symlink_to(ROOT / "webapp" / "client")
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "exit status:" in done.stdout and done.stdout.strip().splitlines()[-1] == "[]"
