"""DocpipeClient: Docpipe's HTTP API v1 (see ../shared/API.md) from Python, with only ``requests``.

Retries are safe by construction: GETs are retried after connection errors and 429/503 (honouring
``Retry-After``); ``POST /jobs`` is retried only with an ``Idempotency-Key``, which ``submit`` generates for
every file unless given one, so a retry after a lost answer gets the original job back instead of a second one.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from .errors import ConnectionFailed, DocpipeError, WaitTimeout
from .multipart import MultipartUpload

DEFAULT_URL = "http://127.0.0.1:8000"
FINISHED = frozenset({"succeeded", "failed", "cancelled"})
RESULT_FORMATS = ("json", "text", "markdown")
# Statuses that mean "not now, ask again": rate limited, or the service is briefly unavailable.
RETRY_STATUSES = frozenset({429, 503})
# Exceptions after which no answer arrived; requests wraps most in ConnectionError.
NO_ANSWER = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # tries in all for one retryable request
    backoff: float = 0.5  # first pause without Retry-After, doubled each time
    max_pause: float = 60.0  # the longest Retry-After honoured; longer ones are cut to this


@dataclass
class JobPage:
    """One page of a list (jobs, chunks): its items and the cursor of the next page (None on the last)."""

    items: list[dict[str, Any]]
    next_cursor: str | None


@dataclass
class _Watch:
    """One job being waited for: when to look next and what was seen last."""

    next_at: float
    delay: float
    etag: str | None = None
    job: dict[str, Any] | None = field(default=None)


class DocpipeClient:
    """``DocpipeClient("http://docpipe:8000", "dp_...")``. Safe to share between threads."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        api_key: str | None = None,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        user_agent: str = "docpipe-client/0.1",
    ) -> None:
        if not url.startswith(("http://", "https://")) or not urlsplit(url).hostname:
            raise ValueError(f"the server URL must be http(s)://host[:port], not {url!r}")
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._headers = {"User-Agent": user_agent, "Accept": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    # -- jobs -----------------------------------------------------------------------------------------------
    def submit(
        self,
        path: str | Path,
        pipeline: str | None = None,
        priority: int | None = None,
        labels: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Upload one file as a new job (202) and return the job. A key is generated when none is given."""
        path = Path(path)
        key = idempotency_key or f"docpipe-{uuid.uuid4().hex}"
        fields = {"pipeline": pipeline, "priority": None if priority is None else str(priority)}
        fields["labels"] = json.dumps(labels) if labels else None
        sent = {name: value for name, value in fields.items() if value is not None}
        # The same boundary on every attempt: a retry sends exactly the bytes of the first try.
        boundary = f"docpipe-{uuid.uuid5(uuid.NAMESPACE_URL, key).hex}"

        def body() -> MultipartUpload:
            return MultipartUpload(path, sent, boundary)

        headers = {"Idempotency-Key": key, "Content-Type": body().content_type}  # also: a missing file fails here
        # 409 here means "the first request with this key is still in flight": ask again shortly.
        response = self._request("POST", "/jobs", headers=headers, body=body, retry=True, retry_conflict=True)
        return response.json()

    def get_job(self, job_id: str) -> dict[str, Any]:
        return self._request("GET", f"/jobs/{quote(job_id, safe='')}").json()

    def poll_job(self, job_id: str, etag: str | None = None) -> tuple[dict[str, Any] | None, str | None]:
        """The job, or None when it has not changed since ``etag`` (304); and the ETag to send next time."""
        headers = {"If-None-Match": etag} if etag else {}
        response = self._request("GET", f"/jobs/{quote(job_id, safe='')}", headers=headers)
        if response.status_code == 304:
            return None, etag
        return response.json(), response.headers.get("ETag")

    def wait(
        self,
        job_ids: list[str],
        timeout: float | None = None,
        on_update: Callable[[dict[str, Any]], None] | None = None,
        min_interval: float = 0.2,
        max_interval: float = 2.0,
    ) -> dict[str, dict[str, Any]]:
        """Poll until every job has finished; return the final jobs by id, in the order given.

        Each job is polled on its own schedule with ``If-None-Match``: after ``min_interval`` when it just changed,
        backing off to ``max_interval`` while it does not. ``on_update`` sees every change (including the first
        look). Raises WaitTimeout (with the last state seen) after ``timeout`` seconds."""
        start = time.monotonic()
        deadline = None if timeout is None else start + timeout
        watches = {job_id: _Watch(next_at=start, delay=min_interval) for job_id in dict.fromkeys(job_ids)}
        done: dict[str, dict[str, Any]] = {}
        while watches:
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                seen = {job_id: watch.job for job_id, watch in watches.items() if watch.job}
                raise WaitTimeout(f"{len(watches)} of {len(job_ids)} jobs unfinished after {timeout:g} s", done | seen)
            for job_id in [job_id for job_id, watch in watches.items() if watch.next_at <= now]:
                job = self._look(job_id, watches[job_id], min_interval, max_interval, on_update)
                if job is not None and job["status"] in FINISHED:
                    done[job_id] = job
                    del watches[job_id]
            if watches:
                wake = min(watch.next_at for watch in watches.values())
                if deadline is not None:
                    wake = min(wake, deadline)
                time.sleep(max(0.0, wake - time.monotonic()))
        return {job_id: done[job_id] for job_id in dict.fromkeys(job_ids)}

    def _look(self, job_id: str, watch: _Watch, min_interval: float, max_interval: float, on_update) -> dict | None:
        job, watch.etag = self.poll_job(job_id, watch.etag)
        if job is None or (watch.job is not None and _progress(job) == _progress(watch.job)):
            watch.delay = min(max_interval, watch.delay * 2)
        else:
            watch.delay = min_interval
            watch.job = job
            if on_update is not None:
                on_update(job)
        watch.next_at = time.monotonic() + watch.delay
        return watch.job

    def result(self, job_id: str, format: str = "json") -> dict[str, Any] | str:
        """The result object (``json``), or its text or Markdown as a string. 409 while the job has none."""
        if format not in RESULT_FORMATS:
            raise ValueError(f"format must be one of {', '.join(RESULT_FORMATS)}")
        response = self._request("GET", f"/jobs/{quote(job_id, safe='')}/result", params={"format": format})
        if format == "json":
            return response.json()
        response.encoding = response.encoding or "utf-8"
        return response.text

    def list_jobs(
        self, filters: dict[str, str] | None = None, limit: int | None = None, cursor: str | None = None
    ) -> JobPage:
        """One page, newest first. Filters: ``status`` (comma-separated), ``pipeline``, ``created_after``,
        ``created_before``."""
        params = {key: value for key, value in (filters or {}).items() if value not in (None, "")}
        if limit is not None:
            params["limit"] = str(limit)
        if cursor:
            params["cursor"] = cursor
        body = self._request("GET", "/jobs", params=params).json()
        return JobPage(items=body["items"], next_cursor=body.get("next_cursor"))

    def iter_jobs(self, filters: dict[str, str] | None = None, page_size: int = 100) -> Iterator[dict[str, Any]]:
        """Every job matching ``filters``, page after page."""
        cursor = None
        while True:
            page = self.list_jobs(filters, page_size, cursor)
            yield from page.items
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    # -- chunks (pipelines with the chunk stage) -------------------------------------------------------------
    def list_chunks(
        self, job_id: str, limit: int | None = None, cursor: str | None = None, pages: str | None = None
    ) -> JobPage:
        """One page of a succeeded job's chunks, in order; ``pages`` ("2-4") keeps those that touch the pages.
        409 while the job has none: not succeeded yet, or its pipeline has no chunk stage."""
        params = {"limit": None if limit is None else str(limit), "cursor": cursor, "pages": pages}
        sent = {key: value for key, value in params.items() if value}
        body = self._request("GET", f"/jobs/{quote(job_id, safe='')}/chunks", params=sent).json()
        return JobPage(items=body["items"], next_cursor=body.get("next_cursor"))

    def iter_chunks(self, job_id: str, page_size: int = 500, pages: str | None = None) -> Iterator[dict[str, Any]]:
        """Every chunk of the job, page after page: ``{"id", "index", "text", "token_count", "headings", ...}``."""
        cursor = None
        while True:
            page = self.list_chunks(job_id, page_size, cursor, pages)
            yield from page.items
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    def chunks(self, job_id: str, pages: str | None = None) -> list[dict[str, Any]]:
        """Every chunk of the job, as a list."""
        return list(self.iter_chunks(job_id, pages=pages))

    def chunks_jsonl(self, job_id: str, pages: str | None = None) -> str:
        """Every chunk as ``?format=jsonl`` gives it: one ``{"page_content", "metadata"}`` object a line, the
        shape LangChain's JSONLoader and LlamaIndex documents are built from."""
        params = {"format": "jsonl", **({"pages": pages} if pages else {})}
        response = self._request("GET", f"/jobs/{quote(job_id, safe='')}/chunks", params=params)
        response.encoding = "utf-8"
        return response.text

    # -- pipelines ------------------------------------------------------------------------------------------
    def get_pipeline(self, ref: str) -> dict[str, Any]:
        """One pipeline (its current version) by id or name."""
        return self._request("GET", f"/pipelines/{quote(ref, safe='')}").json()

    def list_pipelines(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        params: dict[str, str] = {}
        while True:
            body = self._request("GET", "/pipelines", params=params).json()
            items.extend(body["items"])
            if not body.get("next_cursor"):
                return items
            params = {"cursor": body["next_cursor"]}

    # -- transport ------------------------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    def __enter__(self) -> DocpipeClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.update(self._headers)
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        body: Callable[[], MultipartUpload] | None = None,
        retry: bool | None = None,
        retry_conflict: bool = False,
    ) -> requests.Response:
        """Send one request, retrying when that is safe: ``retry`` defaults to True for GET only."""
        retry = method == "GET" if retry is None else retry
        url = f"{self.url}/api/v1{path}"
        for attempt in range(1, self.retry.attempts + 1):
            last = attempt == self.retry.attempts or not retry
            data = body() if body is not None else None
            try:
                response = self._session().request(
                    method, url, params=params, headers=headers, data=data, timeout=self.timeout
                )
            except NO_ANSWER as exc:
                if last:
                    raise ConnectionFailed(f"no answer from {self.url}: {_reason(exc)}") from exc
                self._pause(attempt, None)
                continue
            finally:
                if data is not None:
                    data.close()
            wait_again = response.status_code in RETRY_STATUSES or (retry_conflict and response.status_code == 409)
            if wait_again and not last:
                self._pause(attempt, response.headers.get("Retry-After"))
                continue
            if response.status_code >= 400:
                raise _error(response)
            return response
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _pause(self, attempt: int, retry_after: str | None) -> None:
        seconds = _retry_after_seconds(retry_after)
        if seconds is None:
            seconds = self.retry.backoff * 2 ** (attempt - 1)
        time.sleep(min(seconds, self.retry.max_pause))


def _progress(job: dict[str, Any]) -> tuple:
    return job.get("status"), job.get("current_stage"), job.get("progress"), job.get("attempts")


def _retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` is delay-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _error(response: requests.Response) -> DocpipeError:
    problem: dict[str, Any] = {}
    if "json" in response.headers.get("Content-Type", ""):
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            problem = body
    return DocpipeError.from_problem(response.status_code, problem, response.reason or "")


def _reason(exc: Exception) -> str:
    # requests nests the useful part ("Connection refused") a few levels down; show the innermost cause.
    inner: BaseException = exc
    while True:
        nested = inner.args[0] if inner.args and isinstance(inner.args[0], BaseException) else None
        nested = nested or getattr(inner, "reason", None) or inner.__cause__ or inner.__context__
        if not isinstance(nested, BaseException) or nested is inner:
            break
        inner = nested
    text = str(inner)
    return text.split("] ", 1)[-1] if text.startswith("[Errno") else text or type(inner).__name__
