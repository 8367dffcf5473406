"""Request body parsers of the API."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import IO, Any

from rest_framework import exceptions, parsers

# A JSON "\ud800" escape decodes to a lone surrogate: a Python str that cannot be encoded as UTF-8, so it fails
# wherever it goes next (the database, or the error response that echoes a bad choice back).
_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_surrogate(data: Any) -> bool:
    """Iterative, so a body nested as deeply as the decoder allows cannot exhaust the stack here either."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's parser turns malformed JSON into a 400 but lets two kinds of bad input through as a 500: a body of a
    few kilobytes of nested brackets exhausts the decoder's stack, and a lone surrogate escape is valid JSON
    syntax but not text."""

    def parse(self, stream: IO[Any], media_type: str | None = None,
              parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError("JSON parse error - the body is nested too deeply.") from exc
        if _has_surrogate(data):
            raise exceptions.ParseError(
                "JSON parse error - a string holds a lone surrogate escape (\\ud800 to \\udfff), which is not text."
            )
        return data
