"""Jinja filters for the dashboard. Each returns plain text: autoescaping still applies to what they give."""

from __future__ import annotations

import json
from typing import Any

from webapp.dashboard import bp
from webapp.timeutil import parse_rfc3339


@bp.app_template_filter("timestamp")
def timestamp(value: str | None) -> str:
    """``2026-11-29T07:00:00.123Z`` → ``2026-11-29 07:00:00 UTC``; empty for None."""
    if not value:
        return ""
    try:
        return parse_rfc3339(value).strftime("%Y-%m-%d %H:%M:%S UTC")
    except ValueError:
        return str(value)


@bp.app_template_filter("filesize")
def filesize(value: int | None) -> str:
    if value is None:
        return ""
    size = float(value)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{value} bytes"  # pragma: no cover - the loop always returns


@bp.app_template_filter("duration")
def duration(value: float | None) -> str:
    """Milliseconds → ``12 ms`` or ``3.4 s``."""
    if value is None:
        return ""
    return f"{value:.0f} ms" if value < 1000 else f"{value / 1000:.1f} s"


@bp.app_template_filter("plain")
def plain(value: Any) -> str:
    """Any JSON value as text for a table cell: scalars as they are, lists and objects as compact JSON."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@bp.app_template_filter("percent")
def percent(value: float | None) -> str:
    return "" if value is None else f"{float(value) * 100:.0f}%"
