"""The one rule for control characters in what reaches liveclass from outside.

Text containing NUL or another C0 control character (U+0000 to U+001F) other
than tab, line feed and carriage return, or DEL (U+007F), cannot be stored on
every backend (PostgreSQL refuses NUL outright) and has no business in a chat
line, a title or an id.  What happens to it depends on who sent it:

- input we can refuse (HTTP bodies, query and path parameters, socket
  payloads, the ``sub`` and ``org`` of a token) is refused with ``bad_request``
  naming the field, via :func:`refuse_control_characters`;
- input we cannot refuse without losing something (a provider's webhook, the
  display claims of a token the platform signed) is applied with the
  offending characters removed, via :func:`without_control_characters`.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import bad_field

__all__ = [
    "CONTROL_CHARACTERS",
    "control_character_path",
    "refuse_control_characters",
    "without_control_characters",
]

CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MESSAGE = "must not contain control characters (only tab, line feed and carriage return)"


def control_character_path(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string (or key) in ``value`` holding a control character."""
    if isinstance(value, str):
        return path if CONTROL_CHARACTERS.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and CONTROL_CHARACTERS.search(key):
                return path or "body"
            found = control_character_path(item, inner)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = control_character_path(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


def refuse_control_characters(value: Any, path: str = "") -> None:
    """``bad_request`` naming the first field that holds a control character."""
    found = control_character_path(value, path)
    if found is not None:
        raise bad_field(found or "body", f"{found or 'body'} {MESSAGE}")


def without_control_characters(value: Any) -> Any:
    """A copy of a JSON-like value with control characters removed from every string."""
    if isinstance(value, str):
        return CONTROL_CHARACTERS.sub("", value)
    if isinstance(value, dict):
        return {
            without_control_characters(key): without_control_characters(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [without_control_characters(item) for item in value]
    return value
