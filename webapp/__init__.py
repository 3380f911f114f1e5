"""Docpipe: a self-hosted document-processing service.

``create_app`` is imported lazily so that the command-line client (``webapp.client``) starts without loading Flask
and SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__version__ = "0.1.0"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    from webapp.app import create_app as factory

    return factory(test_config)
