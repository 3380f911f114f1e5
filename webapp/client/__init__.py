"""A small Python client for Docpipe's HTTP API and the ``docpipe`` command built on it.

Needs only ``requests``: nothing here imports Flask, SQLAlchemy or the document engine."""

from .client import DEFAULT_URL, FINISHED, DocpipeClient, JobPage, RetryPolicy
from .errors import AuthError, ConnectionFailed, DocpipeError, WaitTimeout

__all__ = [
    "DEFAULT_URL",
    "FINISHED",
    "AuthError",
    "ConnectionFailed",
    "DocpipeClient",
    "DocpipeError",
    "JobPage",
    "RetryPolicy",
    "WaitTimeout",
]
