"""The size of a result object as stored JSON, estimated without serialising it (no second copy of a large text).

Strings count their characters (a lower bound of their UTF-8 bytes) plus quotes, keys likewise, numbers and other
scalars a flat 8; containers their brackets and separators. Close enough to say "about N MB" and to refuse a
result far past a limit before it is copied to the worker and stored.
"""

from __future__ import annotations

from typing import Any

_SCALAR = 8


def json_size(value: Any) -> int:
    """About how many bytes ``json.dumps(value)`` would take; iterative, so any nesting depth is fine."""
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, dict):
            total += 2 + 2 * len(item)
            for key, child in item.items():
                total += len(str(key)) + 2
                stack.append(child)
        elif isinstance(item, list | tuple):
            total += 2 + len(item)
            stack.extend(item)
        else:
            total += _SCALAR
    return total
