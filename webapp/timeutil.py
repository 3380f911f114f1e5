"""UTC timestamps stored the same way on SQLite and PostgreSQL, rendered as RFC 3339."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


def isoformat(value: datetime | None) -> str | None:
    if value is None:
        return None
    value = value.astimezone(UTC)
    # Full microseconds, so a timestamp read from the API filters exactly (created_after=<its created_at>).
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_rfc3339(value: str) -> datetime:
    """Accepts ``...Z`` and offsets; a naive value is taken as UTC. Raises ValueError."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


class UTCDateTime(TypeDecorator):
    """Always aware UTC in Python; SQLite stores naive UTC, PostgreSQL timestamptz."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to UTCDateTime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):  # noqa: ARG002 - the interface's signature
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


RFC3339_HINT = "must be an RFC 3339 timestamp, e.g. 2026-11-29T07:00:00Z"


def parse_time_args(args: dict[str, str], keys: tuple[str, ...]) -> tuple[dict[str, datetime], list[str]]:
    """The given query arguments as UTC datetimes, and the names of those that are not RFC 3339."""
    values: dict[str, datetime] = {}
    bad: list[str] = []
    for key in keys:
        if args.get(key):
            try:
                values[key] = parse_rfc3339(args[key])
            except ValueError:
                bad.append(key)
    return values, bad
