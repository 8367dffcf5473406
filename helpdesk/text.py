"""Strings that decode from JSON but are not storable text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# A JSON "\ud800" escape decodes to a lone surrogate: a Python str that cannot be encoded as UTF-8, so it fails
# wherever it goes next (the database, or an error response that echoes a bad value back).
_SURROGATE = re.compile("[\ud800-\udfff]")


def _strings(data: Any) -> Iterator[str]:
    """Every string in decoded JSON, keys included. Iterative, so a body nested as deeply as the decoder allows
    cannot exhaust the stack here."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def has_lone_surrogate(data: Any) -> bool:
    return any(_SURROGATE.search(text) for text in _strings(data))


def without_nul(text: str) -> str:
    """``text`` as PostgreSQL can store it: NUL dropped (from a mail, an imported file, a query string)."""
    return text.replace("\x00", "")


def has_nul(data: Any) -> bool:
    """PostgreSQL text cannot hold NUL."""
    return any("\x00" in text for text in _strings(data))


# Everything that can end or break a mail header line: C0 and C1 controls (CR, LF, tab, NUL, ...), DEL, and the
# Unicode line and paragraph separators.
_LINE_BREAKING = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def single_line(text: str) -> str:
    """``text`` as one line, fit for a mail header (a subject, a display name, a message id): each run of control
    characters and white space becomes one space. A stored CR/LF would make every later mail with it fail
    (BadHeaderError), or, let through, start a header of the sender's choosing."""
    return " ".join(_LINE_BREAKING.sub(" ", text).split())
