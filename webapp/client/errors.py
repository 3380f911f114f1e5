"""The client's exceptions: one base type carrying the server's RFC 9457 problem, and a few kinds a caller
(or the ``docpipe`` command's exit status) tells apart."""

from __future__ import annotations

from typing import Any


class DocpipeError(Exception):
    """A request failed. ``status`` is the HTTP status (None when no answer came back); ``problem`` is the
    problem+json body as the server sent it, with its ``title``, ``detail`` and ``errors`` also as attributes."""

    def __init__(
        self,
        title: str,
        *,
        status: int | None = None,
        detail: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        problem: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors or []
        self.problem = problem or {}

    @classmethod
    def from_problem(cls, status: int, problem: dict[str, Any], reason: str = "") -> DocpipeError:
        """The exception for an error response: AuthError for 401/403, DocpipeError otherwise."""
        kind = AuthError if status in (401, 403) else DocpipeError
        errors = problem.get("errors")
        return kind(
            str(problem.get("title") or reason or f"HTTP {status}"),
            status=status,
            detail=problem.get("detail"),
            errors=errors if isinstance(errors, list) else None,
            problem=problem,
        )

    def __str__(self) -> str:
        text = f"{self.status} {self.title}" if self.status else self.title
        if self.detail:
            text += f": {self.detail}"
        for error in self.errors:
            if isinstance(error, dict):
                text += f"\n  {error.get('field', '?')}: {error.get('message', '')}"
        return text


class AuthError(DocpipeError):
    """401 (no or a wrong key or token) or 403 (the caller's role may not do this)."""


class ConnectionFailed(DocpipeError):
    """No HTTP answer: the server could not be reached or dropped the connection, after every retry."""


class WaitTimeout(DocpipeError):
    """``wait`` ran out of time. ``jobs`` holds the last state seen of every job, finished or not."""

    def __init__(self, title: str, jobs: dict[str, dict[str, Any]]) -> None:
        super().__init__(title)
        self.jobs = jobs
