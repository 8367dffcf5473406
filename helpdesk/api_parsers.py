"""Request body parsers of the API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework import exceptions, parsers

from helpdesk.text import has_lone_surrogate


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
        if has_lone_surrogate(data):
            raise exceptions.ParseError(
                "JSON parse error - a string holds a lone surrogate escape (\\ud800 to \\udfff), which is not text."
            )
        return data
